import Foundation
import NIOConcurrencyHelpers

/// `HotPathStore` for an SQLite file, on SQLite's C API with prepared statements:
/// reads on a small pool of read connections (point lookups by indexed hash or key,
/// microseconds each, run in place), writes through `SQLiteGroupWriter`, which
/// commits many requests' writes in one transaction. The rows are the ones the
/// Fluent/SQLKit code writes and reads (same encodings), so every other path sees
/// them as its own. PostgreSQL and in-memory SQLite use `SQLHotPathStore`.
public final class SQLiteHotPathStore: HotPathStore, @unchecked Sendable {
    private let path: String
    private let writer: SQLiteGroupWriter
    private let readers = NIOLockedValueBox<[SQLiteHandle]>([])

    /// `store` is the Fluent side of the same file: both take turns at its write lock.
    public init(path: String, store: PorticoStore) {
        self.path = path
        self.writer = SQLiteGroupWriter(path: path, lock: store.writeLock)
    }

    deinit { writer.stop() }

    /// Runs `body` on a read connection of the pool (made on demand, kept for reuse).
    private func read<T>(_ body: (SQLiteHandle) throws -> T) throws -> T {
        let handle = try readers.withLockedValue { $0.popLast() } ?? SQLiteHandle(path: path)
        defer { readers.withLockedValue { $0.append(handle) } }
        return try body(handle)
    }

    // MARK: - API keys

    public func apiKey(hash: String) async throws -> APIKeyContext? {
        try read { db in
            try db.first("""
                SELECT k.id, k.org_id, k.prefix, k.key_hash, k.expires_at, k.revoked_at, k.last_used_at, \
                o.anonymous_users_enabled, o.sso_token_ttl, o.sso_token_single_use \
                FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_hash = ?
                """, [.text(hash)]) { row in
                APIKeyContext(
                    keyID: try Self.require(row.uuid(0)), orgID: try Self.require(row.uuid(1)),
                    prefix: row.string(2) ?? "", keyHash: row.string(3) ?? "",
                    expiresAt: row.date(4), revokedAt: row.date(5), lastUsedAt: row.date(6),
                    anonymousUsersEnabled: row.bool(7), ssoTokenTTL: Int(row.int(8) ?? 0), ssoTokenSingleUse: row.bool(9)
                )
            }
        }
    }

    public func markAPIKeyUsed(id: UUID, at: Date) async throws {
        try await writer.write { db in
            try db.query("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [.date(at), .uuid(id)])
        }
    }

    // MARK: - Users

    public func user(orgID: UUID, partnerID: String, now: Date) async throws -> UserRecord? {
        try read { try Self.user(orgID: orgID, partnerID: partnerID, on: $0) }.flatMap { $0.isLive(at: now) ? $0 : nil }
    }

    public func createOrRefreshUser(_ request: UserUpsert) async throws -> UserUpsertResult? {
        // Most calls refresh a user that exists: a read here, one insert in the writer.
        if let existing = try read({ try Self.user(orgID: request.orgID, partnerID: request.partnerID, on: $0) }) {
            guard existing.isLive(at: request.now) else { return nil }
            let expiresAt = SQLHotPathStore.tokenExpiry(request, user: existing)
            try await writer.write { db in try Self.insertToken(request, user: existing, expiresAt: expiresAt, on: db) }
            return UserUpsertResult(user: existing, created: false, tokenExpiresAt: expiresAt)
        }
        // Encoded here, off the writer's thread.
        let user = request.newUser()
        let payload = try Outbox.payload(UserEventData(user: UserSnapshot(user)))
        let eventID = Outbox.newEventID()
        return try await writer.write { db -> UserUpsertResult? in
            try db.query("""
                INSERT INTO users (id, org_id, partner_id, email, first_name, last_name, anonymous, expires_at, created_at, updated_at) \
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, partner_id) DO NOTHING
                """, [
                    .uuid(user.id), .uuid(user.orgID), .text(user.partnerID), .string(user.email), .string(user.firstName),
                    .string(user.lastName), .bool(user.anonymous), .date(user.expiresAt), .date(request.now), .date(request.now),
                ])
            guard db.changes == 1 else {
                // Another request created it first: refresh that user instead.
                guard let existing = try Self.user(orgID: request.orgID, partnerID: request.partnerID, on: db),
                      existing.isLive(at: request.now)
                else { return nil }
                let expiresAt = SQLHotPathStore.tokenExpiry(request, user: existing)
                try Self.insertToken(request, user: existing, expiresAt: expiresAt, on: db)
                return UserUpsertResult(user: existing, created: false, tokenExpiresAt: expiresAt)
            }
            try db.query(
                "INSERT INTO subscriptions (id, user_id, org_id, created_at) VALUES (?, ?, ?, ?)",
                [.uuid(user.subscriptionID), .uuid(user.id), .uuid(user.orgID), .date(request.now)]
            )
            try Self.appendEvent(id: eventID, .userCreated, orgID: user.orgID, userID: user.id, payload: payload, at: request.now, on: db)
            let expiresAt = SQLHotPathStore.tokenExpiry(request, user: user)
            try Self.insertToken(request, user: user, expiresAt: expiresAt, on: db)
            return UserUpsertResult(user: user, created: true, tokenExpiresAt: expiresAt)
        }
    }

    public func trackProgress(orgID: UUID, partnerID: String, now: Date) async throws -> (UserRecord, [Int: Date])? {
        try read { db -> (UserRecord, [Int: Date])? in
            guard let user = try Self.user(orgID: orgID, partnerID: partnerID, on: db), user.isLive(at: now) else { return nil }
            var completed: [Int: Date] = [:]
            try db.query("SELECT chapter_number, completed_at FROM track_progress WHERE user_id = ?", [.uuid(user.id)]) { row in
                if let chapter = row.int(0), let at = row.date(1) { completed[Int(chapter)] = at }
            }
            return (user, completed)
        }
    }

    // MARK: - Browser sign-in

    public func redeemSSOToken(_ request: SignIn.Request) async throws -> SignIn.Outcome {
        struct Token {
            var id: UUID, userID: UUID, subscriptionID: UUID, purpose: String, redirectTo: String?, display: Int?
            var singleUse: Bool, expiresAt: Date, consumed: Bool
        }
        // Everything that can be read and encoded is, on a reader: the writer thread then
        // only re-checks and writes (the consuming UPDATE decides between racing requests).
        let found = try read { db -> (Token, UserRecord, UUID)?? in
            guard let token = try db.first("""
                SELECT id, user_id, subscription_id, purpose, redirect_to, display, single_use, expires_at, consumed_at                 FROM sso_tokens WHERE token_hash = ?
                """, [.text(request.tokenHash)], { row in
                Token(
                    id: try Self.require(row.uuid(0)), userID: try Self.require(row.uuid(1)), subscriptionID: try Self.require(row.uuid(2)),
                    purpose: row.string(3) ?? "login", redirectTo: row.string(4), display: row.int(5).map(Int.init),
                    singleUse: row.bool(6), expiresAt: try Self.require(row.date(7)), consumed: !row.isNull(8)
                )
            })
            else { return .none }
            guard let user = try Self.user(id: token.userID, on: db),
                  let orgID = try db.first("SELECT org_id FROM subscriptions WHERE id = ?", [.uuid(token.subscriptionID)], { $0.uuid(0) }) ?? nil
            else { return .some(nil) }
            return .some((token, user, orgID))
        }
        guard let found else { return .unknown }
        guard let (token, user, orgID) = found else { return .unknown }
        if token.consumed { return .used(subscriptionID: token.subscriptionID) }
        guard token.expiresAt > request.now else { return .expired(subscriptionID: token.subscriptionID) }
        guard user.isLive(at: request.now) else { return .unknown }

        let (secret, session) = SignIn.newSession(
            user: user, subscriptionID: token.subscriptionID, orgID: orgID, tokenDisplay: token.display, request: request
        )
        let sessionHash = Secrets.sha256Hex(secret)
        let payload = try Outbox.payload(UserEventData(user: UserSnapshot(user)))
        let eventID = Outbox.newEventID()
        return try await writer.write { db -> SignIn.Outcome in
            if token.singleUse {
                try db.query("UPDATE sso_tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL", [.date(request.now), .uuid(token.id)])
                guard db.changes == 1 else {
                    // Consumed since the read, or deleted with its user.
                    let exists = try db.first("SELECT 1 FROM sso_tokens WHERE id = ?", [.uuid(token.id)], { _ in true }) ?? false
                    return exists ? .used(subscriptionID: token.subscriptionID) : .unknown
                }
            } else if try db.first("SELECT 1 FROM users WHERE id = ?", [.uuid(user.id)], { _ in true }) == nil {
                return .unknown
            }
            if let previous = request.previousSessionHash {
                try db.query("DELETE FROM sessions WHERE session_hash = ?", [.text(previous)])
            }
            try db.query("""
                INSERT INTO sessions (id, session_hash, user_id, subscription_id, display, return_url, csrf_token, created_at, last_seen_at, expires_at)                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .uuid(session.id), .text(sessionHash), .uuid(user.id), .uuid(token.subscriptionID), .int(session.display),
                    .string(session.returnURL), .text(session.csrfToken), .date(request.now), .date(request.now), .date(session.expiresAt),
                ])
            try Self.appendEvent(id: eventID, .userSignedIn, orgID: user.orgID, userID: user.id, payload: payload, at: request.now, on: db)
            try db.query(
                "INSERT INTO audit_entries (id, org_id, actor, action, target, at, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [.uuid(UUID.timeOrdered()), .uuid(user.orgID), .text("user:" + user.partnerID), .text("sso.login"), .text(user.partnerID),
                 .date(request.now), .string(request.ip)]
            )
            let purpose = SSOToken.Purpose(rawValue: token.purpose) ?? .login
            return .signedIn(.init(secret: secret, session: session, purpose: purpose, tokenRedirect: token.redirectTo))
        }
    }

    // MARK: - Launch codes

    public func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date) async throws {
        try await writer.write { db in
            try db.query(
                "INSERT INTO launch_codes (id, app_id, user_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                [.uuid(id), .uuid(appID), .uuid(userID), .date(issuedAt), .date(issuedAt.addingTimeInterval(LaunchCodes.lifetime))]
            )
        }
    }

    public func partnerApp(keyHash: String) async throws -> PartnerAppContext? {
        try read { db in
            try db.first("SELECT id, org_id, key_hash FROM partner_apps WHERE key_hash = ? AND enabled = 1", [.text(keyHash)]) { row in
                PartnerAppContext(id: try Self.require(row.uuid(0)), orgID: try Self.require(row.uuid(1)), keyHash: row.string(2) ?? "")
            }
        }
    }

    public func redeemLaunch(id: UUID, appID: UUID, userID: UUID, now: Date) async throws -> LaunchRedemption {
        try await writer.write { db -> LaunchRedemption in
            guard let user = try Self.user(id: userID, on: db), user.isLive(at: now) else { return .userGone }
            try db.query("""
                UPDATE launch_codes SET used_at = ? WHERE id = ? AND app_id = ? AND user_id = ? AND used_at IS NULL AND expires_at >= ?
                """, [.date(now), .uuid(id), .uuid(appID), .uuid(userID), .date(now)])
            return db.changes == 1 ? .redeemed(user) : .notValid
        }
    }

    // MARK: - Statements shared by the paths above

    static func insertToken(_ request: UserUpsert, user: UserRecord, expiresAt: Date, on db: SQLiteHandle) throws {
        try db.query("""
            INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .uuid(UUID.timeOrdered()), .text(request.tokenHash), .uuid(user.id), .uuid(user.subscriptionID),
                .text(SSOToken.Purpose.login.rawValue), .bool(request.tokenSingleUse), .date(expiresAt), .date(request.now),
            ])
    }

    /// `Outbox.append` on this connection: the org's counter and the event in the caller's transaction.
    static func appendEvent(
        id: String, _ type: Outbox.EventType, orgID: UUID, userID: UUID?, payload: String, at now: Date, on db: SQLiteHandle
    ) throws {
        guard let sequence = try db.first(
            "UPDATE event_counters SET last_sequence = last_sequence + 1 WHERE org_id = ? RETURNING last_sequence", [.uuid(orgID)], { $0.int(0) }
        ) ?? nil else { throw Outbox.OutboxError.missingCounter(orgID) }
        try db.query(
            "INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(id), .uuid(orgID), .integer(sequence), .text(type.rawValue), .uuid(userID), .text(payload), .date(now)]
        )
    }

    static let userSelect = """
        SELECT u.id, u.org_id, u.partner_id, u.email, u.first_name, u.last_name, u.anonymous, u.expires_at, \
        u.created_at, u.updated_at, s.id FROM users u JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id
        """

    static func user(orgID: UUID, partnerID: String, on db: SQLiteHandle) throws -> UserRecord? {
        try db.first(userSelect + " WHERE u.org_id = ? AND u.partner_id = ?", [.uuid(orgID), .text(partnerID)], userRecord)
    }

    static func user(id: UUID, on db: SQLiteHandle) throws -> UserRecord? {
        try db.first(userSelect + " WHERE u.id = ?", [.uuid(id)], userRecord)
    }

    static func userRecord(_ row: SQLiteRowView) throws -> UserRecord {
        UserRecord(
            id: try require(row.uuid(0)), orgID: try require(row.uuid(1)), subscriptionID: try require(row.uuid(10)),
            partnerID: row.string(2) ?? "", email: row.string(3), firstName: row.string(4), lastName: row.string(5),
            anonymous: row.bool(6), expiresAt: row.date(7), createdAt: try require(row.date(8)), updatedAt: try require(row.date(9))
        )
    }

    static func require<T>(_ value: T?) throws -> T {
        guard let value else { throw SQLiteFailure(code: 20, message: "unexpected NULL or malformed value") }
        return value
    }
}
