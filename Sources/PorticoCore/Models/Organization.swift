import FluentKit
import Foundation

/// A partner organization. Orgs form a tree (`parent_id`): a permission granted in
/// an org holds in all its descendants, and users may be subscribed to descendants.
public final class Organization: Model, @unchecked Sendable {
    public static let schema = "organizations"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    // reference fields
    @OptionalField(key: "parent_id") public var parentID: UUID?

    // data fields
    @Field(key: "slug") public var slug: String
    @Field(key: "name") public var name: String

    // settings (SPEC §1, "Org settings")
    @Field(key: "anonymous_users_enabled") public var anonymousUsersEnabled: Bool
    @Field(key: "sso_token_ttl") public var ssoTokenTTL: Int
    @Field(key: "sso_token_single_use") public var ssoTokenSingleUse: Bool
    @Field(key: "sso_api_token_ttl") public var ssoAPITokenTTL: Int
    @Field(key: "allowed_return_hosts") public var allowedReturnHosts: [String]
    @OptionalField(key: "landing_url") public var landingURL: String?
    @OptionalField(key: "invalid_token_url") public var invalidTokenURL: String?
    @OptionalField(key: "expired_token_url") public var expiredTokenURL: String?
    /// Where members are sent to sign in for an OpenID Connect request (SPEC §10).
    @OptionalField(key: "login_url") public var loginURL: String?

    public init() {}

    public init(id: UUID = UUID(), slug: String, name: String, parentID: UUID?, now: Date) {
        self.id = id
        self.slug = slug
        self.name = name
        self.parentID = parentID
        self.anonymousUsersEnabled = false
        self.ssoTokenTTL = Self.defaultSSOTokenTTL
        self.ssoTokenSingleUse = true
        self.ssoAPITokenTTL = Self.defaultSSOAPITokenTTL
        self.allowedReturnHosts = []
        self.createdAt = now
        self.updatedAt = now
    }

    public static let defaultSSOTokenTTL = 172_800
    public static let defaultSSOAPITokenTTL = 300
    public static let slugPattern = "^[a-z0-9][a-z0-9-]{1,62}$"

    public static func isValidSlug(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard (2...63).contains(bytes.count) else { return false }
        func ok(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        return ok(bytes[0]) && bytes.dropFirst().allSatisfy { ok($0) || $0 == 45 }
    }
}

/// The per-org event counter: `sequence` of the org's next event is `last_sequence + 1`,
/// taken in the same transaction that writes the event.
public final class EventCounter: Model, @unchecked Sendable {
    public static let schema = "event_counters"

    @ID(custom: "org_id", generatedBy: .user) public var id: UUID?
    @Field(key: "last_sequence") public var lastSequence: Int64

    public init() {}
    public init(orgID: UUID) {
        self.id = orgID
        self.lastSequence = 0
    }
}
