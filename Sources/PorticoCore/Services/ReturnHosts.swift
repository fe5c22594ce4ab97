import Foundation

/// The rules for URLs Portico sends a browser to outside itself (return URLs,
/// redirect entities, the org's own URLs): http(s), no userinfo, and a host on the
/// org's allowlist (SPEC §4).
public enum ReturnHosts {
    /// An allowlist entry as stored: a lowercased ASCII (IDNA) host without a trailing
    /// dot, or `*.` and such a host. A bare `*` and anything with a scheme, path, port
    /// or space is refused (nil).
    public static func normalizedEntry(_ raw: String) -> String? {
        var entry = raw.trimmingCharacters(in: .whitespaces)
        var wildcard = false
        if entry.hasPrefix("*.") {
            wildcard = true
            entry.removeFirst(2)
        }
        guard let host = normalizedHost(entry), !host.isEmpty, host.utf8.count <= maxHostLength, host.contains(".") || !wildcard,
              host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." }),
              !host.hasPrefix("."), !host.contains("..")
        else { return nil }
        return wildcard ? "*." + host : host
    }

    /// The longest host name DNS allows (RFC 1035), for allowlist entries and for the
    /// refused hosts Portico records.
    public static let maxHostLength = 253

    /// Lowercased, IDNA-encoded, without a trailing dot.
    public static func normalizedHost(_ host: String) -> String? {
        var h = host.lowercased()
        if h.hasSuffix(".") { h.removeLast() }
        guard !h.isEmpty, !h.contains(where: { $0.isWhitespace }) else { return nil }
        let labels = h.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var out: [String] = []
        for label in labels {
            if label.unicodeScalars.allSatisfy(\.isASCII) {
                out.append(label)
            } else {
                guard let encoded = Punycode.encode(label) else { return nil }
                out.append("xn--" + encoded)
            }
        }
        return out.joined(separator: ".")
    }

    /// True when `host` (already normalized) is allowed by one of `entries`.
    public static func isAllowed(host: String, entries: [String]) -> Bool {
        entries.contains { entry in
            if entry.hasPrefix("*.") {
                let domain = String(entry.dropFirst(2))
                return host.hasSuffix("." + domain)
            }
            return entry != "*" && host == entry
        }
    }

    /// An absolute http(s) URL that is safe to store and to send as a `Location`:
    /// a host, no userinfo, at most 2,048 characters, and no ASCII control character
    /// or whitespace, raw or percent-decoded (SPEC §4), so no CR or LF from input can
    /// ever reach a header. The host, percent-decoded, holds only letters, digits, `-`
    /// and `.` (international names as such or in their `xn--` form).
    ///
    /// Returns the URL re-serialized from its parts (scheme and host lowercased, the
    /// host IDNA-encoded without a trailing dot): callers store and send that, never
    /// the input, so the check and the use cannot disagree.
    public static func httpURL(_ string: String) -> (url: String, host: String)? {
        guard !string.isEmpty, SafeText.isCleanURL(string),
              let components = URLComponents(string: string),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              components.percentEncodedUser == nil, components.percentEncodedPassword == nil,
              let rawHost = components.percentEncodedHost, !rawHost.isEmpty,
              let decodedHost = rawHost.removingPercentEncoding,
              decodedHost.unicodeScalars.allSatisfy({ !$0.isASCII || isHostCharacter($0) }),
              let host = normalizedHost(decodedHost), !host.isEmpty, !host.hasPrefix("."), !host.contains(".."),
              host.unicodeScalars.allSatisfy(isHostCharacter)
        else { return nil }
        if let port = components.port, !(1...65535).contains(port) { return nil }
        var rebuilt = URLComponents()
        rebuilt.scheme = scheme
        rebuilt.percentEncodedHost = host
        rebuilt.port = components.port
        rebuilt.percentEncodedPath = components.percentEncodedPath
        rebuilt.percentEncodedQuery = components.percentEncodedQuery
        rebuilt.percentEncodedFragment = components.percentEncodedFragment
        guard let url = rebuilt.string, !SafeText.hasControlOrSpace(url) else { return nil }
        return (url, host)
    }

    /// An absolute http(s) URL by the rules of `httpURL`.
    public static func isHTTPURL(_ string: String) -> Bool {
        httpURL(string) != nil
    }

    /// The URL, re-serialized, if it is an http(s) URL (`httpURL`) whose host is
    /// allowed by `entries`; else nil.
    public static func allowedURL(_ string: String, entries: [String]) -> String? {
        guard let (url, host) = httpURL(string), isAllowed(host: host, entries: entries) else { return nil }
        return url
    }

    private static func isHostCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".": true
        default: false
        }
    }
}

/// RFC 3492 Punycode, for IDNA host names.
enum Punycode {
    static func encode(_ input: String) -> String? {
        let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700
        var n = 128, delta = 0, bias = 72
        let scalars = input.unicodeScalars.map { Int($0.value) }
        var output = scalars.filter { $0 < 128 }.map { Character(Unicode.Scalar(UInt8($0))) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }
        func digit(_ d: Int) -> Character {
            Character(Unicode.Scalar(UInt8(d < 26 ? d + 97 : d + 22)))
        }
        func adapt(_ delta: Int, _ count: Int, _ first: Bool) -> Int {
            var delta = first ? delta / damp : delta / 2
            delta += delta / count
            var k = 0
            while delta > ((base - tMin) * tMax) / 2 {
                delta /= base - tMin
                k += base
            }
            return k + (base - tMin + 1) * delta / (delta + skew)
        }
        while handled < scalars.count {
            guard let m = scalars.filter({ $0 >= n }).min() else { return nil }
            delta += (m - n) * (handled + 1)
            n = m
            for c in scalars {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(output)
    }
}
