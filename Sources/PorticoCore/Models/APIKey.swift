import FluentKit
import Foundation

/// An organization's Partner API key: 32 lowercase hex characters, shown once and
/// stored only as its SHA-256. `prefix` (the first 8 characters) names it in lists.
public final class APIKey: Model, @unchecked Sendable {
    public static let schema = "api_keys"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date

    // reference fields
    @Field(key: "org_id") public var orgID: UUID

    // data fields
    @Field(key: "name") public var name: String
    @Field(key: "prefix") public var prefix: String
    @Field(key: "key_hash") public var keyHash: String
    @Field(key: "created_by") public var createdBy: String
    @OptionalField(key: "last_used_at") public var lastUsedAt: Date?
    @OptionalField(key: "expires_at") public var expiresAt: Date?
    @OptionalField(key: "revoked_at") public var revokedAt: Date?

    public init() {}

    public init(id: UUID = UUID(), orgID: UUID, name: String, key: String, createdBy: String, now: Date) {
        self.id = id
        self.orgID = orgID
        self.name = name
        self.prefix = String(key.prefix(8))
        self.keyHash = Secrets.sha256Hex(key)
        self.createdBy = createdBy
        self.createdAt = now
    }
}
