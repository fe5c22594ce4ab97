import Foundation

/// SSO tokens (SPEC §1, §3, §5): when one expires, and a token as the stores read it.
public enum SSOTokens {
    /// A token lives the org's TTL from its issue, but never longer than an anonymous
    /// user does (the one place this rule is decided; both engines bind its result).
    public static func expiry(issuedAt: Date, ttl: Int, userExpiresAt: Date?) -> Date {
        let byTTL = issuedAt.addingTimeInterval(TimeInterval(ttl))
        guard let userExpiresAt else { return byTTL }
        return min(byTTL, userExpiresAt)
    }

    /// A stored token found by its hash, with what redeeming it needs: its user (nil
    /// when gone) and the org of the subscription it signs into (nil when gone).
    public struct Stored: Sendable {
        public var id: UUID
        public var subscriptionID: UUID
        public var purpose: SSOToken.Purpose
        public var redirectTo: String?
        public var display: Int?
        public var singleUse: Bool
        public var expiresAt: Date
        public var consumed: Bool
        public var user: UserRecord?
        public var subscriptionOrgID: UUID?

        public init(
            id: UUID, subscriptionID: UUID, purpose: SSOToken.Purpose, redirectTo: String?, display: Int?, singleUse: Bool,
            expiresAt: Date, consumed: Bool, user: UserRecord?, subscriptionOrgID: UUID?
        ) {
            self.id = id
            self.subscriptionID = subscriptionID
            self.purpose = purpose
            self.redirectTo = redirectTo
            self.display = display
            self.singleUse = singleUse
            self.expiresAt = expiresAt
            self.consumed = consumed
            self.user = user
            self.subscriptionOrgID = subscriptionOrgID
        }
    }
}

extension UserUpsert {
    /// The expiry of the token this request issues to `user` (`SSOTokens.expiry`).
    public func tokenExpiry(for user: UserRecord) -> Date {
        SSOTokens.expiry(issuedAt: now, ttl: tokenTTL, userExpiresAt: user.expiresAt)
    }
}
