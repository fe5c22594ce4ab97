import Foundation

/// Checks on text that came from outside before it is stored, sent back in a header
/// or written to a log.
public enum SafeText {
    /// True when `text` holds an ASCII control character (NUL to US, DEL), a C1
    /// control, any Unicode whitespace or line/paragraph separator, or an invisible
    /// format character (zero-width space, byte-order mark, bidi controls): what must
    /// never reach a header, a redirect or a URL Portico stores.
    public static func hasControlOrSpace(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains { scalar in
            scalar.value < 0x21 || scalar.value == 0x7f || (scalar.value >= 0x80 && scalar.value < 0xa0)
                || scalar.properties.isWhitespace || scalar.value == 0x2028 || scalar.value == 0x2029
                || scalar.properties.generalCategory == .format
        }
    }

    /// A URL Portico may store, send as a `Location` or launch a member to: at most
    /// 2,048 characters, and no control character, whitespace or invisible format
    /// character, raw or percent-decoded (SPEC §4).
    public static func isCleanURL(_ text: String) -> Bool {
        text.utf8.count <= 2048 && !hasControlOrSpace(text) && !hasControlOrSpace(percentDecoding: text)
    }

    /// Whether the text, percent-decoded once, twice or three times (`%250d` is a CR to
    /// whatever decodes twice), holds a control character, DEL, whitespace or an
    /// invisible format character, or bytes that are not UTF-8 (overlong forms such as
    /// `%c0%8a` included). An invalid escape is left as it is.
    static func hasControlOrSpace(percentDecoding text: String) -> Bool {
        var current = Array(text.utf8)
        for _ in 0..<3 {
            guard current.contains(UInt8(ascii: "%")) else { return false }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(current.count)
            var rest = current[...]
            while let byte = rest.popFirst() {
                if byte == UInt8(ascii: "%"), rest.count >= 2,
                   let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) {
                    rest = rest.dropFirst(2)
                    bytes.append(value)
                } else {
                    bytes.append(byte)
                }
            }
            if bytes.contains(where: { $0 < 0x21 || $0 == 0x7f }) { return true }
            guard let decoded = String(validating: bytes, as: UTF8.self) else { return true }
            if SafeText.hasControlOrSpace(decoded) { return true }
            if bytes == current { return false }
            current = bytes
        }
        return false
    }

    /// True when a header value may be sent: no CR, LF or NUL (RFC 9110 §5.5).
    public static func isSafeHeaderValue(_ value: some StringProtocol) -> Bool {
        !value.utf8.contains { $0 == 0x0d || $0 == 0x0a || $0 == 0x00 }
    }

    /// True when JSON text holds an escaped NUL (`\u0000`) in a string. A raw NUL
    /// byte is not valid JSON and is refused by the parser; an escaped backslash
    /// followed by `u0000` is the literal text and does not count.
    public static func jsonHasEscapedNUL(_ bytes: some Sequence<UInt8>) -> Bool {
        // States: 0 outside an escape; 1 after a backslash; then 2...5 after `\u`, `\u0`, `\u00`, `\u000`.
        var state = 0
        for byte in bytes {
            switch state {
            case 0: if byte == UInt8(ascii: "\\") { state = 1 }
            case 1: state = byte == UInt8(ascii: "u") ? 2 : 0
            case 2, 3, 4:
                state = byte == UInt8(ascii: "0") ? state + 1 : (byte == UInt8(ascii: "\\") ? 1 : 0)
            default:
                if byte == UInt8(ascii: "0") { return true }
                state = byte == UInt8(ascii: "\\") ? 1 : 0
            }
        }
        return false
    }

    /// True when form or query text holds `%00` (a percent-encoded NUL) or a raw NUL.
    public static func formHasNUL(_ bytes: some Sequence<UInt8>) -> Bool {
        var state = 0
        for byte in bytes {
            if byte == 0 { return true }
            switch (state, byte) {
            case (_, UInt8(ascii: "%")): state = 1
            case (1, UInt8(ascii: "0")): state = 2
            case (2, UInt8(ascii: "0")): return true
            default: state = 0
            }
        }
        return false
    }
}

/// Text from input made safe for one log line: control characters, DEL, and line and
/// paragraph separators written as `\n`, `\r`, `\t` or `\u{…}`, backslashes doubled,
/// so no input can start a line of its own or forge a field.
public enum LogText {
    /// Whether `escaped` would change the text.
    public static func needsEscaping(_ text: some StringProtocol) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "\\") || $0 >= 0xc2 }
            && text.unicodeScalars.contains { isEscaped($0) || $0 == "\\" }
    }

    public static func escaped(_ text: some StringProtocol) -> String {
        guard needsEscaping(text) else { return String(text) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isEscaped(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7f || (scalar.value >= 0x80 && scalar.value < 0xa0)
            || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
