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
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: a time outside is written as the
    /// nearer of the two (and a NaN as the first) instead of trapping in `time_t(_:)`.
    static let representable: ClosedRange<Double> = -62_135_596_800 ... 253_402_300_799

    public static func string(from date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        var t = time_t(seconds.isNaN ? representable.lowerBound : min(max(seconds, representable.lowerBound), representable.upperBound))
        var parts = tm()
        gmtime_r(&t, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else {
            return String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
                year, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)
            )
        }
        // The digits written by hand: `String(format:)` was most of the cost of a user's JSON.
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            put(Int(parts.tm_mon) + 1, 2, at: 5)
            put(Int(parts.tm_mday), 2, at: 8)
            put(Int(parts.tm_hour), 2, at: 11)
            put(Int(parts.tm_min), 2, at: 14)
            put(Int(parts.tm_sec), 2, at: 17)
            (buffer[4], buffer[7], buffer[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
            (buffer[13], buffer[16], buffer[19]) = (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "Z"))
            return 20
        }
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

/// An optional wire field that is written as `null` when absent (Portico's objects
/// never leave a key out), and read as absent when the key is missing or `null`.
/// The one way to say so: no type writes its own `encode(to:)` for it.
@propertyWrapper
public struct NullEncoded<Value: Codable & Sendable>: Codable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch wrappedValue {
        case nil: try container.encodeNil()
        // UUIDs go on the wire in lowercase, like every other id Portico shows.
        case let uuid as UUID: try container.encode(uuid.uuidString.lowercased())
        case let value?: try container.encode(value)
        }
    }
}

extension NullEncoded: Equatable where Value: Equatable {}

extension KeyedDecodingContainer {
    /// A missing key is an absent value, as for a plain optional.
    public func decode<T>(_ type: NullEncoded<T>.Type, forKey key: Key) throws -> NullEncoded<T> {
        try decodeIfPresent(type, forKey: key) ?? NullEncoded(wrappedValue: nil)
    }
}
