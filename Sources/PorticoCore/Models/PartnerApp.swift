import FluentKit
import Foundation

/// A partner site (SPEC §1): where members are launched out to with launch codes (§6),
/// and an OpenID Connect client (§10). Its key `k` and its client secret are stored as
/// SHA-256; the code-encryption key is derived from `PORTICO_SECRET`, never stored.
public final class PartnerApp: Model, @unchecked Sendable {
    public static let schema = "partner_apps"

    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    @Field(key: "org_id") public var orgID: UUID
    @Field(key: "slug") public var slug: String
    @Field(key: "name") public var name: String
    /// `''` for an app without one (see `launchURLIfAny`).
    @Field(key: "launch_url") public var launchURL: String
    /// `noKeyHash` for an app without a launch URL, which has no `k`.
    @Field(key: "key_hash") public var keyHash: String
    @Field(key: "enabled") public var enabled: Bool
    @OptionalField(key: "client_id") public var clientID: String?
    @OptionalField(key: "client_secret_hash") public var clientSecretHash: String?
    /// JSON arrays of strings.
    @Field(key: "redirect_uris") public var redirectURIsJSON: String
    @Field(key: "post_logout_redirect_uris") public var postLogoutRedirectURIsJSON: String
    @Field(key: "is_public") public var isPublic: Bool

    public init() {}

    public var launchURLIfAny: String? { launchURL.isEmpty ? nil : launchURL }
    public var hasKey: Bool { !keyHash.hasPrefix(Self.noKeyPrefix) }
    public var redirectURIs: [String] { OpenIDConnect.decodeList(redirectURIsJSON) }
    public var postLogoutRedirectURIs: [String] { OpenIDConnect.decodeList(postLogoutRedirectURIsJSON) }

    /// `app_` and 24 random lowercase hex characters.
    public static func newClientID() -> String { "app_" + Secrets.hex(byteCount: 12) }

    static let noKeyPrefix = "none:"
    /// A `key_hash` no key hashes to (not hex), unique per app.
    static func noKeyHash() -> String { noKeyPrefix + Secrets.hex(byteCount: 16) }
}
