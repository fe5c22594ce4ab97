import FluentKit
import Foundation
import Logging
import PostgresNIO

/// The Partner API's hot paths on PostgreSQL as named prepared statements, one
/// round trip each. PostgreSQL parses and plans an unnamed statement every time it
/// runs; on a 2-core machine that planning was most of the server's work (pgbench,
/// the refresh statement, 16 clients: 5,550 statements/s unnamed, 23,300 prepared).
/// Each pooled connection prepares a statement the first time it runs it.
///
/// Create-or-refresh is a single statement (data-modifying CTEs), so the org's
/// event counter row — which every create in the org updates, and so waits on — is
/// held for one statement, not for a transaction's round trips. SSO and launch-code
/// redemption are in `PostgresHotPathStore+Redemptions`; recording a key's use and
/// a launch are the plain-SQL store's.
public struct PostgresHotPathStore: HotPathStore {
    let store: PorticoStore
    let plain: SQLHotPathStore

    public init(store: PorticoStore) {
        self.store = store
        self.plain = SQLHotPathStore(store: store)
    }

    public func apiKey(hash: String) async throws -> APIKeyContext? {
        try await first(APIKeyStatement(hash: hash))
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

    public func markAPIKeyUsed(id: UUID, at: Date) async throws {
        try await plain.markAPIKeyUsed(id: id, at: at)
    }

    public func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date) async throws {
        try await plain.insertLaunch(id: id, appID: appID, userID: userID, issuedAt: issuedAt)
    }

    // MARK: - Create or refresh

    /// `.some(nil)` when the user exists but is not live; nil when another request
    /// created it between this statement's look and its insert.
    private func upsert(_ request: UserUpsert) async throws -> UserUpsertResult?? {
        let user = request.newUser()
        let statement = UpsertUserStatement(
            newUser: user, request: request,
            eventID: Outbox.newEventID(), payload: try Outbox.payload(UserEventData(user: UserSnapshot(user)))
        )
        guard let row = try await first(statement) else { return nil }
        if row.created, let expiresAt = row.tokenExpiresAt {
            return .some(UserUpsertResult(user: user, created: true, tokenExpiresAt: expiresAt))
        }
        guard let existing = row.existing else { return nil }
        guard let expiresAt = row.tokenExpiresAt else { return .some(nil) }
        return .some(UserUpsertResult(user: existing, created: false, tokenExpiresAt: expiresAt))
    }

    // MARK: - Running statements

    func all<S: PostgresPreparedStatement>(_ statement: S) async throws -> [S.Row] where S.Row: Sendable {
        guard let database = store.db as? any PostgresDatabase else {
            preconditionFailure("PostgresHotPathStore runs on a PostgreSQL database")
        }
        let logger = database.logger
        return try await database.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                try await connection.execute(statement, logger: logger).reduce(into: []) { $0.append($1) }
            }
        }.get()
    }

    func first<S: PostgresPreparedStatement>(_ statement: S) async throws -> S.Row? where S.Row: Sendable {
        try await all(statement).first
    }
}

// MARK: - The statements

/// `SQLHotPathStore.userColumns` decoded from eleven cells of a row, starting at `from`.
func postgresUserRecord(_ cells: PostgresRandomAccessRow, from i: Int = 0) throws -> UserRecord {
    UserRecord(
        id: try cells[i].decode(UUID.self),
        orgID: try cells[i + 1].decode(UUID.self),
        subscriptionID: try cells[i + 10].decode(UUID.self),
        partnerID: try cells[i + 2].decode(String.self),
        email: try cells[i + 3].decode(String?.self),
        firstName: try cells[i + 4].decode(String?.self),
        lastName: try cells[i + 5].decode(String?.self),
        anonymous: try cells[i + 6].decode(Bool.self),
        expiresAt: try cells[i + 7].decode(Date?.self),
        createdAt: try cells[i + 8].decode(Date.self),
        updatedAt: try cells[i + 9].decode(Date.self)
    )
}

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
    static let sql = """
        SELECT k.id, k.org_id, k.prefix, k.key_hash, k.expires_at, k.revoked_at, k.last_used_at, \
        o.anonymous_users_enabled, o.sso_token_ttl, o.sso_token_single_use \
        FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_hash = $1
        """
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> APIKeyContext {
        let (id, orgID, prefix, keyHash, expiresAt, revokedAt, lastUsedAt, anonymous, ttl, singleUse) =
            try row.decode((UUID, UUID, String, String, Date?, Date?, Date?, Bool, Int, Bool).self)
        return APIKeyContext(
            keyID: id, orgID: orgID, prefix: prefix, keyHash: keyHash, expiresAt: expiresAt, revokedAt: revokedAt,
            lastUsedAt: lastUsedAt, anonymousUsersEnabled: anonymous, ssoTokenTTL: ttl, ssoTokenSingleUse: singleUse
        )
    }
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
    static let sql = "SELECT \(SQLHotPathStore.userColumns) \(usersWithSubscription)"
    var orgID: UUID
    var partnerID: String

    func decodeRow(_ row: PostgresRow) throws -> UserRecord {
        try postgresUserRecord(row.makeRandomAccess())
    }
}

/// The user with one row per completed chapter (one row with NULLs when none).
private struct TrackProgressStatement: UserKeyedStatement {
    static let name = "portico_track_progress"
    static let sql = """
        SELECT \(SQLHotPathStore.userColumns), p.chapter_number, p.completed_at \
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
        return Row(user: try postgresUserRecord(cells), chapter: try cells[11].decode(Int?.self), completedAt: try cells[12].decode(Date?.self))
    }
}

/// Create or refresh in one statement. It looks for the user; when there is none it
/// inserts the user, its subscription and `user.created` numbered from the org's
/// counter (without a counter row the sequence is NULL and the whole statement
/// fails); then it issues the token to the new user or to the found one if live
/// (a token never outlives an anonymous user). Columns: `created`,
/// `token_expires_at` (NULL when the found user is not live), then the found user's
/// (NULL when it was created). When another request inserted the same partner id
/// after the look, nothing is written and every column is NULL.
private struct UpsertUserStatement: PostgresPreparedStatement {
    static let name = "portico_upsert_user"
    static let sql = """
        WITH found AS (SELECT \(SQLHotPathStore.userColumns) \(usersWithSubscription)), \
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
        SELECT $14, $15, id, subscription_id, $16, $17, LEAST($18, COALESCE(expires_at, $18)), $9 FROM found \
        WHERE expires_at IS NULL OR expires_at > $9 \
        UNION ALL SELECT $14, $15, id, $10, $16, $17, LEAST($18, COALESCE($8, $18)), $9 FROM new_user \
        RETURNING expires_at) \
        SELECT EXISTS (SELECT 1 FROM new_user) AS created, (SELECT expires_at FROM token) AS token_expires_at, found.* \
        FROM (SELECT 1) AS one LEFT JOIN found ON true
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .text, .uuid, .text, .text, .text, .bool, .timestamptz, .timestamptz,
        .uuid, .text, .text, .text, .uuid, .text, .text, .bool, .timestamptz,
    ]
    var newUser: UserRecord
    var request: UserUpsert
    var eventID: String
    var payload: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 18)
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
        bindings.append(eventID)
        bindings.append(Outbox.EventType.userCreated.rawValue)
        bindings.append(payload)
        bindings.append(UUID.timeOrdered())
        bindings.append(request.tokenHash)
        bindings.append(SSOToken.Purpose.login.rawValue)
        bindings.append(request.tokenSingleUse)
        bindings.append(request.now.addingTimeInterval(TimeInterval(request.tokenTTL)))
        return bindings
    }

    struct Row: Sendable {
        var created: Bool
        var tokenExpiresAt: Date?
        var existing: UserRecord?
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        let found = try cells[2].decode(UUID?.self) != nil
        return Row(
            created: try cells[0].decode(Bool.self),
            tokenExpiresAt: try cells[1].decode(Date?.self),
            existing: found ? try postgresUserRecord(cells, from: 2) : nil
        )
    }
}
