import FluentKit
import Foundation

/// A person known to a partner by its `partner_id` (unique per org, case-sensitive).
public final class User: Model, @unchecked Sendable {
    public static let schema = "users"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    // reference fields
    @Field(key: "org_id") public var orgID: UUID

    // data fields
    @Field(key: "partner_id") public var partnerID: String
    @OptionalField(key: "email") public var email: String?
    @OptionalField(key: "first_name") public var firstName: String?
    @OptionalField(key: "last_name") public var lastName: String?
    @Field(key: "anonymous") public var anonymous: Bool
    /// Set for anonymous users only: after it the user is gone everywhere.
    @OptionalField(key: "expires_at") public var expiresAt: Date?

    public init() {}
}

/// A user's membership in an organization, with the redirect entity of the SSO API.
public final class Subscription: Model, @unchecked Sendable {
    public static let schema = "subscriptions"

    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "org_id") public var orgID: UUID

    // redirect entity (SPEC §5)
    @OptionalField(key: "logout_url") public var logoutURL: String?
    @OptionalField(key: "invalid_token_url") public var invalidTokenURL: String?
    @OptionalField(key: "expired_token_url") public var expiredTokenURL: String?

    public init() {}

    public init(id: UUID = UUID.timeOrdered(), userID: UUID, orgID: UUID, now: Date) {
        self.id = id
        self.userID = userID
        self.orgID = orgID
        self.createdAt = now
    }
}
