import Foundation

/// Where a browser may be sent after sign-in (SPEC §4, `redirect_to`): only to a path
/// on Portico itself. Everything else is ignored, never followed.
public enum Redirects {
    /// The path `raw` names on Portico, or nil when it could lead elsewhere. Judged after
    /// percent-decoding: a single leading `/`, no `//`, no backslash, no control character
    /// or whitespace. An absolute URL on `publicURL`'s own origin is reduced to its path.
    public static func safePath(_ raw: String, publicURL: String) -> String? {
        var candidate = raw
        if let origin = origin(of: publicURL), candidate.lowercased().hasPrefix(origin.lowercased()) {
            candidate = String(candidate.dropFirst(origin.count))
            if candidate.isEmpty { candidate = "/" }
            guard candidate.hasPrefix("/") else { return nil }  // https://portico.example.evil.com
        }
        guard isSafe(candidate), let decoded = candidate.removingPercentEncoding, isSafe(decoded) else { return nil }
        return candidate
    }

    private static func isSafe(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.hasPrefix("//") else { return false }
        return !path.unicodeScalars.contains { s in
            s == "\\" || s.value < 0x20 || s.value == 0x7f || s.properties.isWhitespace
                || (s.value >= 0x80 && s.value <= 0x9f)
        }
    }

    /// `scheme://host[:port]` of an absolute URL.
    static func origin(of url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host else { return nil }
        return "\(scheme)://\(host)" + (c.port.map { ":\($0)" } ?? "")
    }
}
