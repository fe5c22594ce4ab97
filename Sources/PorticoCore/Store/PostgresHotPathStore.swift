import FluentKit
import Foundation
import Logging
import PostgresNIO

/// The hot paths on PostgreSQL as named prepared statements, one round trip each where
/// it can be. PostgreSQL parses and plans an unnamed statement every time it runs; on a
/// 2-core machine that planning was most of the server's work (pgbench, the refresh
/// statement, 16 clients: 5,550 statements/s unnamed, 23,300 prepared). Each pooled
/// connection prepares a statement the first time it runs it.
///
/// This file and `+Redemptions` hold SQL, bindings and the order of statements only:
/// what a token, a launch or a new user comes to is decided in `SignIn`, `LaunchCodes`,
/// `SSOTokens` and `Outbox`, which the SQLite store calls too. Create-or-refresh is a
/// single statement (data-modifying CTEs), so the org's event counter row, which every
/// create in the org updates, is held for one statement, not a transaction's round trips.
public struct PostgresHotPathStore: HotPathStore {
    let store: PorticoStore

    public init(store: PorticoStore) {
        self.store = store
    }

    public func apiKey(hash: String) async throws -> APIKeyContext? {
        try await first(APIKeyStatement(hash: hash))
    }

    public func markAPIKeyUsed(id: UUID, at: Date) async throws {
        _ = try await all(MarkKeyUsedStatement(keyID: id, at: at))
    }

    public func user(orgID: UUID, partnerID: String, now: Date) async throws -> UserRecord? {
        try await first(UserStatement(orgID: orgID, partnerID: partnerID)).flatMap { $0.isLive(at: now) ? $0 : nil }
    }

    public func createOrRefreshUser(_ request: UserUpsert) async throws -> UserUpsertResult? {
        if let result = try await upsert(request) { return result }
        // Another request created the user while this one looked: the second look finds it.
        return try await upsert(request) ?? nil
    }

    public func trackProgress(orgID: UUID, partnerID: String, now: Date) async throws -> (UserRecord, [Int: Date])? {
        let rows = try await all(TrackProgressStatement(orgID: orgID, partnerID: partnerID))
        guard let user = rows.first?.user, user.isLive(at: now) else { return nil }
        var completed: [Int: Date] = [:]
        for row in rows {
            if let chapter = row.chapter, let at = row.completedAt { completed[chapter] = at }
        }
        return (user, completed)
    }

    // MARK: - Create or refresh

    /// `.some(nil)` when the user exists but is not live; nil when another request
    /// created it between this statement's look and its insert.
    private func upsert(_ request: UserUpsert) async throws -> UserUpsertResult?? {
        let user = request.newUser()
        let statement = UpsertUserStatement(
            newUser: user, request: request,
            event: try Outbox.NewEvent(.userCreated, orgID: user.orgID, userID: user.id, data: UserEventData(user: UserSnapshot(user)), at: request.now)
        )
        guard let row = try await first(statement) else { return nil }
        if row.created, let expiresAt = row.tokenExpiresAt {
            return .some(UserUpsertResult(user: user, created: true, tokenExpiresAt: expiresAt))
        }
        guard let existing = row.existing else { return nil }
        if let expiresAt = row.tokenExpiresAt {
            return .some(UserUpsertResult(user: existing, created: false, tokenExpiresAt: expiresAt))
        }
        // A user with an expiry (anonymous): its token is issued here, if it is live.
        guard existing.isLive(at: request.now) else { return .some(nil) }
        let token = request.token(for: existing)
        _ = try await all(InsertTokenStatement(token: token))
        return .some(UserUpsertResult(user: existing, created: false, tokenExpiresAt: token.expiresAt))
    }

    // MARK: - Launch codes

    public func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date) async throws {
        _ = try await all(InsertLaunchStatement(id: id, appID: appID, userID: userID, issuedAt: issuedAt))
    }

    public func insertTokens(_ tokens: [IssuedToken]) async throws {
        try await each(tokens.map(InsertTokenStatement.init(token:)))
    }

    public func insertEvents(_ events: [Outbox.NewEvent]) async throws {
        try await each(events.map(AppendEventStatement.init(event:)))
    }

    public func insertLaunches(_ launches: [(id: UUID, appID: UUID, userID: UUID, issuedAt: Date)]) async throws {
        try await each(launches.map { InsertLaunchStatement(id: $0.id, appID: $0.appID, userID: $0.userID, issuedAt: $0.issuedAt) })
    }

    // MARK: - Running statements

    /// Runs `body` on a pooled connection of the store's database.
    private func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        guard let database = store.db as? any PostgresDatabase else {
            preconditionFailure("PostgresHotPathStore runs on a PostgreSQL database")
        }
        let logger = database.logger
        return try await database.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { try await body(connection, logger) }
        }.get()
    }

    func all<S: PostgresPreparedStatement>(_ statement: S) async throws -> [S.Row] where S.Row: Sendable {
        // One statement, all or nothing: run again when it lost a deadlock.
        try await StoreFailure.retrying {
            try await withConnection { connection, logger in
                try await connection.execute(statement, logger: logger).reduce(into: []) { $0.append($1) }
            }
        }
    }

    /// Runs the statements one after another on one connection, in one transaction.
    func each<S: PostgresPreparedStatement>(_ statements: [S]) async throws where S.Row: Sendable {
        try await withConnection { connection, logger in
            _ = try await connection.query("BEGIN", logger: logger)
            do {
                for statement in statements { _ = try await connection.execute(statement, logger: logger).reduce(into: 0) { n, _ in n += 1 } }
                _ = try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    func first<S: PostgresPreparedStatement>(_ statement: S) async throws -> S.Row? where S.Row: Sendable {
        try await all(statement).first
    }
}

// MARK: - Rows by name

extension PostgresRandomAccessRow: StoredRow {
    private func value<T: PostgresDecodable>(_ column: String, _ type: T.Type) throws -> T? {
        guard contains(column) else { return nil }
        let cell = self[column]
        guard cell.bytes != nil else { return nil }
        return try cell.decode(T.self)
    }

    public func uuid(_ column: String) throws -> UUID? { try value(column, UUID.self) }
    public func string(_ column: String) throws -> String? { try value(column, String.self) }
    public func int(_ column: String) throws -> Int? { try value(column, Int.self) }
    public func bool(_ column: String) throws -> Bool? { try value(column, Bool.self) }
    public func date(_ column: String) throws -> Date? { try value(column, Date.self) }
}

// MARK: - The statements

private let usersWithSubscription = """
    FROM users u JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
    WHERE u.org_id = $1 AND u.partner_id = $2
    """

/// A statement that finds a row by the SHA-256 of a secret: `$1` the hash.
protocol HashKeyedStatement: PostgresPreparedStatement {
    var hash: String { get }
}

extension HashKeyedStatement {
    static var bindingDataTypes: [PostgresDataType] { [.text] }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(hash)
        return bindings
    }
}

private struct APIKeyStatement: HashKeyedStatement {
    static let name = "portico_api_key"
    static let sql = "SELECT \(StoredColumns.apiKey) FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_hash = $1"
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> APIKeyContext {
        try APIKeyContext(row: row.makeRandomAccess())
    }
}

private struct MarkKeyUsedStatement: PostgresPreparedStatement {
    static let name = "portico_mark_key_used"
    static let sql = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1"
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .timestamptz]
    var keyID: UUID
    var at: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(keyID)
        bindings.append(at)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// A statement about one user: `$1` the org, `$2` the partner id.
private protocol UserKeyedStatement: PostgresPreparedStatement {
    var orgID: UUID { get }
    var partnerID: String { get }
}

extension UserKeyedStatement {
    static var bindingDataTypes: [PostgresDataType] { [.uuid, .text] }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(orgID)
        bindings.append(partnerID)
        return bindings
    }
}

private struct UserStatement: UserKeyedStatement {
    static let name = "portico_user"
    static let sql = "SELECT \(StoredColumns.user) \(usersWithSubscription)"
    var orgID: UUID
    var partnerID: String

    func decodeRow(_ row: PostgresRow) throws -> UserRecord {
        try UserRecord(row: row.makeRandomAccess())
    }
}

/// The user with one row per completed chapter (one row with NULLs when none).
private struct TrackProgressStatement: UserKeyedStatement {
    static let name = "portico_track_progress"
    static let sql = """
        SELECT \(StoredColumns.user), p.chapter_number, p.completed_at \
        FROM users u JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
        LEFT JOIN track_progress p ON p.user_id = u.id \
        WHERE u.org_id = $1 AND u.partner_id = $2
        """
    var orgID: UUID
    var partnerID: String

    struct Row: Sendable {
        var user: UserRecord
        var chapter: Int?
        var completedAt: Date?
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(user: try UserRecord(row: cells), chapter: try cells.int("chapter_number"), completedAt: try cells.date("completed_at"))
    }
}

/// Create or refresh in one statement. It looks for the user; when there is none it
/// inserts the user, its subscription and `user.created` numbered from the org's
/// counter (without a counter row the sequence is NULL and the whole statement fails),
/// and the new user's token. A found user without an expiry gets its token here too;
/// a found user with one (anonymous) gets none: the caller decides. Columns:
/// `created`, `token_expires_at` (NULL when no token was issued), then the found
/// user's (NULL when it was created). When another request inserted the same partner
/// id after the look, nothing is written and every column is NULL.
private struct UpsertUserStatement: PostgresPreparedStatement {
    static let name = "portico_upsert_user"
    static let sql = """
        WITH found AS (SELECT \(StoredColumns.user) \(usersWithSubscription)), \
        new_user AS (\
        INSERT INTO users (id, org_id, partner_id, email, first_name, last_name, anonymous, expires_at, created_at, updated_at) \
        SELECT $3, $1, $2, $4, $5, $6, $7, $8, $9, $9 WHERE NOT EXISTS (SELECT 1 FROM found) \
        ON CONFLICT (org_id, partner_id) DO NOTHING RETURNING id), \
        new_subscription AS (\
        INSERT INTO subscriptions (id, user_id, org_id, created_at) SELECT $10, id, $1, $9 FROM new_user), \
        next_sequence AS (\
        UPDATE event_counters SET last_sequence = last_sequence + 1 \
        WHERE org_id = $1 AND EXISTS (SELECT 1 FROM new_user) RETURNING last_sequence), \
        new_event AS (\
        INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
        SELECT $11, $1, (SELECT last_sequence FROM next_sequence), $12, id, $13, $9 FROM new_user), \
        token AS (\
        INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
        SELECT $14, $15, id, subscription_id, $16, $17, $18, $9 FROM found WHERE expires_at IS NULL \
        UNION ALL SELECT $14, $15, id, $10, $16, $17, $19, $9 FROM new_user \
        RETURNING expires_at) \
        SELECT EXISTS (SELECT 1 FROM new_user) AS created, (SELECT expires_at FROM token) AS token_expires_at, found.* \
        FROM (SELECT 1) AS one LEFT JOIN found ON true
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .text, .uuid, .text, .text, .text, .bool, .timestamptz, .timestamptz,
        .uuid, .text, .text, .text, .uuid, .text, .text, .bool, .timestamptz, .timestamptz,
    ]
    var newUser: UserRecord
    var request: UserUpsert
    var event: Outbox.NewEvent

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 19)
        bindings.append(request.orgID)
        bindings.append(request.partnerID)
        bindings.append(newUser.id)
        bindings.append(newUser.email)
        bindings.append(newUser.firstName)
        bindings.append(newUser.lastName)
        bindings.append(newUser.anonymous)
        bindings.append(newUser.expiresAt)
        bindings.append(request.now)
        bindings.append(newUser.subscriptionID)
        bindings.append(event.id)
        bindings.append(event.type.rawValue)
        bindings.append(event.payload)
        bindings.append(UUID.timeOrdered())
        bindings.append(request.tokenHash)
        bindings.append(SSOToken.Purpose.login.rawValue)
        bindings.append(request.tokenSingleUse)
        // The two expiries, each decided by `SSOTokens.expiry`: a found user without an
        // expiry, and the new user.
        bindings.append(SSOTokens.expiry(issuedAt: request.now, ttl: request.tokenTTL, userExpiresAt: nil))
        bindings.append(request.tokenExpiry(for: newUser))
        return bindings
    }

    struct Row: Sendable {
        var created: Bool
        var tokenExpiresAt: Date?
        var existing: UserRecord?
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(
            created: try cells.bool("created") ?? false,
            tokenExpiresAt: try cells.date("token_expires_at"),
            existing: try UserRecord.optional(row: cells)
        )
    }
}

/// A token whose expiry the caller decided (an anonymous user's refresh; bulk seeding).
private struct InsertTokenStatement: PostgresPreparedStatement {
    static let name = "portico_insert_token"
    static let sql = """
        INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .text, .uuid, .uuid, .text, .bool, .timestamptz, .timestamptz]
    var token: IssuedToken

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(token.id)
        bindings.append(token.tokenHash)
        bindings.append(token.userID)
        bindings.append(token.subscriptionID)
        bindings.append(token.purpose.rawValue)
        bindings.append(token.singleUse)
        bindings.append(token.expiresAt)
        bindings.append(token.createdAt)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// `Outbox.append` as one statement: the org's counter, then the event (bulk seeding).
private struct AppendEventStatement: PostgresPreparedStatement {
    static let name = "portico_append_event"
    static let sql = """
        WITH next_sequence AS (UPDATE event_counters SET last_sequence = last_sequence + 1 WHERE org_id = $2 RETURNING last_sequence) \
        INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
        SELECT $1, $2, last_sequence, $3, $4, $5, $6 FROM next_sequence
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .uuid, .text, .uuid, .text, .timestamptz]
    var event: Outbox.NewEvent

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(event.id)
        bindings.append(event.orgID)
        bindings.append(event.type.rawValue)
        bindings.append(event.userID)
        bindings.append(event.payload)
        bindings.append(event.at)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

private struct InsertLaunchStatement: PostgresPreparedStatement {
    static let name = "portico_insert_launch"
    static let sql = "INSERT INTO launch_codes (id, app_id, user_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .uuid, .timestamptz, .timestamptz]
    var id: UUID
    var appID: UUID
    var userID: UUID
    var issuedAt: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(id)
        bindings.append(appID)
        bindings.append(userID)
        bindings.append(issuedAt)
        bindings.append(issuedAt.addingTimeInterval(LaunchCodes.lifetime))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
