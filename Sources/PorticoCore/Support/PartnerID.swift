/// The partner's own identifier for a user (seed 000, "ID Format"): digits, letters,
/// `-` and `_`, 1 to 255 characters. `anonymous` is reserved: it is the path of the
/// anonymous-user endpoint.
public struct PartnerID: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public static let reserved = "anonymous"
    public static let invalidMessage = "partner_id may contain only letters, digits, '-' and '_' (1-255 characters)"

    /// Nil when `raw` breaks the format. `anonymous` passes here; callers decide
    /// what it means on their endpoint.
    public init?(_ raw: String) {
        let bytes = raw.utf8
        guard (1...255).contains(bytes.count),
              bytes.allSatisfy({ b in
                  (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95
              })
        else { return nil }
        value = raw
    }

    public var isReserved: Bool { value == Self.reserved }
    public var description: String { value }
}
