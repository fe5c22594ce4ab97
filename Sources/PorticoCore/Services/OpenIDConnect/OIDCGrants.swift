import FluentKit
import Foundation
import SQLKit

/// The OpenID Connect rows off the hot paths, on both engines through SQLKit: pending
/// authorizations, codes as issued, refresh rotation, revocation, and what disabling an
/// app or purging old rows removes. Codes, tokens and request ids are stored as SHA-256.
public enum OIDCGrants {
    // MARK: - Pending authorizations (SPEC §10 step 3)

    public struct Pending: Sendable {
        public var id: UUID
        public var appID: UUID
        public var request: OpenIDConnect.AuthorizationRequest
        public var createdAt: Date
    }

    /// Keeps a request while the member signs in (10 minutes); returns its id, which is
    /// only ever stored hashed.
    public static func startPending(
        _ request: OpenIDConnect.AuthorizationRequest, appID: UUID, now: Date, store: PorticoStore
    ) async throws -> String {
        let requestID = OpenIDConnect.newSecret()
        let json = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        try await store.write { db in
            try await db.sql.raw("""
                INSERT INTO oidc_pending_authorizations (id, request_hash, app_id, request, created_at, expires_at) \
                VALUES (\(bind: UUID.timeOrdered()), \(bind: OpenIDConnect.hash(requestID)), \(bind: appID), \(bind: json), \
                \(bind: now), \(bind: now.addingTimeInterval(OpenIDConnect.pendingLifetime)))
                """).run()
        }
        return requestID
    }

    /// The pending authorization with this id, unless it is unknown, expired or used.
    public static func pending(requestID: String, now: Date, on sql: any SQLDatabase) async throws -> Pending? {
        guard OpenIDConnect.isSecretShape(requestID),
              let row = try await sql.raw("""
                SELECT id, app_id, request, created_at, expires_at, used_at FROM oidc_pending_authorizations \
                WHERE request_hash = \(bind: OpenIDConnect.hash(requestID))
                """).first(),
              try row.decode(column: "used_at", as: Date?.self) == nil,
              try row.decode(column: "expires_at", as: Date.self) > now,
              let request = try? JSONDecoder().decode(
                OpenIDConnect.AuthorizationRequest.self, from: Data(try row.decode(column: "request", as: String.self).utf8)
              )
        else { return nil }
        return Pending(
            id: try row.decode(column: "id", as: UUID.self), appID: try row.decode(column: "app_id", as: UUID.self),
            request: request, createdAt: try row.decode(column: "created_at", as: Date.self)
        )
    }

    // MARK: - Codes

    /// Writes the code and `oidc.authorized` together, using up the pending authorization
    /// it came from (false, and nothing written, when another request used it first).
    public static func issueCode(
        _ code: OpenIDConnect.NewCode, pendingID: UUID?, audit: Audit.Entry, store: PorticoStore
    ) async throws -> Bool {
        try await store.write { db in
            let sql = db.sql
            if let pendingID {
                let used = try await sql.raw("""
                    UPDATE oidc_pending_authorizations SET used_at = \(bind: code.createdAt) \
                    WHERE id = \(bind: pendingID) AND used_at IS NULL RETURNING id
                    """).all()
                guard used.count == 1 else { return false }
            }
            try await insert(code, on: sql)
            try await Audit.record(
                orgID: audit.orgID, actor: audit.actor, action: audit.action, target: audit.target, at: audit.at, ip: audit.ip, on: db
            )
            return true
        }
    }

    /// Writes codes in bulk (benchmark seeding) with `issueCode`'s statement, in one transaction.
    public static func insertCodes(_ codes: [OpenIDConnect.NewCode], store: PorticoStore) async throws {
        try await store.write { db in
            for code in codes { try await insert(code, on: db.sql) }
        }
    }

    private static func insert(_ code: OpenIDConnect.NewCode, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO oidc_codes (id, code_hash, app_id, user_id, session_id, redirect_uri, code_challenge, nonce, scope, \
            auth_time, created_at, expires_at) VALUES (\(bind: code.id), \(bind: code.codeHash), \(bind: code.appID), \
            \(bind: code.userID), \(bind: code.sessionID), \(bind: code.request.redirectURI), \(bind: code.request.codeChallenge), \
            \(bind: code.request.nonce), \(bind: code.request.scope), \(bind: code.authTime), \(bind: code.createdAt), \
            \(bind: code.expiresAt))
            """).run()
    }

    /// Whether the user has a subscription in the org or one of its descendants.
    public static func isEntitled(userID: UUID, orgID: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            WITH RECURSIVE up(id) AS (SELECT org_id FROM subscriptions WHERE user_id = \(bind: userID) \
            UNION SELECT o.parent_id FROM organizations o JOIN up ON o.id = up.id WHERE o.parent_id IS NOT NULL) \
            SELECT 1 AS one FROM up WHERE id = \(bind: orgID)
            """).first() != nil
    }

    // MARK: - Tokens

    /// Marks the refresh token rotated and writes its successors, in one transaction;
    /// false (nothing written) when it was rotated or revoked meanwhile.
    public static func rotate(refreshTokenID: UUID, now: Date, tokens: [OpenIDConnect.NewToken], store: PorticoStore) async throws -> Bool {
        try await store.write { db in
            let sql = db.sql
            let rotated = try await sql.raw("""
                UPDATE oidc_tokens SET rotated_at = \(bind: now) \
                WHERE id = \(bind: refreshTokenID) AND rotated_at IS NULL AND revoked_at IS NULL RETURNING id
                """).all()
            guard rotated.count == 1 else { return false }
            for token in tokens {
                try await sql.raw("""
                    INSERT INTO oidc_tokens (id, token_hash, kind, app_id, user_id, family_id, scope, auth_time, created_at, expires_at) \
                    VALUES (\(bind: token.id), \(bind: token.tokenHash), \(bind: token.kind.rawValue), \(bind: token.appID), \
                    \(bind: token.userID), \(bind: token.familyID), \(bind: token.scope), \(bind: token.authTime), \
                    \(bind: token.createdAt), \(bind: token.expiresAt))
                    """).run()
            }
            return true
        }
    }

    public static func revokeToken(id: UUID, now: Date, store: PorticoStore) async throws {
        try await store.write { db in
            try await db.sql.raw("UPDATE oidc_tokens SET revoked_at = \(bind: now) WHERE id = \(bind: id) AND revoked_at IS NULL").run()
        }
    }

    // MARK: - What ends them

    /// A disabled app's codes, pending authorizations and tokens die with it (in the
    /// caller's transaction); enabling it again revives none of them.
    static func endGrants(appID: UUID, now: Date, on db: any Database) async throws {
        let sql = db.sql
        try await sql.raw("DELETE FROM oidc_codes WHERE app_id = \(bind: appID) AND used_at IS NULL").run()
        try await sql.raw("UPDATE oidc_pending_authorizations SET used_at = \(bind: now) WHERE app_id = \(bind: appID) AND used_at IS NULL").run()
        try await sql.raw("UPDATE oidc_tokens SET revoked_at = \(bind: now) WHERE app_id = \(bind: appID) AND revoked_at IS NULL").run()
    }

    /// How long spent codes and dead tokens are kept after they expire: a code presented
    /// again within a day still revokes what it issued.
    public static let keptAfterExpiry: TimeInterval = 86400
}
