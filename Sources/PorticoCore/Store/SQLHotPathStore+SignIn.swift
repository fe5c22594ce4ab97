import FluentKit
import Foundation
import SQLKit

extension SQLHotPathStore {
    public func redeemSSOToken(_ request: SignIn.Request) async throws -> SignIn.Outcome {
        try await store.write { db -> SignIn.Outcome in
            let sql = db.sql
            guard let row = try await sql.raw("""
                SELECT id, user_id, subscription_id, purpose, redirect_to, display, single_use, expires_at, consumed_at \
                FROM sso_tokens WHERE token_hash = \(bind: request.tokenHash)
                """).first()
            else { return .unknown }
            let tokenID = try row.decode(column: "id", as: UUID.self)
            let subscriptionID = try row.decode(column: "subscription_id", as: UUID.self)
            let singleUse = try row.decode(column: "single_use", as: Bool.self)
            if try row.decode(column: "consumed_at", as: Date?.self) != nil { return .used(subscriptionID: subscriptionID) }
            guard try row.decode(column: "expires_at", as: Date.self) > request.now else { return .expired(subscriptionID: subscriptionID) }
            guard let user = try await Self.user(id: try row.decode(column: "user_id", as: UUID.self), on: sql),
                  user.isLive(at: request.now),
                  let orgID = try await sql.raw("SELECT org_id FROM subscriptions WHERE id = \(bind: subscriptionID)").first()?
                    .decode(column: "org_id", as: UUID.self)
            else { return .unknown }
            if singleUse {
                // The row lock (PostgreSQL) or the single writer (SQLite) lets one redemption win.
                let consumed = try await sql.raw("""
                    UPDATE sso_tokens SET consumed_at = \(bind: request.now) WHERE id = \(bind: tokenID) AND consumed_at IS NULL RETURNING id
                    """).first()
                guard consumed != nil else { return .used(subscriptionID: subscriptionID) }
            }
            if let previous = request.previousSessionHash {
                try await sql.raw("DELETE FROM sessions WHERE session_hash = \(bind: previous)").run()
            }
            let (secret, session) = SignIn.newSession(
                user: user, subscriptionID: subscriptionID, orgID: orgID,
                tokenDisplay: try row.decode(column: "display", as: Int?.self), request: request
            )
            try await sql.raw("""
                INSERT INTO sessions (id, session_hash, user_id, subscription_id, display, return_url, csrf_token, created_at, last_seen_at, expires_at) \
                VALUES (\(bind: session.id), \(bind: Secrets.sha256Hex(secret)), \(bind: user.id), \(bind: subscriptionID), \
                \(bind: session.display), \(bind: session.returnURL), \(bind: session.csrfToken), \(bind: request.now), \
                \(bind: request.now), \(bind: session.expiresAt))
                """).run()
            try await sql.raw("""
                INSERT INTO audit_entries (id, org_id, actor, action, target, at, ip) VALUES (\(bind: UUID.timeOrdered()), \(bind: user.orgID), \
                \(bind: "user:" + user.partnerID), \(bind: "sso.login"), \(bind: user.partnerID), \(bind: request.now), \(bind: request.ip))
                """).run()
            // Last, just before the commit: on PostgreSQL the org's counter row stays locked until then.
            try await Outbox.append(.userSignedIn, orgID: user.orgID, userID: user.id, data: UserEventData(user: UserSnapshot(user)), at: request.now, on: db)
            let purpose = SSOToken.Purpose(rawValue: try row.decode(column: "purpose", as: String.self)) ?? .login
            return .signedIn(.init(secret: secret, session: session, purpose: purpose, tokenRedirect: try row.decode(column: "redirect_to", as: String?.self)))
        }
    }
}
