import Foundation
import SQLKit

/// Create and refresh on PostgreSQL, each step one statement (data-modifying CTEs):
/// one round trip instead of a transaction's five to eight, and the org's event
/// counter row — which every create in the org updates, so they queue on its lock —
/// held for the time of that one statement, not of several round trips.
extension SQLHotPathStore {
    func createOrRefreshUserOnPostgres(_ request: UserUpsert) async throws -> UserUpsertResult? {
        switch try await refreshOnPostgres(request) {
        case .refreshed(let result): return result
        case .notLive: return nil
        case .missing: break
        }
        if let created = try await createOnPostgres(request) { return created }
        // Another request created the user between the two statements: refresh theirs.
        guard case .refreshed(let result) = try await refreshOnPostgres(request) else { return nil }
        return result
    }

    private enum Refresh {
        case refreshed(UserUpsertResult)
        case notLive
        case missing
    }

    /// Finds the user and, when it is live, issues the token, in one statement.
    private func refreshOnPostgres(_ request: UserUpsert) async throws -> Refresh {
        let byTTL = request.now.addingTimeInterval(TimeInterval(request.tokenTTL))
        guard let row = try await store.sql.raw("""
            WITH found AS (\
            SELECT \(unsafeRaw: Self.userColumns) FROM users u \
            JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
            WHERE u.org_id = \(bind: request.orgID) AND u.partner_id = \(bind: request.partnerID)\
            ), token AS (\
            INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
            SELECT \(bind: UUID()), \(bind: request.tokenHash), id, subscription_id, \
            \(bind: SSOToken.Purpose.login.rawValue), \(bind: request.tokenSingleUse), \
            LEAST(\(bind: byTTL), COALESCE(expires_at, \(bind: byTTL))), \(bind: request.now) \
            FROM found WHERE expires_at IS NULL OR expires_at > \(bind: request.now) RETURNING expires_at\
            ) SELECT found.*, token.expires_at AS token_expires_at FROM found LEFT JOIN token ON true
            """).first()
        else { return .missing }
        let user = try Self.userRecord(row)
        guard let expiresAt = try row.decode(column: "token_expires_at", as: Date?.self) else { return .notLive }
        return .refreshed(UserUpsertResult(user: user, created: false, tokenExpiresAt: expiresAt))
    }

    /// Inserts the user, its subscription, `user.created` (numbered from the org's
    /// counter) and the token in one statement; nil when the partner id is taken.
    /// Without a counter row the event's sequence is NULL and the whole statement fails.
    private func createOnPostgres(_ request: UserUpsert) async throws -> UserUpsertResult? {
        let user = UserRecord(
            id: UUID(), orgID: request.orgID, subscriptionID: UUID(), partnerID: request.partnerID,
            email: request.email, firstName: request.firstName, lastName: request.lastName,
            anonymous: request.anonymousExpiresAt != nil, expiresAt: request.anonymousExpiresAt,
            createdAt: request.now, updatedAt: request.now
        )
        let expiresAt = Self.tokenExpiry(request, user: user)
        let payload = try Outbox.payload(UserEventData(user: UserSnapshot(user)))
        let inserted = try await store.sql.raw("""
            WITH new_user AS (\
            INSERT INTO users (id, org_id, partner_id, email, first_name, last_name, anonymous, expires_at, created_at, updated_at) \
            VALUES (\(bind: user.id), \(bind: user.orgID), \(bind: user.partnerID), \(bind: user.email), \
            \(bind: user.firstName), \(bind: user.lastName), \(bind: user.anonymous), \(bind: user.expiresAt), \
            \(bind: request.now), \(bind: request.now)) \
            ON CONFLICT (org_id, partner_id) DO NOTHING RETURNING id\
            ), new_subscription AS (\
            INSERT INTO subscriptions (id, user_id, org_id, created_at) \
            SELECT \(bind: user.subscriptionID), id, \(bind: user.orgID), \(bind: request.now) FROM new_user\
            ), next_sequence AS (\
            UPDATE event_counters SET last_sequence = last_sequence + 1 \
            WHERE org_id = \(bind: user.orgID) AND EXISTS (SELECT 1 FROM new_user) RETURNING last_sequence\
            ), new_event AS (\
            INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
            SELECT \(bind: Outbox.newEventID()), \(bind: user.orgID), (SELECT last_sequence FROM next_sequence), \
            \(bind: Outbox.EventType.userCreated.rawValue), id, \(bind: payload), \(bind: request.now) FROM new_user\
            ), new_token AS (\
            INSERT INTO sso_tokens (id, token_hash, user_id, subscription_id, purpose, single_use, expires_at, created_at) \
            SELECT \(bind: UUID()), \(bind: request.tokenHash), id, \(bind: user.subscriptionID), \
            \(bind: SSOToken.Purpose.login.rawValue), \(bind: request.tokenSingleUse), \(bind: expiresAt), \(bind: request.now) \
            FROM new_user\
            ) SELECT id FROM new_user
            """).first()
        guard inserted != nil else { return nil }
        return UserUpsertResult(user: user, created: true, tokenExpiresAt: expiresAt)
    }
}
