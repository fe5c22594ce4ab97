import Foundation
import Logging
import NIOConcurrencyHelpers

/// `LOG_FORMAT=json`: one JSON object per line, the shape log shippers read —
/// `{"timestamp":"2026-05-01T12:00:00.123Z","level":"info","message":"…","label":"…",
/// "source":"App","request_id":"…",…}`. Every metadata key (the handler's, the provider's
/// and the call's) is a field of its own, with `-` written `_` (`request-id` →
/// `request_id`); a key that would shadow one of the five fixed fields gets a `meta_`
/// prefix. Numbers and booleans given as metadata stay JSON numbers and booleans.
///
/// Strings are escaped here, whole: `"` and `\`, every control character (C0, DEL and
/// C1) as `\n`, `\r`, `\t` or `\u00XX`, and U+2028 / U+2029, so a value from input can
/// never end the line or the object. It is therefore used instead of the
/// `EscapingLogHandler`, never under it (that would escape twice).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// Where finished lines go (each ends with `\n`): standard error unless told otherwise.
    let write: @Sendable (String) -> Void

    init(label: String, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil,
         write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let reservedKeys: Set<String> = ["timestamp", "level", "message", "label", "source"]

    func log(event: LogEvent) {
        write(Self.line(
            date: Date(), level: event.level, message: event.message.description, label: label, source: event.source,
            metadata: mergedMetadata(event.metadata, error: event.error)
        ))
    }

    /// The handler's metadata, the provider's, the call's and the error's (as the stream
    /// handler names them: `error.message`, `error.type`), later ones winning.
    private func mergedMetadata(_ explicit: Logger.Metadata?, error: (any Error)?) -> Logger.Metadata {
        var all = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { all.merge(provided) { _, new in new } }
        if let explicit, !explicit.isEmpty { all.merge(explicit) { _, new in new } }
        if let error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return all
    }

    /// One whole line, `\n` included.
    static func line(date: Date, level: Logger.Level, message: String, label: String, source: String, metadata: Logger.Metadata) -> String {
        var out = "{\"timestamp\":\""
        out.reserveCapacity(160 + message.utf8.count)
        out += timestamp(date)
        out += "\",\"level\":\""
        out += level.rawValue
        out += "\",\"message\":"
        appendString(message, to: &out)
        out += ",\"label\":"
        appendString(label, to: &out)
        out += ",\"source\":"
        appendString(source, to: &out)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            var name = key.replacingOccurrences(of: "-", with: "_")
            if reservedKeys.contains(name) { name = "meta_" + name }
            out += ","
            appendString(name, to: &out)
            out += ":"
            appendValue(value, to: &out)
        }
        out += "}\n"
        return out
    }

    static func appendValue(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text):
            appendString(text, to: &out)
        case .stringConvertible(let convertible):
            switch convertible {
            case let flag as Bool: out += flag ? "true" : "false"
            case let number as any BinaryInteger: out += number.description
            case let number as Double where number.isFinite: out += number.description
            case let number as Float where number.isFinite: out += number.description
            default: appendString(convertible.description, to: &out)
            }
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                appendValue(element, to: &out)
            }
            out += "]"
        case .dictionary(let values):
            out += "{"
            for (index, (key, element)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                appendValue(element, to: &out)
            }
            out += "}"
        }
    }

    /// A JSON string literal. (Swift strings are valid Unicode: bytes that were not valid
    /// UTF-8 were already replaced by U+FFFD when the string was made.)
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        // The common case: nothing to escape (no control, quote, backslash or non-ASCII byte
        // that could be C1 or U+2028/9).
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c || $0 >= 0x7f }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5c: out += "\\\\"
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7f..<0xa0, 0x2028, 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// RFC 3339 in UTC with milliseconds: `2026-05-01T12:00:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var millis = Int(((interval - Double(seconds)) * 1000).rounded(.down))
        if millis >= 1000 { seconds += 1; millis -= 1000 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        return pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
            + "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
            + "." + pad(millis, 3) + "Z"
    }

    private static let lock = NIOLock()

    /// Writes a line to standard error in one piece; lines of concurrent loggers never interleave.
    @Sendable static func standardError(_ line: String) {
        let data = Data(line.utf8)
        lock.withLock { FileHandle.standardError.write(data) }
    }
}
