import Foundation
import NIOConcurrencyHelpers

/// `HotPathStore` for SQLite, on SQLite's C API with prepared statements: reads on a
/// small pool of read connections (point lookups by indexed hash or key, microseconds
/// each, run in place), writes through `SQLiteGroupWriter`, which commits many
/// requests' writes in one transaction. The rows are the ones the Fluent/SQLKit code
/// writes and reads (same encodings), so every other path sees them as its own.
///
/// This file holds SQL, bindings and the order of statements only: what a token, a
/// launch or a new user comes to is decided in `SignIn`, `LaunchCodes`, `SSOTokens`
/// and `Outbox`, which the PostgreSQL store calls too.
public final class SQLiteHotPathStore: HotPathStore, @unchecked Sendable {
    private let path: String
    let writer: SQLiteGroupWriter
    private let readers = NIOLockedValueBox<[SQLiteHandle]>([])

    /// `store` is the Fluent side of the same file: both take turns at its write lock.
    /// `onRestart` hears how long each restart of the write-ahead log held the write lock.
    public init(path: String, store: PorticoStore, onRestart: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.path = path
        self.writer = SQLiteGroupWriter(path: path, lock: store.writeLock, onRestart: onRestart)
    }

    deinit { writer.stop() }

    /// Runs `body` on a read connection of the pool (made on demand, kept for reuse).
    func read<T>(_ body: (SQLiteHandle) throws -> T) throws -> T {
        let handle = try readers.withLockedValue { $0.popLast() } ?? SQLiteHandle(path: path)
        defer { readers.withLockedValue { $0.append(handle) } }
        return try body(handle)
    }

    // MARK: - API keys

    public func apiKey(hash: String) async throws -> APIKeyContext? {
        try read { db in
            try db.first(
                "SELECT \(StoredColumns.apiKey) FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_hash = ?",
                [.text(hash)], APIKeyContext.init(row:)
            )
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
            let token = request.token(for: existing)
            try await writer.write { db in try Self.insert(token, on: db) }
            return UserUpsertResult(user: existing, created: false, tokenExpiresAt: token.expiresAt)
        }
        // Encoded here, off the writer's thread.
        let user = request.newUser()
        let event = try Outbox.NewEvent(.userCreated, orgID: user.orgID, userID: user.id, data: UserEventData(user: UserSnapshot(user)), at: request.now)
        return try await writer.write { db -> UserUpsertResult? in
            try db.query("""
                INSERT INTO users (id, org_id, partner_id, email, first_name, last_name, anonymous, expires_at, created_at, updated_at) \
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, partner_id) DO NOTHING
                """, [
                    .uuid(user.id), .uuid(user.orgID), .text(user.partnerID), .string(user.email), .string(user.firstName),
                    .string(user.lastName), .bool(user.anonymous), .date(user.expiresAt), .date(user.createdAt), .date(user.updatedAt),
                ])
            guard db.changes == 1 else {
                // Another request created it first: refresh that user instead.
                guard let existing = try Self.user(orgID: request.orgID, partnerID: request.partnerID, on: db),
                      existing.isLive(at: request.now)
                else { return nil }
                let token = request.token(for: existing)
                try Self.insert(token, on: db)
                return UserUpsertResult(user: existing, created: false, tokenExpiresAt: token.expiresAt)
            }
            try db.query(
                "INSERT INTO subscriptions (id, user_id, org_id, created_at) VALUES (?, ?, ?, ?)",
                [.uuid(user.subscriptionID), .uuid(user.id), .uuid(user.orgID), .date(request.now)]
            )
            try Self.append(event, on: db)
            let token = request.token(for: user)
            try Self.insert(token, on: db)
            return UserUpsertResult(user: user, created: true, tokenExpiresAt: token.expiresAt)
        }
    }

    public func trackProgress(orgID: UUID, partnerID: String, now: Date) async throws -> (UserRecord, [Int: Date])? {
        try read { db -> (UserRecord, [Int: Date])? in
            guard let user = try Self.user(orgID: orgID, partnerID: partnerID, on: db), user.isLive(at: now) else { return nil }
            var completed: [Int: Date] = [:]
            try db.query("SELECT chapter_number, completed_at FROM track_progress WHERE user_id = ?", [.uuid(user.id)]) { row in
                if let chapter = row.int("chapter_number"), let at = row.date("completed_at") { completed[chapter] = at }
            }
            return (user, completed)
        }
    }

    // MARK: - Browser sign-in

    public func redeemSSOToken(_ request: SignIn.Request) async throws -> SignIn.Outcome {
        // Read and decide on a reader; the writer thread then only writes the plan (its
        // consuming UPDATE decides between racing requests).
        let token = try read { db in
            try db.first("""
                SELECT \(StoredColumns.ssoToken), \(StoredColumns.user) FROM sso_tokens t \
                LEFT JOIN subscriptions ts ON ts.id = t.subscription_id \
                LEFT JOIN users u ON u.id = t.user_id LEFT JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
                WHERE t.token_hash = ?
                """, [.text(request.tokenHash)], SSOTokens.Stored.init(row:))
        }
        switch try SignIn.decide(token, request: request) {
        case .answer(let outcome):
            return outcome
        case .write(let plan):
            return try await writer.write { db -> SignIn.Outcome in
                if plan.consume {
                    try db.query("UPDATE sso_tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL", [.date(request.now), .uuid(plan.tokenID)])
                    guard db.changes == 1 else {
                        return plan.lostRace(tokenStillExists: try db.first("SELECT 1 AS one FROM sso_tokens WHERE id = ?", [.uuid(plan.tokenID)]) { _ in true } ?? false)
                    }
                } else if try db.first("SELECT 1 AS one FROM users WHERE id = ?", [.uuid(plan.user.id)], { _ in true }) == nil {
                    return plan.lostRace(tokenStillExists: false)
                }
                if let replaced = plan.replacedSessionHash {
                    try db.query("DELETE FROM sessions WHERE session_hash = ?", [.text(replaced)])
                }
                let session = plan.session
                try db.query("""
                    INSERT INTO sessions (id, session_hash, user_id, subscription_id, display, return_url, csrf_token, created_at, \
                    last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [
                        .uuid(session.id), .text(plan.sessionHash), .uuid(session.userID), .uuid(session.subscriptionID), .int(session.display),
                        .string(session.returnURL), .text(session.csrfToken), .date(session.createdAt), .date(session.lastSeenAt),
                        .date(session.expiresAt),
                    ])
                try Self.append(plan.event, on: db)
                try Self.insert(plan.audit, on: db)
                return plan.signedIn
            }
        }
    }

    // MARK: - Launch codes

    public func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date) async throws {
        try await writer.write { db in try Self.insertLaunch(id: id, appID: appID, userID: userID, issuedAt: issuedAt, on: db) }
    }

    public func insertTokens(_ tokens: [IssuedToken]) async throws {
        try await inBulk(tokens) { token, db in try Self.insert(token, on: db) }
    }

    public func insertEvents(_ events: [Outbox.NewEvent]) async throws {
        try await inBulk(events) { event, db in try Self.append(event, on: db) }
    }

    public func insertLaunches(_ launches: [(id: UUID, appID: UUID, userID: UUID, issuedAt: Date)]) async throws {
        try await inBulk(launches) { l, db in try Self.insertLaunch(id: l.id, appID: l.appID, userID: l.userID, issuedAt: l.issuedAt, on: db) }
    }

    /// Writes `rows` with `insert`, `bulkRows` a group-writer job (benchmark seeding).
    private func inBulk<Row: Sendable>(_ rows: [Row], _ insert: @escaping @Sendable (Row, SQLiteHandle) throws -> Void) async throws {
        for chunk in rows.chunks(of: Self.bulkRows) {
            try await writer.write { db in for row in chunk { try insert(row, db) } }
        }
    }

    /// One retention batch as a transaction of its own on the writer thread, between two
    /// group commits: its hold is that transaction's time, `BEGIN` to the end of `COMMIT`.
    public func purgeBatch(_ kind: Retention.Kind, limit: Int) async throws -> Retention.Batch {
        let statements = Retention.statements(kind)
        let (rows, hold, contended) = try await writer.writeAlone { db in
            for sql in statements { try db.query(sql, [.date(kind.cutoff), .int(limit)]) }
            return db.changes
        }
        return Retention.Batch(rows: rows, hold: hold, contended: contended)
    }

    /// Rows per group-writer job for bulk inserts. Each job is a savepoint, and SQLite
    /// walks the savepoint's in-memory journal at the end of every statement inside it:
    /// at 5,000 rows a job, each touching a page of its own in a random index, that walk
    /// was 79 % of the seeder's CPU on a million users (perf: `memjrnlTruncate`).
    static let bulkRows = 250

    public func partnerApp(keyHash: String) async throws -> PartnerAppContext? {
        try read { db in
            try db.first("SELECT id, org_id, key_hash FROM partner_apps WHERE key_hash = ? AND enabled = 1", [.text(keyHash)], PartnerAppContext.init(row:))
        }
    }

    public func redeemLaunch(id: UUID, appID: UUID, userID: UUID, now: Date) async throws -> LaunchRedemption {
        let (user, launch) = try read { db in
            (
                try Self.user(id: userID, on: db),
                try db.first("SELECT \(StoredColumns.launch) FROM launch_codes l WHERE l.id = ?", [.uuid(id)], LaunchCodes.StoredLaunch.optional(row:)) ?? nil
            )
        }
        switch LaunchCodes.decide(user: user, launch: launch, appID: appID, userID: userID, now: now) {
        case .answer(let answer):
            return answer
        case .consume(let user):
            return try await writer.write { db -> LaunchRedemption in
                try db.query("UPDATE launch_codes SET used_at = ? WHERE id = ? AND used_at IS NULL", [.date(now), .uuid(id)])
                if db.changes == 1 { return .redeemed(user) }
                // Used meanwhile, or gone with its user (who is reported first).
                return try Self.user(id: userID, on: db) == nil ? .userGone : .notValid
            }
        }
    }

    // MARK: - Statements shared by the paths above

    static func insert(_ token: IssuedToken, on db: SQLiteHandle) throws {
        try db.query("""
            INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .uuid(token.id), .text(token.tokenHash), .uuid(token.userID), .uuid(token.subscriptionID),
                .text(token.purpose.rawValue), .bool(token.singleUse), .date(token.expiresAt), .date(token.createdAt),
            ])
    }

    static func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date, on db: SQLiteHandle) throws {
        try db.query(
            "INSERT INTO launch_codes (id, app_id, user_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [.uuid(id), .uuid(appID), .uuid(userID), .date(issuedAt), .date(issuedAt.addingTimeInterval(LaunchCodes.lifetime))]
        )
    }

    /// `Outbox.append` on this connection: the org's counter and the event in the caller's transaction.
    static func append(_ event: Outbox.NewEvent, on db: SQLiteHandle) throws {
        guard let sequence = try db.first(
            "UPDATE event_counters SET last_sequence = last_sequence + 1 WHERE org_id = ? RETURNING last_sequence",
            [.uuid(event.orgID)], { $0.int("last_sequence") }
        ) ?? nil else { throw Outbox.OutboxError.missingCounter(event.orgID) }
        try db.query(
            "INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(event.id), .uuid(event.orgID), .integer(Int64(sequence)), .text(event.type.rawValue), .uuid(event.userID),
             .text(event.payload), .date(event.at)]
        )
    }

    static func insert(_ entry: Audit.Entry, on db: SQLiteHandle) throws {
        try db.query(
            "INSERT INTO audit_entries (id, org_id, actor, action, target, at, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.uuid(entry.id), .uuid(entry.orgID), .text(entry.actor), .text(entry.action), .string(entry.target), .date(entry.at), .string(entry.ip)]
        )
    }

    static let userSelect = """
        SELECT \(StoredColumns.user) FROM users u JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id
        """

    static func user(orgID: UUID, partnerID: String, on db: SQLiteHandle) throws -> UserRecord? {
        try db.first(userSelect + " WHERE u.org_id = ? AND u.partner_id = ?", [.uuid(orgID), .text(partnerID)], UserRecord.init(row:))
    }

    static func user(id: UUID, on db: SQLiteHandle) throws -> UserRecord? {
        try db.first(userSelect + " WHERE u.id = ?", [.uuid(id)], UserRecord.init(row:))
    }
}
