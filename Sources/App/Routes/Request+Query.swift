import Foundation
import Vapor

extension Request {
    /// The query parameter `name`, read the way Vapor's URL query decoder reads a
    /// `String` (`req.query[String.self, at: name]`): pairs split at `&` and the first
    /// `=`, `+` as a space, percent-decoding, the last occurrence winning, nil when the
    /// value's encoding is malformed. It scans the query once and decodes only the
    /// matching pair, where the decoder parses the whole query into a tree each time it
    /// is asked: on the sign-in path that was a tenth of the server's CPU.
    func queryValue(_ name: String) -> String? {
        guard let query = url.query else { return nil }
        var found: Substring?
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = Substring(pair[pair.startIndex..<equals])
            guard key == name || Self.formDecoded(key) == name else { continue }
            found = Substring(pair[pair.index(after: equals)...])
        }
        return found.flatMap(Self.formDecoded)
    }

    /// A query component decoded: `+` is a space, then percent-escapes.
    private static func formDecoded(_ component: Substring) -> String? {
        if !component.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return String(component) }
        return component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
