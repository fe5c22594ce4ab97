import Foundation
import PostgresNIO

/// The OpenID Connect hot paths on PostgreSQL: `OIDCStatements`' SQL as named prepared
/// statements. Redeeming a code is one statement: the `UPDATE` that marks it used feeds
/// the token inserts, so of two parallel redemptions only one writes tokens.
extension PostgresHotPathStore {
    public func oidcClient(clientID: String) async throws -> OpenIDConnect.Client? {
        try await first(OIDCClientStatement(hash: clientID))
    }

    public func oidcCode(hash: String) async throws -> OpenIDConnect.StoredCode? {
        try await first(OIDCCodeStatement(hash: hash))
    }

    public func redeemOIDCCode(id: UUID, now: Date, tokens: [OpenIDConnect.NewToken]) async throws -> Bool {
        !(try await all(RedeemOIDCCodeStatement(codeID: id, now: now, tokens: tokens))).isEmpty
    }

    public func oidcToken(hash: String) async throws -> OpenIDConnect.StoredToken? {
        try await first(OIDCTokenStatement(hash: hash))
    }

    public func revokeOIDCFamily(_ familyID: UUID, now: Date) async throws {
        _ = try await all(RevokeOIDCFamilyStatement(familyID: familyID, now: now))
    }

    /// Retention on PostgreSQL: each batch a short transaction of its own.
    public func purgeBatch(_ kind: Retention.Kind, limit: Int) async throws -> Retention.Batch {
        try await Retention.transactionBatch(kind, limit: limit, store: store)
    }
}

/// `$1` the client_id (a lookup key like a hash).
private struct OIDCClientStatement: HashKeyedStatement {
    static let name = "portico_oidc_client"
    static let sql = OIDCStatements.client
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> OpenIDConnect.Client {
        try OpenIDConnect.Client(row: row.makeRandomAccess())
    }
}

private struct OIDCCodeStatement: HashKeyedStatement {
    static let name = "portico_oidc_code"
    static let sql = OIDCStatements.code
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> OpenIDConnect.StoredCode {
        try OpenIDConnect.StoredCode(row: row.makeRandomAccess())
    }
}

private struct OIDCTokenStatement: HashKeyedStatement {
    static let name = "portico_oidc_token"
    static let sql = OIDCStatements.token
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> OpenIDConnect.StoredToken {
        try OpenIDConnect.StoredToken(row: row.makeRandomAccess())
    }
}

/// `OIDCStatements.useCode` feeding `insertToken` for each token (as arrays): one row per
/// token written, none when the code was used already.
private struct RedeemOIDCCodeStatement: PostgresPreparedStatement {
    static let name = "portico_oidc_redeem_code"
    static let sql = """
        WITH used AS (UPDATE oidc_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL RETURNING id) \
        INSERT INTO oidc_tokens (id, token_hash, kind, app_id, user_id, family_id, scope, auth_time, created_at, expires_at) \
        SELECT t.id, t.token_hash, t.kind, t.app_id, t.user_id, t.family_id, t.scope, t.auth_time, t.created_at, t.expires_at \
        FROM used, unnest($3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[], \
        $10::timestamptz[], $11::timestamptz[], $12::timestamptz[]) \
        AS t(id, token_hash, kind, app_id, user_id, family_id, scope, auth_time, created_at, expires_at) RETURNING id
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .timestamptz, .uuidArray, .textArray, .textArray, .uuidArray, .uuidArray, .uuidArray, .textArray,
        .timestamptzArray, .timestamptzArray, .timestamptzArray,
    ]
    var codeID: UUID
    var now: Date
    var tokens: [OpenIDConnect.NewToken]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 12)
        bindings.append(codeID)
        bindings.append(now)
        bindings.append(tokens.map(\.id))
        bindings.append(tokens.map(\.tokenHash))
        bindings.append(tokens.map(\.kind.rawValue))
        bindings.append(tokens.map(\.appID))
        bindings.append(tokens.map(\.userID))
        bindings.append(tokens.map(\.familyID))
        bindings.append(tokens.map(\.scope))
        bindings.append(tokens.map(\.authTime))
        bindings.append(tokens.map(\.createdAt))
        bindings.append(tokens.map(\.expiresAt))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> UUID {
        try row.decode(UUID.self)
    }
}

private struct RevokeOIDCFamilyStatement: PostgresPreparedStatement {
    static let name = "portico_oidc_revoke_family"
    static let sql = OIDCStatements.revokeFamily
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .timestamptz]
    var familyID: UUID
    var now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(familyID)
        bindings.append(now)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
