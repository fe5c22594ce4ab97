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
