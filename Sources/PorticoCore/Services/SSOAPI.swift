import FluentKit
import Foundation
import SQLKit

/// The SSO API's domain (seed 002, SPEC §5): admin access tokens, permissions that
/// hold down the org tree, and single-use sign-in tokens for a subscription.
public enum SSOAPIService {
    /// Access tokens live an hour unless the caller asks for a date (at most 30 days ahead).
    public static let accessTokenLifetime: TimeInterval = 3600
    public static let maxAccessTokenLifetime: TimeInterval = 30 * 86_400

    /// Issues an access token (a UUID string, stored as the SHA-256 of its lowercase form).
    public static func issueAccessToken(admin: Admin, expiresAt: Date, now: Date, ip: String?, store: PorticoStore) async throws -> String {
        let token = UUID().uuidString.lowercased()
        let record = AdminAccessToken()
        record.id = UUID.timeOrdered()
        record.tokenHash = Secrets.sha256Hex(token)
        record.adminID = try admin.requireID()
        record.createdAt = now
        record.expiresAt = expiresAt
        try await store.write { db in
            try await record.create(on: db)
            try await Audit.record(orgID: admin.orgID, actor: "admin:" + admin.email, action: "ssoapi.authenticate", target: nil, at: now, ip: ip, on: db)
        }
        return token
    }

    public enum AccessTokenState: Sendable {
        case valid(adminID: UUID, expiresAt: Date)
        case missing, unknown, revoked, expired

        public var reason: String? {
            switch self {
            case .valid: nil
            case .missing: "access_token is missing"
            case .unknown: "access_token is not valid"
            case .revoked: "access_token has been revoked"
            case .expired: "access_token has expired"
            }
        }
    }

    public static func accessToken(_ raw: String?, now: Date, on db: any Database) async throws -> AccessTokenState {
        guard let raw, !raw.isEmpty else { return .missing }
        guard raw.utf8.count == 36, let uuid = UUID(uuidString: raw) else { return .unknown }
        let hash = Secrets.sha256Hex(uuid.uuidString.lowercased())
        guard let token = try await AdminAccessToken.query(on: db).filter(\.$tokenHash == hash).first(),
              Secrets.constantTimeEquals(token.tokenHash, hash)
        else { return .unknown }
        if token.revokedAt != nil { return .revoked }
        guard token.expiresAt > now else { return .expired }
        return .valid(adminID: token.adminID, expiresAt: token.expiresAt)
    }

    /// Revokes every SSO API access token the admin holds (a lost laptop, a leaked
    /// token, someone leaving); audited. Returns how many were still live.
    @discardableResult
    public static func revokeAccessTokens(adminEmail: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore) async throws -> Int {
        try await store.write { db in
            let email = adminEmail.lowercased()
            guard let admin = try await Admin.find(email: email, on: db) else {
                throw PorticoError.notFound("no admin with email '\(email)'")
            }
            let revoked = try await db.sql.raw("""
                UPDATE admin_access_tokens SET revoked_at = \(bind: now) \
                WHERE admin_id = \(bind: admin.requireID()) AND revoked_at IS NULL AND expires_at > \(bind: now) RETURNING id
                """).all().count
            try await Audit.record(orgID: admin.orgID, actor: actor, action: "admin.tokens_revoked", target: email, at: now, ip: ip, on: db)
            return revoked
        }
    }

    /// True when the admin holds `permission` in `orgID` or one of its ancestors.
    public static func admin(_ admin: Admin, has permission: Admin.Permission, in orgID: UUID, on db: any Database) async throws -> Bool {
        guard admin.permissions.contains(permission.rawValue) else { return false }
        return try await Organizations.lineage(of: orgID, on: db).contains { $0.id == admin.orgID }
    }

    /// The subscription a SignIn names (SPEC §5): `user_id` and `org_id` together name
    /// that user's subscription in that org; otherwise `subscription_id` does (with a
    /// warning when it also names another one than the pair). One of the pair alone,
    /// or nothing, is invalid (422); an unknown user, org or subscription is not found
    /// (409). Absent, null, "" and the nil UUID all arrive here as nil.
    public static func subscription(
        userID: UUID?, orgID: UUID?, subscriptionID: UUID?, on db: any Database
    ) async throws -> (Subscription, warnings: [String]) {
        switch (userID, orgID) {
        case let (user?, org?):
            guard try await User.find(user, on: db) != nil else { throw PorticoError.notFound("no user \(user.uuidString.lowercased())") }
            guard try await Organization.find(org, on: db) != nil else { throw PorticoError.notFound("no organization \(org.uuidString.lowercased())") }
            guard let found = try await Subscription.query(on: db).filter(\.$userID == user).filter(\.$orgID == org).first() else {
                throw PorticoError.notFound("the user has no subscription in that organization")
            }
            var warnings: [String] = []
            if let subscriptionID, subscriptionID != found.id {
                warnings.append("subscription_id names another subscription than user_id and org_id; user_id and org_id were used")
            }
            return (found, warnings)
        case (nil, nil):
            guard let subscriptionID else { throw PorticoError.invalid("give user_id and org_id, or subscription_id") }
            guard let found = try await Subscription.find(subscriptionID, on: db) else {
                throw PorticoError.notFound("no subscription \(subscriptionID.uuidString.lowercased())")
            }
            return (found, [])
        default:
            throw PorticoError.invalid("user_id and org_id go together; give both, or subscription_id")
        }
    }

    /// The subscription of a Classroom's enrollment (409 when either is unknown).
    public static func subscription(enrollmentID: UUID, on db: any Database) async throws -> Subscription {
        guard let enrollment = try await Enrollment.find(enrollmentID, on: db),
              let subscription = try await Subscription.find(enrollment.subscriptionID, on: db)
        else { throw PorticoError.notFound("no enrollment \(enrollmentID.uuidString.lowercased())") }
        return subscription
    }

    /// A redirect entity change: for each URL, nil leaves it, `""` clears it.
    public struct RedirectEntityChange: Sendable {
        public var logoutURL: String?
        public var invalidTokenURL: String?
        public var expiredTokenURL: String?

        public init(logoutURL: String? = nil, invalidTokenURL: String? = nil, expiredTokenURL: String? = nil) {
            self.logoutURL = logoutURL
            self.invalidTokenURL = invalidTokenURL
            self.expiredTokenURL = expiredTokenURL
        }
    }

    /// Issues a single-use SSO token (a UUID string) for the subscription, storing the
    /// redirect entity first. URLs on hosts that are not allowed are not stored; each
    /// comes back as a warning.
    public static func issueSignInToken(
        subscription: Subscription, purpose: SSOToken.Purpose, display: Int, redirectTo: String?,
        redirectEntity: RedirectEntityChange?, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> (token: String, expiresIn: Int, warnings: [String]) {
        let db = store.db
        guard let org = try await Organization.find(subscription.orgID, on: db) else { throw PorticoError.notFound("organization not found") }
        let hosts = try await Organizations.allowedReturnHosts(of: subscription.orgID, on: db)
        var warnings: [String] = []
        var refused: [String] = []
        if let change = redirectEntity {
            for (value, keyPath, name) in [
                (change.logoutURL, \Subscription.logoutURL, "logout_url"),
                (change.invalidTokenURL, \Subscription.invalidTokenURL, "invalid_token_url"),
                (change.expiredTokenURL, \Subscription.expiredTokenURL, "expired_token_url"),
            ] {
                guard let value else { continue }
                if value.isEmpty {
                    subscription[keyPath: keyPath] = nil
                } else if let allowed = ReturnHosts.allowedURL(value, entries: hosts) {
                    subscription[keyPath: keyPath] = allowed
                } else {
                    refused.append(value)
                    warnings.append(
                        "\(name) was not stored: it must be an http(s) URL without spaces or control characters, on an allowed return host of the organization"
                    )
                }
            }
        }
        let token = UUID().uuidString.lowercased()
        let ttl = org.ssoAPITokenTTL
        let record = SSOToken()
        record.id = UUID.timeOrdered()
        record.createdAt = now
        record.tokenHash = Secrets.sha256Hex(token)
        record.userID = subscription.userID
        record.subscriptionID = try subscription.requireID()
        record.purpose = purpose
        record.redirectTo = redirectTo
        record.display = display
        record.singleUse = true
        record.expiresAt = now.addingTimeInterval(TimeInterval(ttl))
        try await store.write { db in
            if redirectEntity != nil { try await subscription.save(on: db) }
            try await record.create(on: db)
            try await Audit.record(orgID: subscription.orgID, actor: actor, action: "ssoapi.\(purpose.rawValue)", target: subscription.id?.uuidString.lowercased(), at: now, ip: ip, on: db)
        }
        // For the settings page's refused return hosts; never fails the request.
        await RefusedReturnHosts.record(refused, orgID: subscription.orgID, now: now, store: store)
        return (token, ttl, warnings)
    }
}
