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
        guard let host = normalizedHost(entry), !host.isEmpty, host.contains(".") || !wildcard,
              host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." }),
              !host.hasPrefix("."), !host.contains("..")
        else { return nil }
        return wildcard ? "*." + host : host
    }

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

    /// An absolute http(s) URL with a host and no userinfo.
    public static func isHTTPURL(_ string: String) -> Bool {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil
        else { return false }
        return true
    }

    /// The URL if it is an http(s) URL whose host is allowed by `entries`, else nil.
    public static func allowedURL(_ string: String, entries: [String]) -> String? {
        guard isHTTPURL(string), let components = URLComponents(string: string),
              let rawHost = components.percentEncodedHost ?? components.host,
              let host = normalizedHost(rawHost.removingPercentEncoding ?? rawHost),
              isAllowed(host: host, entries: entries)
        else { return nil }
        return string
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
