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
/// Create and refresh are single statements (data-modifying CTEs), so the org's
/// event counter row — which every create in the org updates, and so waits on — is
/// held for one statement, not for a transaction's round trips. The other paths are
/// the plain-SQL store's.
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
        // Most calls refresh a user that exists: try that first.
        switch try await refresh(request) {
        case .refreshed(let result): return result
        case .notLive: return nil
        case .missing: break
        }
        if let created = try await create(request) { return created }
        // Another request created the user between the two statements: refresh theirs.
        guard case .refreshed(let result) = try await refresh(request) else { return nil }
        return result
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

    public func redeemSSOToken(_ request: SignIn.Request) async throws -> SignIn.Outcome {
        try await plain.redeemSSOToken(request)
    }

    public func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date) async throws {
        try await plain.insertLaunch(id: id, appID: appID, userID: userID, issuedAt: issuedAt)
    }

    public func partnerApp(keyHash: String) async throws -> PartnerAppContext? {
        try await plain.partnerApp(keyHash: keyHash)
    }

    public func redeemLaunch(id: UUID, appID: UUID, userID: UUID, now: Date) async throws -> LaunchRedemption {
        try await plain.redeemLaunch(id: id, appID: appID, userID: userID, now: now)
    }

    // MARK: - Create and refresh

    private enum Refresh {
        case refreshed(UserUpsertResult)
        case notLive
        case missing
    }

    private func refresh(_ request: UserUpsert) async throws -> Refresh {
        guard let row = try await first(RefreshUserStatement(request: request)) else { return .missing }
        guard let expiresAt = row.tokenExpiresAt else { return .notLive }
        return .refreshed(UserUpsertResult(user: row.user, created: false, tokenExpiresAt: expiresAt))
    }

    /// Nil when the partner id is taken.
    private func create(_ request: UserUpsert) async throws -> UserUpsertResult? {
        let user = UserRecord(
            id: UUID(), orgID: request.orgID, subscriptionID: UUID(), partnerID: request.partnerID,
            email: request.email, firstName: request.firstName, lastName: request.lastName,
            anonymous: request.anonymousExpiresAt != nil, expiresAt: request.anonymousExpiresAt,
            createdAt: request.now, updatedAt: request.now
        )
        let expiresAt = SQLHotPathStore.tokenExpiry(request, user: user)
        let statement = CreateUserStatement(
            user: user, request: request, tokenExpiresAt: expiresAt,
            eventID: Outbox.newEventID(), payload: try Outbox.payload(UserEventData(user: UserSnapshot(user)))
        )
        guard try await first(statement) != nil else { return nil }
        return UserUpsertResult(user: user, created: true, tokenExpiresAt: expiresAt)
    }

    // MARK: - Running statements

    private func all<S: PostgresPreparedStatement>(_ statement: S) async throws -> [S.Row] where S.Row: Sendable {
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

    private func first<S: PostgresPreparedStatement>(_ statement: S) async throws -> S.Row? where S.Row: Sendable {
        try await all(statement).first
    }
}

// MARK: - The statements

/// `SQLHotPathStore.userColumns` decoded from the first eleven cells of a row.
private func userRecord(_ cells: PostgresRandomAccessRow) throws -> UserRecord {
    UserRecord(
        id: try cells[0].decode(UUID.self),
        orgID: try cells[1].decode(UUID.self),
        subscriptionID: try cells[10].decode(UUID.self),
        partnerID: try cells[2].decode(String.self),
        email: try cells[3].decode(String?.self),
        firstName: try cells[4].decode(String?.self),
        lastName: try cells[5].decode(String?.self),
        anonymous: try cells[6].decode(Bool.self),
        expiresAt: try cells[7].decode(Date?.self),
        createdAt: try cells[8].decode(Date.self),
        updatedAt: try cells[9].decode(Date.self)
    )
}

private let usersWithSubscription = """
    FROM users u JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
    WHERE u.org_id = $1 AND u.partner_id = $2
    """

private struct APIKeyStatement: PostgresPreparedStatement {
    static let name = "portico_api_key"
    static let sql = """
        SELECT k.id, k.org_id, k.prefix, k.key_hash, k.expires_at, k.revoked_at, k.last_used_at, \
        o.anonymous_users_enabled, o.sso_token_ttl, o.sso_token_single_use \
        FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_hash = $1
        """
    static let bindingDataTypes: [PostgresDataType] = [.text]
    var hash: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(hash)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> APIKeyContext {
        let (id, orgID, prefix, keyHash, expiresAt, revokedAt, lastUsedAt, anonymous, ttl, singleUse) =
            try row.decode((UUID, UUID, String, String, Date?, Date?, Date?, Bool, Int, Bool).self)
        return APIKeyContext(
            keyID: id, orgID: orgID, prefix: prefix, keyHash: keyHash, expiresAt: expiresAt, revokedAt: revokedAt,
            lastUsedAt: lastUsedAt, anonymousUsersEnabled: anonymous, ssoTokenTTL: ttl, ssoTokenSingleUse: singleUse
        )
    }
}

private struct UserStatement: PostgresPreparedStatement {
    static let name = "portico_user"
    static let sql = "SELECT \(SQLHotPathStore.userColumns) \(usersWithSubscription)"
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .text]
    var orgID: UUID
    var partnerID: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(orgID)
        bindings.append(partnerID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> UserRecord {
        try userRecord(row.makeRandomAccess())
    }
}

/// The user with one row per completed chapter (one row with NULLs when none).
private struct TrackProgressStatement: PostgresPreparedStatement {
    static let name = "portico_track_progress"
    static let sql = """
        SELECT \(SQLHotPathStore.userColumns), p.chapter_number, p.completed_at \
        FROM users u JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
        LEFT JOIN track_progress p ON p.user_id = u.id \
        WHERE u.org_id = $1 AND u.partner_id = $2
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .text]
    var orgID: UUID
    var partnerID: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(orgID)
        bindings.append(partnerID)
        return bindings
    }

    struct Row: Sendable {
        var user: UserRecord
        var chapter: Int?
        var completedAt: Date?
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(user: try userRecord(cells), chapter: try cells[11].decode(Int?.self), completedAt: try cells[12].decode(Date?.self))
    }
}

/// Finds the user and, when it is live, issues the token: a token never outlives
/// an anonymous user. `token_expires_at` is NULL when the user is not live.
private struct RefreshUserStatement: PostgresPreparedStatement {
    static let name = "portico_refresh_user"
    static let sql = """
        WITH found AS (SELECT \(SQLHotPathStore.userColumns) \(usersWithSubscription)), \
        token AS (\
        INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
        SELECT $3, $4, id, subscription_id, $5, $6, LEAST($7, COALESCE(expires_at, $7)), $8 FROM found \
        WHERE expires_at IS NULL OR expires_at > $8 RETURNING expires_at) \
        SELECT found.*, token.expires_at AS token_expires_at FROM found LEFT JOIN token ON true
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .text, .uuid, .text, .text, .bool, .timestamptz, .timestamptz]
    var request: UserUpsert

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(request.orgID)
        bindings.append(request.partnerID)
        bindings.append(UUID())
        bindings.append(request.tokenHash)
        bindings.append(SSOToken.Purpose.login.rawValue)
        bindings.append(request.tokenSingleUse)
        bindings.append(request.now.addingTimeInterval(TimeInterval(request.tokenTTL)))
        bindings.append(request.now)
        return bindings
    }

    struct Row: Sendable {
        var user: UserRecord
        var tokenExpiresAt: Date?
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(user: try userRecord(cells), tokenExpiresAt: try cells[11].decode(Date?.self))
    }
}

/// Inserts the user, its subscription, `user.created` numbered from the org's
/// counter, and the token; no row when the partner id is taken. Without a counter
/// row the event's sequence is NULL and the whole statement fails.
private struct CreateUserStatement: PostgresPreparedStatement {
    static let name = "portico_create_user"
    static let sql = """
        WITH new_user AS (\
        INSERT INTO users (id, org_id, partner_id, email, first_name, last_name, anonymous, expires_at, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (org_id, partner_id) DO NOTHING RETURNING id), \
        new_subscription AS (\
        INSERT INTO subscriptions (id, user_id, org_id, created_at) SELECT $10, id, $2, $9 FROM new_user), \
        next_sequence AS (\
        UPDATE event_counters SET last_sequence = last_sequence + 1 \
        WHERE org_id = $2 AND EXISTS (SELECT 1 FROM new_user) RETURNING last_sequence), \
        new_event AS (\
        INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
        SELECT $11, $2, (SELECT last_sequence FROM next_sequence), $12, id, $13, $9 FROM new_user), \
        new_token AS (\
        INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
        SELECT $14, $15, id, $10, $16, $17, $18, $9 FROM new_user) \
        SELECT id FROM new_user
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .uuid, .text, .text, .text, .text, .bool, .timestamptz, .timestamptz,
        .uuid, .text, .text, .text, .uuid, .text, .text, .bool, .timestamptz,
    ]
    var user: UserRecord
    var request: UserUpsert
    var tokenExpiresAt: Date
    var eventID: String
    var payload: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 18)
        bindings.append(user.id)
        bindings.append(user.orgID)
        bindings.append(user.partnerID)
        bindings.append(user.email)
        bindings.append(user.firstName)
        bindings.append(user.lastName)
        bindings.append(user.anonymous)
        bindings.append(user.expiresAt)
        bindings.append(request.now)
        bindings.append(user.subscriptionID)
        bindings.append(eventID)
        bindings.append(Outbox.EventType.userCreated.rawValue)
        bindings.append(payload)
        bindings.append(UUID())
        bindings.append(request.tokenHash)
        bindings.append(SSOToken.Purpose.login.rawValue)
        bindings.append(request.tokenSingleUse)
        bindings.append(tokenExpiresAt)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> UUID {
        try row.decode(UUID.self)
    }
}
