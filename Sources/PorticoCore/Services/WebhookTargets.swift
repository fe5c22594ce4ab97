import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a webhook target was refused.
public enum WebhookTargetError: Error, Equatable, Sendable {
    /// The URL is malformed; the text says what is wrong.
    case invalidURL(String)
    /// Not https (http only when private targets are allowed), or not http at all.
    case schemeNotAllowed
    /// The host is, or resolves to, an address in a refused range (or is `localhost`).
    /// Carries the refused address (or name) for logs; `message` leaves it out.
    case forbiddenAddress(String)
    /// The host name could not be resolved (only at delivery).
    case unresolvable(String)

    /// One sentence for an API error message or a delivery record. A refused
    /// address is not repeated: it could tell a caller what an internal name resolves to.
    public var message: String {
        switch self {
        case .invalidURL(let why):
            return why
        case .schemeNotAllowed:
            return "the URL must use https (http only where private targets are allowed)"
        case .forbiddenAddress:
            return "the URL's host is, or resolves to, a loopback, private or reserved address"
        case .unresolvable(let host):
            return "the host \(host) could not be resolved"
        }
    }
}

/// The result of checking a target for one delivery attempt: connect to `address`,
/// and send `host` as the Host header and TLS server name.
public struct WebhookTarget: Sendable {
    /// The URL in its normalized form, as `WebhookTargets.validate` stores it.
    public var url: URL
    /// "http" or "https".
    public var scheme: String
    /// The URL's host, normalized: lowercased, without a trailing dot, IPv6 without
    /// brackets, and an address in any numeric form as its canonical text. It is the
    /// host of `url`.
    public var host: String
    /// The explicit port, or the scheme's default.
    public var port: Int
    /// The one checked address to connect to.
    public var address: IPAddress
    /// True when the URL's host was itself an address (in any numeric form).
    public var hostIsAddress: Bool

    public init(url: URL, scheme: String, host: String, port: Int, address: IPAddress, hostIsAddress: Bool) {
        self.url = url
        self.scheme = scheme
        self.host = host
        self.port = port
        self.address = address
        self.hostIsAddress = hostIsAddress
    }
}

/// Turns a host name into addresses. The live one asks the system; tests pass a fake.
public protocol HostResolver: Sendable {
    func addresses(of host: String) async throws -> [IPAddress]
}

/// The system resolver (`getaddrinfo`, AF_UNSPEC, SOCK_STREAM). The lookup blocks, so it
/// runs on a Dispatch queue rather than on a task's thread (an event loop that also
/// serves connections: see `EventLoopGlobalExecutor`).
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func addresses(of host: String) async throws -> [IPAddress] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.lookUp(host) })
            }
        }
    }

    /// A failed lookup, with `getaddrinfo`'s reason.
    struct LookupFailed: Error, Sendable {
        let host: String
        let reason: String
    }

    static func lookUp(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            throw LookupFailed(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }

        var found: [IPAddress] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let socketAddress = info.ai_addr else { continue }
            var bytes: [UInt8] = []
            if info.ai_family == AF_INET {
                let address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                bytes = withUnsafeBytes(of: address) { Array($0) }
            } else if info.ai_family == AF_INET6 {
                let address = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                bytes = withUnsafeBytes(of: address) { Array($0) }
            }
            if let ip = IPAddress(bytes: bytes), !found.contains(ip) { found.append(ip) }
        }
        return found
    }
}

/// The SSRF guard of SPEC §7. A target is checked when it is registered (or changed)
/// and again at every delivery attempt, where its name is resolved once and the
/// connection goes to the address that was checked, so a DNS answer that changes
/// between check and connect (DNS rebinding) cannot reach a refused address.
public enum WebhookTargets {
    /// Registration-time check of a URL string (also used by PATCH). Returns the
    /// normalized URL to store: scheme and host lowercased, one trailing dot of the host
    /// removed (`localhost.` is `localhost`), a numeric host written as its canonical
    /// address (`0x7f.1` becomes `127.0.0.1`), the fragment dropped (it is never sent),
    /// path, query and an explicit port kept as written.
    ///
    /// Refused: anything but an absolute http or https URL with a host; http unless
    /// `allowPrivate`; a user name or password; hosts with percent-encoding, non-ASCII
    /// or otherwise invalid characters. Unless `allowPrivate`: `localhost` and
    /// `*.localhost`, an address host in a refused range, and a name whose resolved
    /// addresses include one in a refused range. A name that does not resolve is
    /// accepted: its DNS may not be ready yet, and every delivery checks again.
    public static func validate(_ raw: String, allowPrivate: Bool, resolver: any HostResolver) async throws -> String {
        let parsed = try parse(raw, allowPrivate: allowPrivate)
        if allowPrivate || parsed.address != nil { return parsed.url.absoluteString }
        let addresses: [IPAddress]
        do {
            addresses = try await resolver.addresses(of: parsed.host)
        } catch {
            return parsed.url.absoluteString
        }
        if let refused = addresses.first(where: isRefused) {
            throw WebhookTargetError.forbiddenAddress(refused.description)
        }
        return parsed.url.absoluteString
    }

    /// Delivery-time check: the same rules as `validate`, with the name resolved once.
    /// If any resolved address is refused, the whole target is refused (a receiver
    /// cannot mix a public and a private address to pass); otherwise the first address
    /// is the one to connect to. An address host needs no lookup. A failed or empty
    /// lookup throws `unresolvable`.
    public static func resolve(_ url: String, allowPrivate: Bool, resolver: any HostResolver) async throws -> WebhookTarget {
        let parsed = try parse(url, allowPrivate: allowPrivate)
        var addresses: [IPAddress] = []
        if let address = parsed.address {
            addresses = [address]
        } else {
            do {
                addresses = try await resolver.addresses(of: parsed.host)
            } catch {
                throw WebhookTargetError.unresolvable(parsed.host)
            }
        }
        guard let first = addresses.first else { throw WebhookTargetError.unresolvable(parsed.host) }
        if !allowPrivate, let refused = addresses.first(where: isRefused) {
            throw WebhookTargetError.forbiddenAddress(refused.description)
        }
        return WebhookTarget(
            url: parsed.url, scheme: parsed.scheme, host: parsed.host, port: parsed.port,
            address: first, hostIsAddress: parsed.address != nil
        )
    }

    /// The refused ranges of SPEC §7 (all of them apply only when private targets are
    /// not allowed). IPv6 is judged by an allowlist: only global unicast (`2000::/3`)
    /// outside its special-purpose blocks is accepted, so a range nobody listed
    /// (site-local `fec0::/10`, IPv4-translated `::ffff:0:0:0/96`, …) fails closed. IPv6
    /// forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
    public static func isRefused(_ ip: IPAddress) -> Bool {
        let b = ip.bytes
        if ip.isIPv4 { return isRefusedIPv4(b) }
        if let embedded = embeddedIPv4(b) { return isRefusedIPv4(embedded) }
        guard b[0] & 0xe0 == 0x20 else { return true }                        // outside 2000::/3
        let word0 = UInt16(b[0]) << 8 | UInt16(b[1]), word1 = UInt16(b[2]) << 8 | UInt16(b[3])
        if word0 == 0x2001, word1 < 0x0200 { return true }                    // 2001::/23 (IETF: Teredo, benchmarking, ORCHID…)
        if word0 == 0x2001, word1 == 0x0db8 { return true }                   // 2001:db8::/32 documentation
        if word0 == 0x3fff, word1 < 0x1000 { return true }                    // 3fff::/20 documentation
        return false
    }

    /// Parses a host that is an address: IPv4 the way `inet_aton` does (1 to 4 dotted
    /// parts, each decimal, octal with a leading `0` or hex with `0x`, the last part
    /// filling the remaining bytes: `127.1`, `0x7f000001`, `2130706433`), or IPv6 with
    /// or without brackets (including an embedded IPv4, `::ffff:127.0.0.1`). Nil when
    /// `host` is not such an address or a part is out of range.
    public static func parseAddress(_ host: String) -> IPAddress? {
        if host.hasPrefix("[") || host.hasSuffix("]") {
            guard host.count >= 2, host.hasPrefix("["), host.hasSuffix("]") else { return nil }
            return parseIPv6(String(host.dropFirst().dropLast()))
        }
        if host.contains(":") { return parseIPv6(host) }
        return parseIPv4(host)
    }

    // MARK: - Parsing a URL

    private struct Parsed {
        var url: URL
        var scheme: String
        var host: String
        var port: Int
        var address: IPAddress?
    }

    /// Everything that can be decided without DNS: the URL's shape, its scheme, its
    /// host (an address in a refused range, or a `localhost` name, unless allowPrivate).
    private static func parse(_ raw: String, allowPrivate: Bool) throws -> Parsed {
        guard raw.utf8.count <= 2048 else { throw WebhookTargetError.invalidURL("the URL is longer than 2048 characters") }
        guard !SafeText.hasControlOrSpace(raw) else {
            throw WebhookTargetError.invalidURL("the URL must not contain spaces or control characters")
        }
        guard let components = URLComponents(string: raw) else {
            throw WebhookTargetError.invalidURL("the URL could not be parsed")
        }
        guard let scheme = components.scheme?.lowercased() else {
            throw WebhookTargetError.invalidURL("the URL must be absolute, starting with https://")
        }
        guard scheme == "https" || (scheme == "http" && allowPrivate) else {
            throw WebhookTargetError.schemeNotAllowed
        }
        guard components.percentEncodedUser == nil, components.percentEncodedPassword == nil else {
            throw WebhookTargetError.invalidURL("the URL must not contain a user name or password")
        }
        guard let rawHost = components.percentEncodedHost, !rawHost.isEmpty else {
            throw WebhookTargetError.invalidURL("the URL must name a host")
        }
        // Non-ASCII hosts come back percent-encoded too.
        guard !rawHost.contains("%"), rawHost.allSatisfy(\.isASCII) else {
            throw WebhookTargetError.invalidURL(
                "the host must be plain ASCII without percent-encoding (write international names in their xn-- form)"
            )
        }
        // The HTTP client parses the URL with `URL`: it must see the same host.
        let bareHost = rawHost.hasPrefix("[") ? String(rawHost.dropFirst().dropLast()) : rawHost
        guard URL(string: raw)?.host?.lowercased() == bareHost.lowercased() else {
            throw WebhookTargetError.invalidURL("the URL's host is ambiguous")
        }
        if let explicit = components.port, !(1...65535).contains(explicit) {
            throw WebhookTargetError.invalidURL("the port must be between 1 and 65535")
        }

        var host = rawHost.lowercased()
        let address: IPAddress?
        let hostInURL: String
        if host.hasPrefix("[") {
            guard let ip = parseAddress(host), !ip.isIPv4 else {
                throw WebhookTargetError.invalidURL("the host is not a valid IPv6 address")
            }
            address = ip
            host = ip.description
            hostInURL = "[\(host)]"
        } else {
            if host.hasSuffix(".") { host.removeLast() }
            if endsInNumber(host) {
                // As browsers do: a name whose last label is a number must be an IPv4
                // address, never a name handed to the resolver to interpret.
                guard let ip = parseAddress(host) else {
                    throw WebhookTargetError.invalidURL("the host looks like an IPv4 address but is not a valid one")
                }
                address = ip
                host = ip.description
            } else {
                guard isValidName(host) else {
                    throw WebhookTargetError.invalidURL("the host is not a valid domain name")
                }
                address = nil
            }
            hostInURL = host
        }

        if !allowPrivate {
            if let address, isRefused(address) {
                throw WebhookTargetError.forbiddenAddress(address.description)
            }
            if address == nil, host == "localhost" || host.hasSuffix(".localhost") {
                throw WebhookTargetError.forbiddenAddress(host)
            }
        }

        var normalized = URLComponents()
        normalized.scheme = scheme
        normalized.percentEncodedHost = hostInURL
        normalized.port = components.port
        normalized.percentEncodedPath = components.percentEncodedPath
        normalized.percentEncodedQuery = components.percentEncodedQuery
        guard let url = normalized.url else {
            throw WebhookTargetError.invalidURL("the URL could not be parsed")
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return Parsed(url: url, scheme: scheme, host: host, port: port, address: address)
    }

    /// Whether the last label is a number (decimal, or hex with `0x`), which makes the
    /// whole host an IPv4 address (WHATWG URL "ends in a number").
    private static func endsInNumber(_ host: String) -> Bool {
        guard let last = host.split(separator: ".", omittingEmptySubsequences: false).last, !last.isEmpty else {
            return false
        }
        if last.utf8.allSatisfy(isDecimalDigit) { return true }
        let lower = last.lowercased()
        return lower.hasPrefix("0x") && lower.utf8.dropFirst(2).allSatisfy(isHexDigit)
    }

    /// Letters, digits, `-` and `_` in dot-separated labels of 1 to 63 characters that
    /// neither start nor end with `-` (RFC 1123), at most 253 in all (already lowercased,
    /// trailing dot removed).
    private static func isValidName(_ host: String) -> Bool {
        guard host.utf8.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-" && label.utf8.allSatisfy { c in
                (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || isDecimalDigit(c)
                    || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
            }
        }
    }

    // MARK: - Parsing addresses

    private static func parseIPv4(_ host: String) -> IPAddress? {
        var text = Substring(host)
        if text.hasSuffix(".") { text = text.dropLast() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt32] = []
        for part in parts {
            guard let value = parseIPv4Part(part) else { return nil }
            values.append(value)
        }
        // Every part but the last is one byte; the last fills the bytes that remain.
        guard let last = values.popLast(), values.allSatisfy({ $0 <= 255 }) else { return nil }
        let remainingBits = UInt64(32 - 8 * values.count)
        guard UInt64(last) < (UInt64(1) << remainingBits) else { return nil }
        var number = last
        for (index, value) in values.enumerated() {
            number |= value << UInt32(24 - 8 * index)
        }
        return IPAddress(bytes: [UInt8(number >> 24), UInt8((number >> 16) & 0xff), UInt8((number >> 8) & 0xff), UInt8(number & 0xff)])
    }

    /// One part: `0x…` hex, `0…` octal, otherwise decimal; nil when empty, not a number
    /// in its base, or larger than 32 bits.
    private static func parseIPv4Part(_ part: Substring) -> UInt32? {
        let lower = part.lowercased()
        if lower.hasPrefix("0x") {
            let digits = lower.dropFirst(2)
            guard !digits.isEmpty, digits.utf8.allSatisfy(isHexDigit) else { return nil }
            return UInt32(digits, radix: 16)
        }
        if lower.count > 1, lower.hasPrefix("0") {
            let digits = lower.dropFirst()
            guard digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) else { return nil }
            return UInt32(digits, radix: 8)
        }
        guard !lower.isEmpty, lower.utf8.allSatisfy(isDecimalDigit) else { return nil }
        return UInt32(lower, radix: 10)
    }

    /// IPv6 text without brackets, by `inet_pton` (no zone index).
    private static func parseIPv6(_ text: String) -> IPAddress? {
        guard !text.isEmpty, text.utf8.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        let status = bytes.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
        return status == 1 ? IPAddress(bytes: bytes) : nil
    }

    private static func isDecimalDigit(_ c: UInt8) -> Bool {
        c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        isDecimalDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    // MARK: - Ranges

    private static func isRefusedIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1], b[2]) {
        case (0, _, _), (10, _, _), (127, _, _): return true            // 0/8, 10/8, 127/8
        case (100, let x, _) where x & 0xc0 == 64: return true         // 100.64/10
        case (169, 254, _), (192, 168, _): return true                 // 169.254/16, 192.168/16
        case (172, let x, _) where x & 0xf0 == 16: return true         // 172.16/12
        case (198, let x, _) where x & 0xfe == 18: return true         // 198.18/15
        case (192, 0, 0), (192, 0, 2), (192, 88, 99): return true      // IETF, TEST-NET-1, 6to4 relay
        case (198, 51, 100), (203, 0, 113): return true                // TEST-NET-2, TEST-NET-3
        case (224..., _, _): return true                               // 224/3
        default: return false
        }
    }

    /// The IPv4 address an IPv6 address carries, in the forms that reach it:
    /// IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96 and 64:ff9b:1::/48, the last 32
    /// bits) and 6to4 (2002::/16, bits 16 to 48). The deprecated IPv4-compatible form
    /// (::/96) and IPv4-translated (::ffff:0:0:0/96) are not global unicast: refused.
    private static func embeddedIPv4(_ b: [UInt8]) -> [UInt8]? {
        let last32 = Array(b[12..<16])
        let zeros = { (range: Range<Int>) in b[range].allSatisfy { $0 == 0 } }
        if zeros(0..<10), b[10] == 0xff, b[11] == 0xff { return last32 }      // ::ffff:a.b.c.d
        if b[0..<4].elementsEqual([0x00, 0x64, 0xff, 0x9b]) {
            if zeros(4..<12) { return last32 }                                // 64:ff9b::/96
            if b[4] == 0x00, b[5] == 0x01 { return last32 }                   // 64:ff9b:1::/48
        }
        if b[0] == 0x20, b[1] == 0x02 { return Array(b[2..<6]) }              // 2002:aabb:ccdd::/16
        return nil
    }
}
