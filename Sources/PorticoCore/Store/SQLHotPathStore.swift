import FluentKit
import Foundation
import SQLKit

/// `HotPathStore` in plain SQL that both engines understand (`RETURNING`,
/// `ON CONFLICT … DO NOTHING`): one indexed statement per step, nothing fetched twice.
/// PostgreSQL runs the Partner API's paths as prepared statements (`PostgresHotPathStore`).
public struct SQLHotPathStore: HotPathStore {
    let store: PorticoStore

    public init(store: PorticoStore) {
        self.store = store
    }

    public func apiKey(hash: String) async throws -> APIKeyContext? {
        guard let row = try await store.sql.raw("""
            SELECT k.id, k.org_id, k.prefix, k.key_hash, k.expires_at, k.revoked_at, k.last_used_at, \
            o.anonymous_users_enabled, o.sso_token_ttl, o.sso_token_single_use \
            FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_hash = \(bind: hash)
            """).first()
        else { return nil }
        return APIKeyContext(
            keyID: try row.decode(column: "id", as: UUID.self),
            orgID: try row.decode(column: "org_id", as: UUID.self),
            prefix: try row.decode(column: "prefix", as: String.self),
            keyHash: try row.decode(column: "key_hash", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: Date?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Date?.self),
            lastUsedAt: try row.decode(column: "last_used_at", as: Date?.self),
            anonymousUsersEnabled: try row.decode(column: "anonymous_users_enabled", as: Bool.self),
            ssoTokenTTL: try row.decode(column: "sso_token_ttl", as: Int.self),
            ssoTokenSingleUse: try row.decode(column: "sso_token_single_use", as: Bool.self)
        )
    }

    public func markAPIKeyUsed(id: UUID, at: Date) async throws {
        try await store.write { db in
            try await db.sql.raw("UPDATE api_keys SET last_used_at = \(bind: at) WHERE id = \(bind: id)").run()
        }
    }

    public func user(orgID: UUID, partnerID: String, now: Date) async throws -> UserRecord? {
        try await Self.user(orgID: orgID, partnerID: partnerID, on: store.sql).flatMap { $0.isLive(at: now) ? $0 : nil }
    }

    public func createOrRefreshUser(_ request: UserUpsert) async throws -> UserUpsertResult? {
        // Most calls refresh a user that exists: one read, then one insert.
        if let existing = try await Self.user(orgID: request.orgID, partnerID: request.partnerID, on: store.sql) {
            guard existing.isLive(at: request.now) else { return nil }
            let expiresAt = Self.tokenExpiry(request, user: existing)
            try await store.write { db in
                try await Self.insertToken(request, user: existing, expiresAt: expiresAt, on: db.sql)
            }
            return UserUpsertResult(user: existing, created: false, tokenExpiresAt: expiresAt)
        }
        return try await store.write { db -> UserUpsertResult? in
            let sql = db.sql
            let user = request.newUser()
            let inserted = try await sql.raw("""
                INSERT INTO users (id, org_id, partner_id, email, first_name, last_name, anonymous, expires_at, created_at, updated_at) \
                VALUES (\(bind: user.id), \(bind: user.orgID), \(bind: user.partnerID), \(bind: user.email), \
                \(bind: user.firstName), \(bind: user.lastName), \(bind: user.anonymous), \
                \(bind: user.expiresAt), \(bind: user.createdAt), \(bind: user.updatedAt)) \
                ON CONFLICT (org_id, partner_id) DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else {
                // Another request created it first: refresh that user instead.
                guard let existing = try await Self.user(orgID: request.orgID, partnerID: request.partnerID, on: sql),
                      existing.isLive(at: request.now)
                else { return nil }
                let expiresAt = Self.tokenExpiry(request, user: existing)
                try await Self.insertToken(request, user: existing, expiresAt: expiresAt, on: sql)
                return UserUpsertResult(user: existing, created: false, tokenExpiresAt: expiresAt)
            }
            try await sql.raw("""
                INSERT INTO subscriptions (id, user_id, org_id, created_at) \
                VALUES (\(bind: user.subscriptionID), \(bind: user.id), \(bind: user.orgID), \(bind: request.now))
                """).run()
            try await Outbox.append(
                .userCreated, orgID: user.orgID, userID: user.id,
                data: UserEventData(user: UserSnapshot(user)), at: request.now, on: db
            )
            let expiresAt = Self.tokenExpiry(request, user: user)
            try await Self.insertToken(request, user: user, expiresAt: expiresAt, on: sql)
            return UserUpsertResult(user: user, created: true, tokenExpiresAt: expiresAt)
        }
    }

    public func trackProgress(orgID: UUID, partnerID: String, now: Date) async throws -> (UserRecord, [Int: Date])? {
        guard let user = try await user(orgID: orgID, partnerID: partnerID, now: now) else { return nil }
        let rows = try await store.sql.raw("""
            SELECT chapter_number, completed_at FROM track_progress WHERE user_id = \(bind: user.id)
            """).all()
        var completed: [Int: Date] = [:]
        for row in rows {
            completed[try row.decode(column: "chapter_number", as: Int.self)] = try row.decode(column: "completed_at", as: Date.self)
        }
        return (user, completed)
    }

    // MARK: - Statements shared by the paths above

    /// A token lives the org's TTL, but never longer than an anonymous user does.
    static func tokenExpiry(_ request: UserUpsert, user: UserRecord) -> Date {
        let byTTL = request.now.addingTimeInterval(TimeInterval(request.tokenTTL))
        guard let userExpiry = user.expiresAt else { return byTTL }
        return min(byTTL, userExpiry)
    }

    static func insertToken(_ request: UserUpsert, user: UserRecord, expiresAt: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
            VALUES (\(bind: UUID.timeOrdered()), \(bind: request.tokenHash), \(bind: user.id), \(bind: user.subscriptionID), \
            \(bind: SSOToken.Purpose.login.rawValue), \(bind: request.tokenSingleUse), \(bind: expiresAt), \(bind: request.now))
            """).run()
    }

    static let userColumns = """
        u.id, u.org_id, u.partner_id, u.email, u.first_name, u.last_name, u.anonymous, u.expires_at, \
        u.created_at, u.updated_at, s.id AS subscription_id
        """

    /// The user with its subscription in its own org, live or not.
    public static func user(orgID: UUID, partnerID: String, on sql: any SQLDatabase) async throws -> UserRecord? {
        try await sql.raw("""
            SELECT \(unsafeRaw: userColumns) FROM users u \
            JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
            WHERE u.org_id = \(bind: orgID) AND u.partner_id = \(bind: partnerID)
            """).first().map(userRecord)
    }

    /// The user with this id, with its subscription in its own org, live or not.
    public static func user(id: UUID, on sql: any SQLDatabase) async throws -> UserRecord? {
        try await sql.raw("""
            SELECT \(unsafeRaw: userColumns) FROM users u \
            JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id WHERE u.id = \(bind: id)
            """).first().map(userRecord)
    }

    static func userRecord(_ row: any SQLRow) throws -> UserRecord {
        UserRecord(
            id: try row.decode(column: "id", as: UUID.self),
            orgID: try row.decode(column: "org_id", as: UUID.self),
            subscriptionID: try row.decode(column: "subscription_id", as: UUID.self),
            partnerID: try row.decode(column: "partner_id", as: String.self),
            email: try row.decode(column: "email", as: String?.self),
            firstName: try row.decode(column: "first_name", as: String?.self),
            lastName: try row.decode(column: "last_name", as: String?.self),
            anonymous: try row.decode(column: "anonymous", as: Bool.self),
            expiresAt: try row.decode(column: "expires_at", as: Date?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self)
        )
    }
}
