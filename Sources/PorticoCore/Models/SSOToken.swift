import FluentKit
import Foundation

/// A one-click sign-in token, stored as its SHA-256. Partner API tokens are 32 hex
/// characters; SSO API tokens are UUID strings and always single-use.
public final class SSOToken: Model, @unchecked Sendable {
    public static let schema = "sso_tokens"

    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "token_hash") public var tokenHash: String
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "subscription_id") public var subscriptionID: UUID
    @Field(key: "purpose") public var purpose: Purpose
    @OptionalField(key: "redirect_to") public var redirectTo: String?
    @OptionalField(key: "display") public var display: Int?
    @Field(key: "single_use") public var singleUse: Bool
    @Field(key: "expires_at") public var expiresAt: Date
    @OptionalField(key: "consumed_at") public var consumedAt: Date?

    public init() {}

    public enum Purpose: String, Codable, Sendable {
        case login
        case classroom
    }
}

/// A server-side browser session (member or admin), found by the SHA-256 of its cookie.
public final class Session: Model, @unchecked Sendable {
    public static let schema = "sessions"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_hash") public var sessionHash: String
    @OptionalField(key: "user_id") public var userID: UUID?
    @OptionalField(key: "admin_id") public var adminID: UUID?
    @OptionalField(key: "subscription_id") public var subscriptionID: UUID?
    @Field(key: "display") public var display: Int
    @OptionalField(key: "return_url") public var returnURL: String?
    @Field(key: "csrf_token") public var csrfToken: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "last_seen_at") public var lastSeenAt: Date
    @Field(key: "expires_at") public var expiresAt: Date

    public init() {}
}
