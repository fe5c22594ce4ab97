import FluentKit
import Foundation

/// A partner site that members are launched out to (SPEC §6). Its key `k` is stored
/// as a SHA-256; the code-encryption key is derived from `PORTICO_SECRET`, never stored.
public final class PartnerApp: Model, @unchecked Sendable {
    public static let schema = "partner_apps"

    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    @Field(key: "org_id") public var orgID: UUID
    @Field(key: "slug") public var slug: String
    @Field(key: "name") public var name: String
    @Field(key: "launch_url") public var launchURL: String
    @Field(key: "key_hash") public var keyHash: String
    @Field(key: "enabled") public var enabled: Bool

    public init() {}
}
