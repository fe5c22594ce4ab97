import FluentKit
import Foundation

/// An administrator of one organization, with permissions that also hold in the
/// org's descendants.
public final class Admin: Model, @unchecked Sendable {
    public static let schema = "admins"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    // reference fields
    @Field(key: "org_id") public var orgID: UUID

    // data fields
    /// Stored lowercased: emails are unique case-insensitively.
    @Field(key: "email") public var email: String
    @Field(key: "password_hash") public var passwordHash: String
    @Field(key: "permissions") public var permissions: [String]

    public init() {}

    public init(id: UUID = UUID(), orgID: UUID, email: String, passwordHash: String, permissions: [Permission], now: Date) {
        self.id = id
        self.orgID = orgID
        self.email = email.lowercased()
        self.passwordHash = passwordHash
        self.permissions = permissions.map(\.rawValue)
        self.createdAt = now
        self.updatedAt = now
    }

    /// The admin with this email (emails are stored lowercased and unique).
    public static func find(email: String, on db: any Database) async throws -> Admin? {
        try await Admin.query(on: db).filter(\.$email == email.lowercased()).first()
    }

    public enum Permission: String, CaseIterable, Codable, Sendable {
        case manageKeys = "manage_keys"
        case manageWebhooks = "manage_webhooks"
        case manageUsers = "manage_users"
        case useSSOAPI = "use_sso_api"
        case manageOrg = "manage_org"
    }
}

/// A bearer token for the SSO API, issued by `AdminApi/Authenticate`. Stored hashed.
public final class AdminAccessToken: Model, @unchecked Sendable {
    public static let schema = "admin_access_tokens"

    @ID(key: .id) public var id: UUID?
    @Field(key: "token_hash") public var tokenHash: String
    @Field(key: "admin_id") public var adminID: UUID
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "expires_at") public var expiresAt: Date
    @OptionalField(key: "revoked_at") public var revokedAt: Date?

    public init() {}
}
