import Foundation
import PostgresNIO

/// SSO-token and launch-code redemption on PostgreSQL: a prepared read that answers
/// every question of the rules, then one prepared statement that makes the whole
/// change or nothing. Of two parallel redemptions of a single-use token or a launch
/// code, the row lock of the consuming `UPDATE … WHERE consumed_at IS NULL` lets one
/// win; the other sees the row consumed and writes nothing.
extension PostgresHotPathStore {
    public func redeemSSOToken(_ request: SignIn.Request) async throws -> SignIn.Outcome {
        guard let token = try await first(SSOTokenStatement(hash: request.tokenHash)) else { return .unknown }
        if token.consumedAt != nil { return .used(subscriptionID: token.subscriptionID) }
        guard token.expiresAt > request.now else { return .expired(subscriptionID: token.subscriptionID) }
        guard let user = token.user, user.isLive(at: request.now), let orgID = token.subscriptionOrgID else { return .unknown }

        let (secret, session) = SignIn.newSession(
            user: user, subscriptionID: token.subscriptionID, orgID: orgID, tokenDisplay: token.display, request: request
        )
        let statement = SignInStatement(
            tokenID: token.id, singleUse: token.singleUse, request: request, session: session,
            sessionHash: Secrets.sha256Hex(secret), user: user, eventID: Outbox.newEventID(),
            payload: try Outbox.payload(UserEventData(user: UserSnapshot(user)))
        )
        guard try await first(statement) == true else { return .used(subscriptionID: token.subscriptionID) }
        let purpose = SSOToken.Purpose(rawValue: token.purpose) ?? .login
        return .signedIn(.init(secret: secret, session: session, purpose: purpose, tokenRedirect: token.redirectTo))
    }

    public func partnerApp(keyHash: String) async throws -> PartnerAppContext? {
        try await first(PartnerAppStatement(hash: keyHash))
    }

    public func redeemLaunch(id: UUID, appID: UUID, userID: UUID, now: Date) async throws -> LaunchRedemption {
        guard let row = try await first(RedeemLaunchStatement(launchID: id, appID: appID, userID: userID, now: now)),
              row.user.isLive(at: now)
        else { return .userGone }
        return row.redeemed ? .redeemed(row.user) : .notValid
    }
}

/// The token with what sign-in needs: its user (NULL columns when gone) and the org
/// of the subscription it signs into.
private struct SSOTokenStatement: HashKeyedStatement {
    static let name = "portico_sso_token"
    static let sql = """
        SELECT t.id AS token_id, t.subscription_id AS token_subscription_id, t.purpose, t.redirect_to, t.display, \
        t.single_use, t.expires_at AS token_expires_at, t.consumed_at, ts.org_id AS token_org_id, \
        \(SQLHotPathStore.userColumns) \
        FROM sso_tokens t LEFT JOIN subscriptions ts ON ts.id = t.subscription_id \
        LEFT JOIN users u ON u.id = t.user_id LEFT JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
        WHERE t.token_hash = $1
        """
    var hash: String

    struct Row: Sendable {
        var id: UUID
        var subscriptionID: UUID
        var purpose: String
        var redirectTo: String?
        var display: Int?
        var singleUse: Bool
        var expiresAt: Date
        var consumedAt: Date?
        var subscriptionOrgID: UUID?
        var user: UserRecord?
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        let userID = try cells[9].decode(UUID?.self), userSubscriptionID = try cells[19].decode(UUID?.self)
        let hasUser = userID != nil && userSubscriptionID != nil
        return Row(
            id: try cells[0].decode(UUID.self),
            subscriptionID: try cells[1].decode(UUID.self),
            purpose: try cells[2].decode(String.self),
            redirectTo: try cells[3].decode(String?.self),
            display: try cells[4].decode(Int?.self),
            singleUse: try cells[5].decode(Bool.self),
            expiresAt: try cells[6].decode(Date.self),
            consumedAt: try cells[7].decode(Date?.self),
            subscriptionOrgID: try cells[8].decode(UUID?.self),
            user: hasUser ? try postgresUserRecord(cells, from: 9) : nil
        )
    }
}

/// Consumes a single-use token (only if no one else has), replaces the browser's
/// earlier session with the new one, and writes the audit entry and `user.signed_in`;
/// or, when the token was consumed meanwhile, nothing. Answers whether it signed in.
private struct SignInStatement: PostgresPreparedStatement {
    static let name = "portico_sign_in"
    static let sql = """
        WITH consumed AS (\
        UPDATE sso_tokens SET consumed_at = $3 WHERE id = $1 AND $2 AND consumed_at IS NULL RETURNING id), \
        ok AS (SELECT 1 AS one WHERE NOT $2 OR EXISTS (SELECT 1 FROM consumed)), \
        replaced AS (DELETE FROM sessions WHERE session_hash = $4 AND EXISTS (SELECT 1 FROM ok)), \
        new_session AS (\
        INSERT INTO sessions (id, session_hash, user_id, subscription_id, display, return_url, csrf_token, \
        created_at, last_seen_at, expires_at) SELECT $5, $6, $7, $8, $9, $10, $11, $3, $3, $12 FROM ok), \
        audit AS (\
        INSERT INTO audit_entries (id, org_id, actor, action, target, at, ip) \
        SELECT $13, $14, $15, $16, $17, $3, $18 FROM ok), \
        next_sequence AS (\
        UPDATE event_counters SET last_sequence = last_sequence + 1 \
        WHERE org_id = $14 AND EXISTS (SELECT 1 FROM ok) RETURNING last_sequence), \
        new_event AS (\
        INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
        SELECT $19, $14, (SELECT last_sequence FROM next_sequence), $20, $7, $21, $3 FROM ok) \
        SELECT EXISTS (SELECT 1 FROM ok) AS signed_in
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .bool, .timestamptz, .text,
        .uuid, .text, .uuid, .uuid, .int8, .text, .text, .timestamptz,
        .uuid, .uuid, .text, .text, .text, .text,
        .text, .text, .text,
    ]
    var tokenID: UUID
    var singleUse: Bool
    var request: SignIn.Request
    var session: SignIn.SessionRecord
    var sessionHash: String
    var user: UserRecord
    var eventID: String
    var payload: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 21)
        bindings.append(tokenID)
        bindings.append(singleUse)
        bindings.append(request.now)
        bindings.append(request.previousSessionHash)
        bindings.append(session.id)
        bindings.append(sessionHash)
        bindings.append(user.id)
        bindings.append(session.subscriptionID)
        bindings.append(session.display)
        bindings.append(session.returnURL)
        bindings.append(session.csrfToken)
        bindings.append(session.expiresAt)
        bindings.append(UUID.timeOrdered())
        bindings.append(user.orgID)
        bindings.append("user:" + user.partnerID)
        bindings.append("sso.login")
        bindings.append(user.partnerID)
        bindings.append(request.ip)
        bindings.append(eventID)
        bindings.append(Outbox.EventType.userSignedIn.rawValue)
        bindings.append(payload)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool {
        try row.decode(Bool.self)
    }
}

private struct PartnerAppStatement: HashKeyedStatement {
    static let name = "portico_partner_app"
    static let sql = "SELECT id, org_id, key_hash FROM partner_apps WHERE key_hash = $1 AND enabled"
    var hash: String

    func decodeRow(_ row: PostgresRow) throws -> PartnerAppContext {
        let (id, orgID, keyHash) = try row.decode((UUID, UUID, String).self)
        return PartnerAppContext(id: id, orgID: orgID, keyHash: keyHash)
    }
}

/// The launch's user (no row when gone) and whether the launch was used now: it must
/// be this app's and this user's, unused and unexpired, and the user live.
private struct RedeemLaunchStatement: PostgresPreparedStatement {
    static let name = "portico_redeem_launch"
    static let sql = """
        WITH found AS (\
        SELECT \(SQLHotPathStore.userColumns) FROM users u \
        JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id WHERE u.id = $1), \
        used AS (\
        UPDATE launch_codes SET used_at = $4 WHERE id = $2 AND app_id = $3 AND user_id = $1 AND used_at IS NULL \
        AND expires_at >= $4 AND EXISTS (SELECT 1 FROM found WHERE expires_at IS NULL OR expires_at > $4) RETURNING id) \
        SELECT found.*, EXISTS (SELECT 1 FROM used) AS redeemed FROM found
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .uuid, .timestamptz]
    var launchID: UUID
    var appID: UUID
    var userID: UUID
    var now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(userID)
        bindings.append(launchID)
        bindings.append(appID)
        bindings.append(now)
        return bindings
    }

    struct Row: Sendable {
        var user: UserRecord
        var redeemed: Bool
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        return Row(user: try postgresUserRecord(cells), redeemed: try cells[11].decode(Bool.self))
    }
}
