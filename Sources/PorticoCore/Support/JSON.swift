import Foundation

/// The one JSON style of Portico's wire formats and stored payloads:
/// snake_case keys written by hand in `CodingKeys`, times as RFC 3339 with `Z`.
public enum PorticoJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(RFC3339.string(from: date))
        }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = RFC3339.date(from: s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: \(s)")
            }
            return date
        }
        return d
    }
}

/// RFC 3339 in UTC with `Z`, whole seconds (what every Portico time looks like on the wire).
public enum RFC3339 {
    public static func string(from date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)
        )
    }

    public static func date(from string: String) -> Date? {
        try? Date(string, strategy: .iso8601)
    }
}

extension KeyedEncodingContainer {
    /// UUIDs go on the wire in lowercase, like every other id Portico shows.
    public mutating func encode(_ value: UUID, forKey key: Key) throws {
        try encode(value.uuidString.lowercased(), forKey: key)
    }

    public mutating func encode(_ value: UUID?, forKey key: Key) throws {
        try encode(value?.uuidString.lowercased(), forKey: key)
    }

    public mutating func encodeIfPresent(_ value: UUID?, forKey key: Key) throws {
        try encodeIfPresent(value?.uuidString.lowercased(), forKey: key)
    }
}

/// Writing JSON text by hand where the shape is fixed and speed matters (event objects).
public enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    public static func quoted(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A value that writes its own JSON text, the same as `PorticoJSON.encoder()` would
/// (keys sorted, RFC 3339 times, lowercase UUIDs): the hot paths' objects, written
/// without JSONEncoder's per-call cost. `Outbox.payload` and the API's responses use it.
public protocol JSONTextEncodable: Encodable {
    var jsonText: String { get }
}

extension JSONText {
    /// `value` as JSON: a quoted string or `null`.
    public static func quoted(_ value: String?) -> String {
        value.map { quoted($0) } ?? "null"
    }

    /// A time as a quoted RFC 3339 string, or `null`.
    public static func time(_ value: Date?) -> String {
        value.map { "\"" + RFC3339.string(from: $0) + "\"" } ?? "null"
    }

    /// A UUID as a quoted lowercase string.
    public static func id(_ value: UUID) -> String {
        "\"" + value.uuidString.lowercased() + "\""
    }
}
