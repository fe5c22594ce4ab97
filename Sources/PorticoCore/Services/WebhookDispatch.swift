import FluentKit
import Foundation
import SQLKit

/// The database side of webhook delivery (SPEC §7).
///
/// Events are written to the outbox by the change that caused them; nothing else
/// happens on that path. A worker then *claims* an endpoint that has work (a lease
/// on its row: one worker, one request in flight per endpoint), *fans out* the
/// org's new events into `webhook_deliveries` rows for it, sends the due ones in
/// `sequence` order and *records* the outcomes, many per transaction. A crash at any
/// point leaves either an unsent delivery or a sent one not yet recorded, which is
/// sent again once the lease lapses: at least once, same `webhook-id`.
///
/// On PostgreSQL the claim takes the endpoint row `FOR UPDATE SKIP LOCKED`, so
/// several workers in one or several processes never serve the same endpoint at once.
public enum WebhookDispatch {
    /// An endpoint held by one worker until `until`.
    public struct Lease: Sendable {
        public var endpointID: UUID
        public var orgID: UUID
        public var url: String
        public var key: String
        public var previousKey: String?
        public var previousKeyExpiresAt: Date?
        public var events: [String]?
        public var fanoutSequence: Int64
        public var owner: String
        public var until: Date

        public func wants(_ type: String) -> Bool { events?.contains(type) ?? true }
    }

    /// A delivery that is due, with what its request needs.
    public struct Due: Sendable {
        public var deliveryID: UUID
        /// Attempts made before this one.
        public var attemptsMade: Int
        public var event: EventFeed.WebhookObject
    }

    /// What one attempt came to.
    public enum Result: Sendable, Equatable {
        /// A 2xx answer within the time limit.
        case succeeded(status: Int)
        /// Anything else; `retryAfter` from a 429/503 answer (already capped).
        case failed(status: Int?, error: String, retryAfter: Int?)
        /// `410 Gone`: the receiver asks us to stop; the endpoint is disabled.
        case gone
    }

    public struct Outcome: Sendable {
        public var due: Due
        public var at: Date
        public var durationMS: Int
        public var result: Result

        public init(due: Due, at: Date, durationMS: Int, result: Result) {
            self.due = due
            self.at = at
            self.durationMS = durationMS
            self.result = result
        }
    }

    /// How the recorded outcomes left their deliveries, for metrics.
    public struct Recorded: Sendable, Equatable {
        public var succeeded = 0
        public var retrying = 0
        public var failed = 0
    }

    // MARK: - Claiming

    /// Whether any endpoint might have work now: a cheap read before a claim's write.
    public static func hasWork(now: Date, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT e.id FROM webhook_endpoints e WHERE \(workCondition(now: now)) LIMIT 1").first() != nil
    }

    /// Leases one endpoint that has events to fan out or deliveries due, the one
    /// served longest ago first. Nil when there is none (or all are held).
    public static func claim(owner: String, now: Date, leaseFor seconds: TimeInterval, store: PorticoStore) async throws -> Lease? {
        let until = now.addingTimeInterval(seconds)
        let lock: SQLQueryString = store.engine == .postgres ? "NULLS FIRST LIMIT 1 FOR UPDATE SKIP LOCKED" : "LIMIT 1"
        let id = try await store.write { db -> UUID? in
            try await db.sql.raw("""
                UPDATE webhook_endpoints SET locked_until = \(bind: until), lease_owner = \(bind: owner) \
                WHERE id = (SELECT e.id FROM webhook_endpoints e WHERE \(workCondition(now: now)) ORDER BY e.locked_until \(lock)) \
                RETURNING id
                """).first()?.decode(column: "id", as: UUID.self)
        }
        guard let id, let endpoint = try await WebhookEndpoint.find(id, on: store.db) else { return nil }
        return Lease(
            endpointID: id, orgID: endpoint.orgID, url: endpoint.url, key: endpoint.key,
            previousKey: endpoint.previousKey, previousKeyExpiresAt: endpoint.previousKeyExpiresAt,
            events: endpoint.events, fanoutSequence: endpoint.fanoutSequence, owner: owner, until: until
        )
    }

    /// An enabled endpoint, free (lease lapsed), with events not yet fanned out or deliveries due.
    private static func workCondition(now: Date) -> SQLQueryString {
        """
        e.enabled = \(bind: true) AND (e.locked_until IS NULL OR e.locked_until <= \(bind: now)) \
        AND (e.fanout_sequence < (SELECT c.last_sequence FROM event_counters c WHERE c.org_id = e.org_id) \
        OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= \(bind: now)))
        """
    }

    /// Extends the lease. False when it was lost (lapsed and taken by another worker).
    public static func renew(_ lease: inout Lease, now: Date, leaseFor seconds: TimeInterval, store: PorticoStore) async throws -> Bool {
        let until = now.addingTimeInterval(seconds)
        let current = lease
        let kept = try await store.write { db in
            try await extend(current, to: until, on: db)
        }
        if kept { lease.until = until }
        return kept
    }

    private static func extend(_ lease: Lease, to until: Date, on db: any Database) async throws -> Bool {
        try await db.sql.raw("""
            UPDATE webhook_endpoints SET locked_until = \(bind: until) \
            WHERE id = \(bind: lease.endpointID) AND lease_owner = \(bind: lease.owner) RETURNING id
            """).first() != nil
    }

    /// Gives the endpoint back; it becomes the most recently served.
    public static func release(_ lease: Lease, now: Date, store: PorticoStore) async throws {
        try await store.write { db in
            try await db.sql.raw("""
                UPDATE webhook_endpoints SET locked_until = \(bind: now), lease_owner = NULL \
                WHERE id = \(bind: lease.endpointID) AND lease_owner = \(bind: lease.owner)
                """).run()
        }
    }

    // MARK: - Fan-out

    /// Creates deliveries for up to `limit` of the org's events after the endpoint's
    /// fan-out point (those its filter takes; `webhook.test` only ever goes to the
    /// endpoint it was sent to) and moves the point. Returns how many events were read.
    @discardableResult
    public static func fanOut(_ lease: inout Lease, now: Date, limit: Int = 1000, store: PorticoStore) async throws -> Int {
        let current = lease
        let read = try await store.write { db -> (count: Int, last: Int64) in
            let rows = try await db.sql.raw("""
                SELECT id, sequence, type FROM events WHERE org_id = \(bind: current.orgID) AND sequence > \(bind: current.fanoutSequence) \
                ORDER BY sequence LIMIT \(unsafeRaw: String(limit))
                """).all()
            guard !rows.isEmpty else { return (0, current.fanoutSequence) }
            var wanted: [(eventID: String, sequence: Int64)] = []
            var last = current.fanoutSequence
            for row in rows {
                let sequence = try row.decode(column: "sequence", as: Int64.self)
                let type = try row.decode(column: "type", as: String.self)
                last = max(last, sequence)
                if type != Outbox.EventType.webhookTest.rawValue, current.wants(type) {
                    wanted.append((try row.decode(column: "id", as: String.self), sequence))
                }
            }
            try await insertDeliveries(wanted, endpointID: current.endpointID, orgID: current.orgID, now: now, on: db)
            try await db.sql.raw("""
                UPDATE webhook_endpoints SET fanout_sequence = \(bind: last) WHERE id = \(bind: current.endpointID) AND fanout_sequence < \(bind: last)
                """).run()
            return (rows.count, last)
        }
        lease.fanoutSequence = read.last
        return read.count
    }

    /// Pending deliveries, due at once, for events and one endpoint (existing ones are left alone).
    static func insertDeliveries(
        _ events: [(eventID: String, sequence: Int64)], endpointID: UUID, orgID: UUID, now: Date, on db: any Database
    ) async throws {
        // 11 binds a row keeps each statement well under both engines' bind limits.
        for chunk in events.chunks(of: 500) {
            var insert = db.sql.insert(into: "webhook_deliveries").columns(
                "id", "event_id", "endpoint_id", "org_id", "sequence", "attempt", "status", "next_attempt_at", "created_at", "updated_at"
            )
            for event in chunk {
                insert = insert.values([
                    SQLBind(UUID.timeOrdered()), SQLBind(event.eventID), SQLBind(endpointID), SQLBind(orgID), SQLBind(event.sequence),
                    SQLBind(0), SQLBind(WebhookDelivery.Status.pending.rawValue), SQLBind(now), SQLBind(now), SQLBind(now),
                ])
            }
            try await insert.ignoringConflicts(with: ["event_id", "endpoint_id"]).run()
        }
    }

    // MARK: - Sending

    /// The endpoint's due deliveries in `sequence` order: first attempts and retries
    /// whose time has come; a retry not yet due does not hold back later events. With
    /// `after`, only those past that sequence (the batch after one still being sent).
    public static func due(_ lease: Lease, now: Date, after: Int64? = nil, limit: Int, on sql: any SQLDatabase) async throws -> [Due] {
        let rows = try await sql.raw("""
            SELECT d.id AS delivery_id, d.attempt, e.id, e.type, e.created_at, e.sequence, e.payload \
            FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
            WHERE d.endpoint_id = \(bind: lease.endpointID) AND d.status = 'pending' AND d.next_attempt_at <= \(bind: now) \
            AND d.sequence > \(bind: after ?? 0) ORDER BY d.sequence LIMIT \(unsafeRaw: String(limit))
            """).all()
        return try rows.map { row in
            Due(
                deliveryID: try row.decode(column: "delivery_id", as: UUID.self),
                attemptsMade: try row.decode(column: "attempt", as: Int.self),
                event: EventFeed.WebhookObject(
                    id: try row.decode(column: "id", as: String.self),
                    type: try row.decode(column: "type", as: String.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self),
                    sequence: try row.decode(column: "sequence", as: Int64.self),
                    data: try row.decode(column: "payload", as: String.self)
                )
            )
        }
    }

    // MARK: - Recording

    /// Writes the outcomes of attempts in one transaction: attempt history, each
    /// delivery's new state (succeeded, retry at the schedule's next step or after
    /// `Retry-After`, failed when the schedule is used up) and the endpoint disabled
    /// on `410`.
    @discardableResult
    public static func record(
        _ outcomes: [Outcome], lease: Lease, schedule: [Int], now: Date, store: PorticoStore
    ) async throws -> Recorded {
        guard !outcomes.isEmpty else { return Recorded() }
        return try await store.write { db in
            let sql = db.sql
            var recorded = Recorded()
            for chunk in outcomes.chunks(of: 500) {
                var insert = sql.insert(into: "webhook_attempts").columns("id", "delivery_id", "attempt", "at", "response_status", "duration_ms", "error")
                for outcome in chunk {
                    let (status, error): (Int?, String?) = switch outcome.result {
                    case .succeeded(let status): (status, nil)
                    case .failed(let status, let error, _): (status, error)
                    case .gone: (410, "410 Gone: the endpoint was disabled")
                    }
                    insert = insert.values([
                        SQLBind(UUID.timeOrdered()), SQLBind(outcome.due.deliveryID), SQLBind(outcome.due.attemptsMade + 1), SQLBind(outcome.at),
                        SQLBind(status), SQLBind(outcome.durationMS), SQLBind(error),
                    ])
                }
                try await insert.run()
            }

            // Successes, grouped by status code: one statement for a run of 200s.
            var succeeded: [Int: [UUID]] = [:]
            for outcome in outcomes {
                if case .succeeded(let status) = outcome.result { succeeded[status, default: []].append(outcome.due.deliveryID) }
            }
            for (status, ids) in succeeded {
                for chunk in ids.chunks(of: 500) {
                    try await sql.update("webhook_deliveries")
                        .set("status", to: SQLBind(WebhookDelivery.Status.succeeded.rawValue))
                        .set("attempt", to: SQLBinaryExpression(SQLColumn("attempt"), .add, SQLLiteral.numeric("1")))
                        .set("next_attempt_at", to: SQLLiteral.null)
                        .set("response_status", to: SQLBind(status))
                        .set("error", to: SQLLiteral.null)
                        .set("updated_at", to: SQLBind(now))
                        .where(SQLColumn("id"), .in, SQLGroupExpression(chunk.map { SQLBind($0) }))
                        .run()
                    recorded.succeeded += chunk.count
                }
            }

            for outcome in outcomes {
                let attempts = outcome.due.attemptsMade + 1
                let durationMS = outcome.durationMS
                switch outcome.result {
                case .succeeded:
                    continue
                case .failed(let status, let error, let retryAfter):
                    let next: Date? = attempts <= schedule.count
                        ? now.addingTimeInterval(TimeInterval(retryAfter ?? schedule[attempts - 1]))
                        : nil
                    try await sql.raw("""
                        UPDATE webhook_deliveries SET status = \(bind: next == nil ? "failed" : "pending"), attempt = \(bind: attempts), \
                        next_attempt_at = \(bind: next), response_status = \(bind: status), duration_ms = \(bind: durationMS), \
                        error = \(bind: error), updated_at = \(bind: now) WHERE id = \(bind: outcome.due.deliveryID)
                        """).run()
                    if next == nil { recorded.failed += 1 } else { recorded.retrying += 1 }
                case .gone:
                    try await sql.raw("""
                        UPDATE webhook_deliveries SET status = 'failed', attempt = \(bind: attempts), next_attempt_at = NULL, \
                        response_status = 410, duration_ms = \(bind: durationMS), error = \(bind: "410 Gone: the endpoint was disabled"), \
                        updated_at = \(bind: now) WHERE id = \(bind: outcome.due.deliveryID)
                        """).run()
                    try await sql.raw("""
                        UPDATE webhook_endpoints SET enabled = \(bind: false), \
                        disabled_reason = \(bind: "the receiver answered 410 Gone at \(RFC3339.string(from: now))"), updated_at = \(bind: now) \
                        WHERE id = \(bind: lease.endpointID)
                        """).run()
                    try await Audit.record(
                        orgID: lease.orgID, actor: "webhook-worker", action: "webhook.disabled_gone",
                        target: lease.endpointID.uuidString, at: now, ip: nil, on: db
                    )
                    recorded.failed += 1
                }
            }
            return recorded
        }
    }

    // MARK: - Queue

    /// Deliveries waiting to be made (due now or later).
    public static func queueDepth(on sql: any SQLDatabase) async throws -> Int {
        // Summed per endpoint: one seek each on (endpoint_id, status, sequence), not a scan of the history.
        try await sql.raw("""
            SELECT CAST(COALESCE(SUM((SELECT COUNT(*) FROM webhook_deliveries d \
            WHERE d.endpoint_id = e.id AND d.status = 'pending')), 0) AS BIGINT) AS n FROM webhook_endpoints e
            """).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
