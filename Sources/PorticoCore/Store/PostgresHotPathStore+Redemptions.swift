import Foundation
import PostgresNIO

/// SSO-token and launch-code redemption on PostgreSQL: a prepared read of everything
/// the rules ask about, the decision (`SignIn.decide`, `LaunchCodes.decide`), then one
/// prepared statement that makes the whole change or nothing. Of two parallel
/// redemptions of a single-use token or a launch code, the row lock of the consuming
/// `UPDATE … WHERE … IS NULL` lets one win; the other writes nothing.
extension PostgresHotPathStore {
    public func redeemSSOToken(_ request: SignIn.Request) async throws -> SignIn.Outcome {
        let token = try await first(SSOTokenStatement(hash: request.tokenHash))
        switch try SignIn.decide(token, request: request) {
        case .answer(let outcome):
            return outcome
        case .write(let plan):
            guard let row = try await first(SignInStatement(plan: plan, now: request.now)) else { return plan.lostRace(tokenStillExists: false) }
            return row.signedIn ? plan.signedIn : plan.lostRace(tokenStillExists: row.tokenExists)
        }
    }

    public func partnerApp(keyHash: String) async throws -> PartnerAppContext? {
        try await first(PartnerAppStatement(hash: keyHash))
    }

    public func redeemLaunch(id: UUID, appID: UUID, userID: UUID, now: Date) async throws -> LaunchRedemption {
        let found = try await first(LaunchStatement(launchID: id, userID: userID))
        switch LaunchCodes.decide(user: found?.user, launch: found?.launch, appID: appID, userID: userID, now: now) {
        case .answer(let answer):
            return answer
        case .consume(let user):
            guard let row = try await first(ConsumeLaunchStatement(launchID: id, userID: userID, now: now)) else { return .userGone }
            if row.consumed { return .redeemed(user) }
            // Used meanwhile, or gone with its user (who is reported first).
            return row.userExists ? .notValid : .userGone
        }
    }
}

/// The token with its user (NULL columns when gone) and the org of the subscription
/// it signs into.
private struct SSOTokenStatement: HashKeyedStatement {
    static let name = "portico_sso_token"
    static let sql = """
        SELECT \(StoredColumns.ssoToken), \(StoredColumns.user) \
        FROM sso_tokens t LEFT JOIN subscriptions ts ON ts.id = t.subscription_id \
        LEFT JOIN users u ON u.id = t.user_id LEFT JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
        WHERE t.token_hash = $1
        """
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> SSOTokens.Stored {
        try SSOTokens.Stored(row: row.makeRandomAccess())
    }
}

/// Writes a `SignIn.Plan`: consumes a single-use token (only if no one else has; a
/// reusable one needs its user still there), replaces the browser's earlier session
/// with the new one, and writes the audit entry and the numbered event; or, having
/// lost the race, nothing. Answers whether it signed in, and whether the token exists.
private struct SignInStatement: PostgresPreparedStatement {
    static let name = "portico_sign_in"
    static let sql = """
        WITH consumed AS (\
        UPDATE sso_tokens SET consumed_at = $3 WHERE id = $1 AND $2 AND consumed_at IS NULL RETURNING id), \
        ok AS (SELECT 1 AS one WHERE ($2 AND EXISTS (SELECT 1 FROM consumed)) \
        OR (NOT $2 AND EXISTS (SELECT 1 FROM users WHERE id = $7))), \
        replaced AS (DELETE FROM sessions WHERE session_hash = $4 AND EXISTS (SELECT 1 FROM ok)), \
        new_session AS (\
        INSERT INTO sessions (id, session_hash, user_id, subscription_id, display, return_url, csrf_token, \
        created_at, last_seen_at, expires_at) SELECT $5, $6, $7, $8, $9, $10, $11, $3, $3, $12 FROM ok), \
        audit AS (\
        INSERT INTO audit_entries (id, org_id, actor, action, target, at, ip) \
        SELECT $13, $14, $15, $16, $17, $3, $18 FROM ok), \
        next_sequence AS (\
        UPDATE event_counters SET last_sequence = last_sequence + 1 \
        WHERE org_id = $22 AND EXISTS (SELECT 1 FROM ok) RETURNING last_sequence), \
        new_event AS (\
        INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
        SELECT $19, $22, (SELECT last_sequence FROM next_sequence), $20, $7, $21, $3 FROM ok) \
        SELECT EXISTS (SELECT 1 FROM ok) AS signed_in, EXISTS (SELECT 1 FROM sso_tokens WHERE id = $1) AS token_exists
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .bool, .timestamptz, .text,
        .uuid, .text, .uuid, .uuid, .int8, .text, .text, .timestamptz,
        .uuid, .uuid, .text, .text, .text, .text,
        .text, .text, .text, .uuid,
    ]
    var plan: SignIn.Plan
    var now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 22)
        bindings.append(plan.tokenID)
        bindings.append(plan.consume)
        bindings.append(now)
        bindings.append(plan.replacedSessionHash)
        bindings.append(plan.session.id)
        bindings.append(plan.sessionHash)
        bindings.append(plan.session.userID)
        bindings.append(plan.session.subscriptionID)
        bindings.append(plan.session.display)
        bindings.append(plan.session.returnURL)
        bindings.append(plan.session.csrfToken)
        bindings.append(plan.session.expiresAt)
        bindings.append(plan.audit.id)
        bindings.append(plan.audit.orgID)
        bindings.append(plan.audit.actor)
        bindings.append(plan.audit.action)
        bindings.append(plan.audit.target)
        bindings.append(plan.audit.ip)
        bindings.append(plan.event.id)
        bindings.append(plan.event.type.rawValue)
        bindings.append(plan.event.payload)
        bindings.append(plan.event.orgID)
        return bindings
    }

    struct Row: Sendable {
        var signedIn: Bool
        var tokenExists: Bool
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(signedIn: try cells.bool("signed_in") ?? false, tokenExists: try cells.bool("token_exists") ?? false)
    }
}

private struct PartnerAppStatement: HashKeyedStatement {
    static let name = "portico_partner_app"
    static let sql = "SELECT id, org_id, key_hash FROM partner_apps WHERE key_hash = $1 AND enabled"
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> PartnerAppContext {
        try PartnerAppContext(row: row.makeRandomAccess())
    }
}

/// The launch's user and the launch (each all NULL when missing), in one row.
private struct LaunchStatement: PostgresPreparedStatement {
    static let name = "portico_launch"
    static let sql = """
        SELECT \(StoredColumns.user), \(StoredColumns.launch) FROM (SELECT 1) AS one \
        LEFT JOIN (users u JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id) ON u.id = $1 \
        LEFT JOIN launch_codes l ON l.id = $2
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid]
    var launchID: UUID
    var userID: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(userID)
        bindings.append(launchID)
        return bindings
    }

    struct Row: Sendable {
        var user: UserRecord?
        var launch: LaunchCodes.StoredLaunch?
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(user: try UserRecord.optional(row: cells), launch: try LaunchCodes.StoredLaunch.optional(row: cells))
    }
}

/// Marks the launch used, only if no one else has; says whether it did and whether
/// its user still exists.
private struct ConsumeLaunchStatement: PostgresPreparedStatement {
    static let name = "portico_consume_launch"
    static let sql = """
        WITH used AS (UPDATE launch_codes SET used_at = $3 WHERE id = $1 AND used_at IS NULL RETURNING id) \
        SELECT EXISTS (SELECT 1 FROM used) AS consumed, EXISTS (SELECT 1 FROM users WHERE id = $2) AS user_exists
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .timestamptz]
    var launchID: UUID
    var userID: UUID
    var now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(launchID)
        bindings.append(userID)
        bindings.append(now)
        return bindings
    }

    struct Row: Sendable {
        var consumed: Bool
        var userExists: Bool
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(consumed: try cells.bool("consumed") ?? false, userExists: try cells.bool("user_exists") ?? false)
    }
}
