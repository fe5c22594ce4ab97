import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address as bytes: 4 for IPv4, 16 for IPv6. The one address type of Portico:
/// client addresses, trusted proxies and webhook targets all use it.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Nil unless there are exactly 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Strict textual form only (`inet_pton`): dotted-decimal IPv4 or IPv6 without
    /// brackets or zone. Nil for anything else, including the empty string.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.utf8.count <= 64, !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// Canonical text: dotted decimal for IPv4, the compressed form (`::1`,
    /// `::ffff:127.0.0.1`) for IPv6, without brackets.
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(AF_INET6, raw.baseAddress, &text, socklen_t(text.count))
        }
        guard written != nil else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `fc00::/7`; a bare address
/// is its own /32 or /128).
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Nil for anything but `ADDRESS` or `ADDRESS/BITS` with BITS in range (no crash on
    /// empty text, a lone `/`, or a huge number).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let maxBits = address.bytes.count * 8
        var length = maxBits
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.utf8.count), digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let bits = Int(digits), (0...maxBits).contains(bits)
            else { return nil }
            length = bits
        }
        self.address = address
        self.prefixLength = length
    }

    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for i in 0..<ip.bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
            if ip.bytes[i] & mask != address.bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }

    /// A comma-separated list of CIDRs (`PORTICO_TRUSTED_PROXIES`): each bad item named,
    /// an empty item included, never a crash.
    public static func parseList(_ text: String) -> Result<[CIDR], ListError> {
        var cidrs: [CIDR] = []
        var bad: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            if let cidr = CIDR(trimmed) { cidrs.append(cidr) } else { bad.append(trimmed) }
        }
        return bad.isEmpty ? .success(cidrs) : .failure(ListError(items: bad))
    }

    public struct ListError: Error, Equatable {
        public var items: [String]
    }
}
