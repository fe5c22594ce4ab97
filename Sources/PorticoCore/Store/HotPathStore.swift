import Foundation

/// The requests that arrive in bursts (a class of 300 clicking "Practice interviews"
/// at 9:00) go through this one interface, so their SQL can be tuned per engine
/// without touching a handler.
public protocol HotPathStore: OIDCHotPaths, RetentionStore {
    /// The API key whose SHA-256 is `hash`, with what a request needs of its org.
    func apiKey(hash: String) async throws -> APIKeyContext?

    /// Records that a key was used (callers throttle how often).
    func markAPIKeyUsed(id: UUID, at: Date) async throws

    /// The org's live user with this partner_id (an expired anonymous user is gone).
    func user(orgID: UUID, partnerID: String, now: Date) async throws -> UserRecord?

    /// Creates the user, its subscription in the org and `user.created` (in one
    /// transaction), or finds the existing one; either way issues a new SSO token.
    /// Nil when the user exists but is an expired anonymous user.
    func createOrRefreshUser(_ request: UserUpsert) async throws -> UserUpsertResult?

    /// The org's completed chapters for a live user (chapter number → time), or nil
    /// when there is no such live user.
    func trackProgress(orgID: UUID, partnerID: String, now: Date) async throws -> (UserRecord, [Int: Date])?

    /// Redeems an SSO token into a new member session (replacing the browser's earlier
    /// one), consuming it when it is single-use and writing `user.signed_in`, all in
    /// one transaction: of two parallel redemptions of a single-use token, one wins.
    func redeemSSOToken(_ request: SignIn.Request) async throws -> SignIn.Outcome

    /// Records a launch (valid 60 seconds from `issuedAt`).
    func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date) async throws

    /// Writes tokens issued in bulk (benchmark seeding) with the very statement
    /// `createOrRefreshUser` issues a token with, many per transaction.
    func insertTokens(_ tokens: [IssuedToken]) async throws

    /// Appends events in bulk (benchmark seeding) with the statements every event is
    /// appended with (the org's counter, then the event), many per transaction.
    func insertEvents(_ events: [Outbox.NewEvent]) async throws

    /// Records launches in bulk (benchmark seeding) with `insertLaunch`'s statement.
    func insertLaunches(_ launches: [(id: UUID, appID: UUID, userID: UUID, issuedAt: Date)]) async throws

    /// The enabled partner app whose key `k` hashes to `keyHash`.
    func partnerApp(keyHash: String) async throws -> PartnerAppContext?

    /// Uses a launch once: `.userGone` when its user no longer exists (checked first),
    /// `.notValid` when the launch is unknown, used, expired or not this app's.
    func redeemLaunch(id: UUID, appID: UUID, userID: UUID, now: Date) async throws -> LaunchRedemption
}

/// An SSO token row as the stores write it (the token itself never reaches a store).
public struct IssuedToken: Sendable {
    public var id: UUID
    public var tokenHash: String
    public var userID: UUID
    public var subscriptionID: UUID
    public var purpose: SSOToken.Purpose
    public var singleUse: Bool
    public var expiresAt: Date
    public var createdAt: Date

    public init(
        id: UUID = UUID.timeOrdered(), tokenHash: String, userID: UUID, subscriptionID: UUID, purpose: SSOToken.Purpose = .login,
        singleUse: Bool, expiresAt: Date, createdAt: Date
    ) {
        self.id = id
        self.tokenHash = tokenHash
        self.userID = userID
        self.subscriptionID = subscriptionID
        self.purpose = purpose
        self.singleUse = singleUse
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }
}

extension UserUpsert {
    /// The token this request issues to `user`.
    public func token(for user: UserRecord) -> IssuedToken {
        IssuedToken(
            tokenHash: tokenHash, userID: user.id, subscriptionID: user.subscriptionID, singleUse: tokenSingleUse,
            expiresAt: tokenExpiry(for: user), createdAt: now
        )
    }
}

public struct PartnerAppContext: Sendable, Equatable {
    public var id: UUID
    public var orgID: UUID
    public var keyHash: String
}

public enum LaunchRedemption: Sendable {
    case redeemed(UserRecord)
    case userGone
    case notValid
}

/// An API key and the settings of its org that the Partner API needs per request.
public struct APIKeyContext: Sendable, Equatable {
    public var keyID: UUID
    public var orgID: UUID
    public var prefix: String
    public var keyHash: String
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var anonymousUsersEnabled: Bool
    public var ssoTokenTTL: Int
    public var ssoTokenSingleUse: Bool

    public func isUsable(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// What create/refresh needs: who, the profile for a new user, and the token rules.
public struct UserUpsert: Sendable {
    public var orgID: UUID
    public var partnerID: String
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    /// Set for anonymous users: when they stop existing.
    public var anonymousExpiresAt: Date?
    /// The new token's hash; the token itself never reaches the store.
    public var tokenHash: String
    public var tokenTTL: Int
    public var tokenSingleUse: Bool
    public var now: Date

    public init(
        orgID: UUID, partnerID: String, email: String? = nil, firstName: String? = nil, lastName: String? = nil,
        anonymousExpiresAt: Date? = nil, tokenHash: String, tokenTTL: Int, tokenSingleUse: Bool, now: Date
    ) {
        self.orgID = orgID
        self.partnerID = partnerID
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.anonymousExpiresAt = anonymousExpiresAt
        self.tokenHash = tokenHash
        self.tokenTTL = tokenTTL
        self.tokenSingleUse = tokenSingleUse
        self.now = now
    }
}

extension UserUpsert {
    /// The user this request makes when its partner id is new: fresh ids, the
    /// request's profile, anonymous when it has an expiry.
    public func newUser() -> UserRecord {
        UserRecord(
            id: UUID.timeOrdered(), orgID: orgID, subscriptionID: UUID.timeOrdered(), partnerID: partnerID,
            email: email, firstName: firstName, lastName: lastName,
            anonymous: anonymousExpiresAt != nil, expiresAt: anonymousExpiresAt,
            createdAt: now, updatedAt: now
        )
    }
}

public struct UserUpsertResult: Sendable {
    public var user: UserRecord
    public var created: Bool
    public var tokenExpiresAt: Date
}

/// The OpenID Connect provider's hot paths (SPEC §10): the token endpoint and UserInfo.
/// What a code or token comes to is decided in `OpenIDConnect`; stores read and write.
public protocol OIDCHotPaths: Sendable {
    /// The app whose `client_id` this is (enabled or not).
    func oidcClient(clientID: String) async throws -> OpenIDConnect.Client?

    /// The code whose SHA-256 is `hash`, with its session, user and entitlement.
    func oidcCode(hash: String) async throws -> OpenIDConnect.StoredCode?

    /// Marks the code used and writes its tokens, in one transaction; false (and nothing
    /// written) when another request used it first.
    func redeemOIDCCode(id: UUID, now: Date, tokens: [OpenIDConnect.NewToken]) async throws -> Bool

    /// The access or refresh token whose SHA-256 is `hash`, with its app's state and user.
    func oidcToken(hash: String) async throws -> OpenIDConnect.StoredToken?

    /// Revokes every live token of a family (all issued from one code).
    func revokeOIDCFamily(_ familyID: UUID, now: Date) async throws
}
