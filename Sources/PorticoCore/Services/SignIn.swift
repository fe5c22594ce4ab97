import FluentKit
import Foundation
import SQLKit

/// Browser sign-in (SPEC §4): redeeming an SSO token into a member session, and the
/// sessions themselves.
public enum SignIn {
    /// Member sessions end after 8 hours without a request, and 24 hours after sign-in.
    public static let memberIdleLifetime: TimeInterval = 8 * 3600
    public static let memberAbsoluteLifetime: TimeInterval = 24 * 3600

    /// What redeeming a token came to. The three failures stay apart: a used token and
    /// an expired one know their subscription (for its redirect entity); an unknown one does not.
    public enum Outcome: Sendable {
        case signedIn(NewSession)
        case used(subscriptionID: UUID)
        case expired(subscriptionID: UUID)
        case unknown
    }

    /// A session that was just created; `secret` goes into the cookie and nowhere else.
    public struct NewSession: Sendable {
        public var secret: String
        public var session: SessionRecord
        public var purpose: SSOToken.Purpose
        /// Where the token itself says to go (SSO API classroom tokens).
        public var tokenRedirect: String?
    }

    /// Everything one sign-in writes, in one transaction: consume the token (when it is
    /// single-use, only if no one else has), replace the browser's earlier session, the
    /// new session, the audit entry `sso.login` and `user.signed_in`.
    public struct Plan: Sendable {
        public var tokenID: UUID
        public var consume: Bool
        public var user: UserRecord
        public var replacedSessionHash: String?
        public var session: SessionRecord
        public var sessionHash: String
        public var audit: Audit.Entry
        public var event: Outbox.NewEvent
        /// The answer once the plan is written.
        public var signedIn: Outcome

        /// The answer when the token was consumed by another request since it was read
        /// (or deleted with its user): the plan is not written.
        public func lostRace(tokenStillExists: Bool) -> Outcome {
            tokenStillExists ? .used(subscriptionID: session.subscriptionID) : .unknown
        }
    }

    public enum Decision: Sendable {
        /// Nothing to write: this is the answer.
        case answer(Outcome)
        /// Write the plan (or, having lost a race, answer `lostRace`).
        case write(Plan)
    }

    /// SPEC §4's rules for a token found by its hash, in order: unknown; used; expired;
    /// its user gone or expired (unknown); else a new session. Both engines call this
    /// and only read and write what it says.
    public static func decide(_ token: SSOTokens.Stored?, request: Request) throws -> Decision {
        guard let token else { return .answer(.unknown) }
        if token.consumed { return .answer(.used(subscriptionID: token.subscriptionID)) }
        guard token.expiresAt > request.now else { return .answer(.expired(subscriptionID: token.subscriptionID)) }
        guard let user = token.user, user.isLive(at: request.now), let orgID = token.subscriptionOrgID else { return .answer(.unknown) }
        let (secret, session) = newSession(
            user: user, subscriptionID: token.subscriptionID, orgID: orgID, tokenDisplay: token.display, request: request
        )
        return .write(Plan(
            tokenID: token.id, consume: token.singleUse, user: user, replacedSessionHash: request.previousSessionHash,
            session: session, sessionHash: Secrets.sha256Hex(secret),
            audit: .ssoLogin(user, at: request.now, ip: request.ip),
            event: try Outbox.NewEvent(.userSignedIn, orgID: user.orgID, userID: user.id, data: UserEventData(user: UserSnapshot(user)), at: request.now),
            signedIn: .signedIn(NewSession(secret: secret, session: session, purpose: token.purpose, tokenRedirect: token.redirectTo))
        ))
    }

    /// A new member session for a redeemed token: the cookie's secret (only its hash is
    /// stored) and the record. The token's display mode wins over the request's.
    static func newSession(
        user: UserRecord, subscriptionID: UUID, orgID: UUID, tokenDisplay: Int?, request: Request
    ) -> (secret: String, record: SessionRecord) {
        let display = tokenDisplay ?? request.display ?? 0
        let record = SessionRecord(
            id: UUID.timeOrdered(), userID: user.id, subscriptionID: subscriptionID, orgID: orgID, display: display == 1 ? 1 : 0,
            returnURL: request.returnURL, csrfToken: Secrets.hex(byteCount: 16), createdAt: request.now,
            lastSeenAt: request.now, expiresAt: request.now.addingTimeInterval(memberAbsoluteLifetime)
        )
        return (Secrets.hex(byteCount: 32), record)
    }

    /// What a request needs to know about its session.
    public struct SessionRecord: Sendable, Equatable {
        public var id: UUID
        public var userID: UUID
        public var subscriptionID: UUID
        public var orgID: UUID
        public var display: Int
        public var returnURL: String?
        public var csrfToken: String
        public var createdAt: Date
        public var lastSeenAt: Date
        public var expiresAt: Date

        public var noChrome: Bool { display == 1 }
    }

    /// What a sign-in asks for besides the token.
    public struct Request: Sendable {
        public var tokenHash: String
        public var display: Int?
        public var returnURL: String?
        /// The session this browser had, which the new one replaces.
        public var previousSessionHash: String?
        public var ip: String?
        public var now: Date

        public init(tokenHash: String, display: Int?, returnURL: String?, previousSessionHash: String?, ip: String?, now: Date) {
            self.tokenHash = tokenHash
            self.display = display
            self.returnURL = returnURL
            self.previousSessionHash = previousSessionHash
            self.ip = ip
            self.now = now
        }
    }

    /// The session whose cookie hashes to `hash`, if it is still alive; touches
    /// `last_seen_at` at most once a minute.
    public static func session(hash: String, now: Date, store: PorticoStore) async throws -> SessionRecord? {
        guard let row = try await store.sql.raw("""
            SELECT s.id, s.user_id, s.subscription_id, s.display, s.return_url, s.csrf_token, s.created_at, \
            s.last_seen_at, s.expires_at, sub.org_id FROM sessions s JOIN subscriptions sub ON sub.id = s.subscription_id \
            WHERE s.session_hash = \(bind: hash) AND s.user_id IS NOT NULL
            """).first()
        else { return nil }
        var record = SessionRecord(
            id: try row.decode(column: "id", as: UUID.self),
            userID: try row.decode(column: "user_id", as: UUID.self),
            subscriptionID: try row.decode(column: "subscription_id", as: UUID.self),
            orgID: try row.decode(column: "org_id", as: UUID.self),
            display: try row.decode(column: "display", as: Int.self),
            returnURL: try row.decode(column: "return_url", as: String?.self),
            csrfToken: try row.decode(column: "csrf_token", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            lastSeenAt: try row.decode(column: "last_seen_at", as: Date.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self)
        )
        guard let seen = try await keepAlive(
            id: record.id, lastSeenAt: record.lastSeenAt, expiresAt: record.expiresAt, idleLifetime: memberIdleLifetime, now: now, store: store
        ) else { return nil }
        record.lastSeenAt = seen
        return record
    }

    /// A session row's lifetimes, member or admin: nil once it is past `expiresAt` or
    /// `idleLifetime` without a request; otherwise marks it seen (written at most once a
    /// minute) and returns its new `last_seen_at`.
    static func keepAlive(
        id: UUID, lastSeenAt: Date, expiresAt: Date, idleLifetime: TimeInterval, now: Date, store: PorticoStore
    ) async throws -> Date? {
        guard expiresAt > now, now.timeIntervalSince(lastSeenAt) < idleLifetime else { return nil }
        guard now.timeIntervalSince(lastSeenAt) >= 60 else { return lastSeenAt }
        try await store.write { db in
            try await db.sql.raw("UPDATE sessions SET last_seen_at = \(bind: now) WHERE id = \(bind: id)").run()
        }
        return now
    }

    /// Where `/logout` sends the member of this session: `url` must already be the
    /// re-serialized, allowed form (`ReturnHosts.allowedURL`); anything else is refused.
    public static func setReturnURL(_ url: String, sessionID: UUID, store: PorticoStore) async throws {
        guard let (safe, _) = ReturnHosts.httpURL(url), safe == url else { throw PorticoError.invalid("return_url is not a clean http(s) URL") }
        try await store.write { db in
            try await db.sql.raw("UPDATE sessions SET return_url = \(bind: safe) WHERE id = \(bind: sessionID)").run()
        }
    }

    /// Ends the session whose cookie hashes to `hash` (if any) and returns what it knew.
    /// The OpenID Connect codes issued in it and not yet redeemed end with it (SPEC §10);
    /// access and refresh tokens do not.
    public static func end(hash: String, store: PorticoStore) async throws -> (returnURL: String?, subscriptionID: UUID?)? {
        try await store.write { db in
            guard let row = try await db.sql.raw("""
                SELECT id, return_url, subscription_id FROM sessions WHERE session_hash = \(bind: hash)
                """).first()
            else { return nil }
            let id = try row.decode(column: "id", as: UUID.self)
            try await db.sql.raw("DELETE FROM oidc_codes WHERE session_id = \(bind: id) AND used_at IS NULL").run()
            try await db.sql.raw("DELETE FROM sessions WHERE id = \(bind: id)").run()
            return (try row.decode(column: "return_url", as: String?.self), try row.decode(column: "subscription_id", as: UUID?.self))
        }
    }
}
