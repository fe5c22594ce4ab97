import FluentKit
import Foundation
import SQLKit

/// Webhook endpoints of an organization (SPEC §7): registration, changes, key
/// rotation, test events and re-sending. Delivery itself is `WebhookDispatch`.
public enum Webhooks {
    /// How long a rotated-out key keeps signing deliveries beside the new one.
    public static let keyOverlap: TimeInterval = 24 * 3600

    /// The event types an endpoint may subscribe to.
    public static let eventTypes: [String] = Outbox.EventType.allCases.map(\.rawValue)

    /// Checks an event filter: nil means all events; a list names known types, at least one.
    public static func validatedFilter(_ events: [String]?) throws -> [String]? {
        guard let events else { return nil }
        guard !events.isEmpty else {
            throw PorticoError.invalid("events must name at least one event type, or be null for all events")
        }
        for type in events where !eventTypes.contains(type) {
            throw PorticoError.invalid("events: unknown event type '\(type)' (known: \(eventTypes.joined(separator: ", ")))")
        }
        var seen = Set<String>()
        return events.filter { seen.insert($0).inserted }
    }

    /// Checks a target URL against the SSRF rules of SPEC §7; returns it as stored.
    public static func validatedURL(_ url: String, allowPrivate: Bool, resolver: any HostResolver) async throws -> String {
        guard url.utf8.count <= 2000 else { throw PorticoError.invalid("url must be at most 2000 characters") }
        do {
            return try await WebhookTargets.validate(url, allowPrivate: allowPrivate, resolver: resolver)
        } catch let error as WebhookTargetError {
            throw PorticoError.invalid("url: " + error.message)
        }
    }

    public static func list(orgID: UUID, on db: any Database) async throws -> [WebhookEndpoint] {
        try await WebhookEndpoint.query(on: db).filter(\.$orgID == orgID).sort(\.$createdAt).sort(\.$id).all()
    }

    public static func find(orgID: UUID, id: UUID, on db: any Database) async throws -> WebhookEndpoint? {
        try await WebhookEndpoint.query(on: db).filter(\.$orgID == orgID).filter(\.$id == id).first()
    }

    /// Registers an endpoint. It receives the events committed from now on.
    public static func create(
        orgID: UUID, url: String, events: [String]?, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> WebhookEndpoint {
        let endpoint = WebhookEndpoint()
        endpoint.id = UUID()
        endpoint.orgID = orgID
        endpoint.url = url
        endpoint.key = Secrets.hex(byteCount: 16)
        endpoint.events = events
        endpoint.enabled = true
        endpoint.createdAt = now
        endpoint.updatedAt = now
        endpoint.lockedUntil = now
        try await store.write { db in
            endpoint.fanoutSequence = try await lastSequence(orgID: orgID, on: db)
            try await endpoint.create(on: db)
            try await Audit.record(orgID: orgID, actor: actor, action: "webhook.create", target: endpoint.id?.uuidString, at: now, ip: ip, on: db)
        }
        return endpoint
    }

    /// A change to an endpoint; nil leaves a field as it is (`events: .some(nil)` means all events).
    public struct Change: Sendable {
        public var url: String?
        public var events: [String]??
        public var enabled: Bool?
        public init(url: String? = nil, events: [String]?? = nil, enabled: Bool? = nil) {
            self.url = url
            self.events = events
            self.enabled = enabled
        }
    }

    /// Applies a change. Enabling a disabled endpoint clears why it was disabled and
    /// starts it at the events committed from then on (the pull API covers the gap).
    public static func update(
        orgID: UUID, id: UUID, change: Change, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> WebhookEndpoint {
        try await store.write { db in
            guard let endpoint = try await find(orgID: orgID, id: id, on: db) else { throw PorticoError.notFound("no such webhook") }
            if let url = change.url { endpoint.url = url }
            if let events = change.events { endpoint.events = events }
            if let enabled = change.enabled, enabled != endpoint.enabled {
                endpoint.enabled = enabled
                if enabled {
                    endpoint.disabledReason = nil
                    endpoint.fanoutSequence = try await lastSequence(orgID: orgID, on: db)
                } else {
                    endpoint.disabledReason = "disabled by \(actor)"
                }
            }
            endpoint.updatedAt = now
            try await endpoint.save(on: db)
            try await Audit.record(orgID: orgID, actor: actor, action: "webhook.update", target: id.uuidString, at: now, ip: ip, on: db)
            return endpoint
        }
    }

    public static func delete(orgID: UUID, id: UUID, actor: String, ip: String?, now: Date, store: PorticoStore) async throws {
        try await store.write { db in
            guard try await find(orgID: orgID, id: id, on: db) != nil else { throw PorticoError.notFound("no such webhook") }
            let sql = db.sql
            try await sql.raw("""
                DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = \(bind: id))
                """).run()
            try await sql.raw("DELETE FROM webhook_deliveries WHERE endpoint_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM webhook_endpoints WHERE id = \(bind: id)").run()
            try await Audit.record(orgID: orgID, actor: actor, action: "webhook.delete", target: id.uuidString, at: now, ip: ip, on: db)
        }
    }

    /// A new key; the old one keeps signing (as a second signature) for 24 hours.
    public static func rotateKey(orgID: UUID, id: UUID, actor: String, ip: String?, now: Date, store: PorticoStore) async throws -> WebhookEndpoint {
        try await store.write { db in
            guard let endpoint = try await find(orgID: orgID, id: id, on: db) else { throw PorticoError.notFound("no such webhook") }
            endpoint.previousKey = endpoint.key
            endpoint.previousKeyExpiresAt = now.addingTimeInterval(keyOverlap)
            endpoint.key = Secrets.hex(byteCount: 16)
            endpoint.updatedAt = now
            try await endpoint.save(on: db)
            try await Audit.record(orgID: orgID, actor: actor, action: "webhook.rotate_key", target: id.uuidString, at: now, ip: ip, on: db)
            return endpoint
        }
    }

    /// The keys that sign a delivery at `now`: the current one, and the previous one while it overlaps.
    public static func signingKeys(key: String, previousKey: String?, previousKeyExpiresAt: Date?, now: Date) -> [String] {
        if let previousKey, let until = previousKeyExpiresAt, now < until { return [key, previousKey] }
        return [key]
    }

    /// Appends a `webhook.test` event and queues it for this endpoint only (even when
    /// disabled or filtered: the admin asked for it). With `actor`, the audit log says who
    /// sent it (`webhook.test`).
    public static func sendTest(
        orgID: UUID, id: UUID, actor: String? = nil, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Event {
        try await store.write { db in
            guard let endpoint = try await find(orgID: orgID, id: id, on: db) else { throw PorticoError.notFound("no such webhook") }
            let eventID = try await Outbox.append(.webhookTest, orgID: orgID, userID: nil, data: EmptyEventData(), at: now, on: db)
            guard let event = try await Event.find(eventID, on: db) else { throw PorticoError.notFound("no such event") }
            try await WebhookDispatch.insertDeliveries(
                [(eventID: eventID, sequence: event.sequence)], endpointID: try endpoint.requireID(), orgID: orgID, now: now, on: db
            )
            if let actor {
                try await Audit.record(orgID: orgID, actor: actor, action: "webhook.test", target: id.uuidString, at: now, ip: ip, on: db)
            }
            return event
        }
    }

    /// Queues one event again: its deliveries go back to pending with a fresh schedule,
    /// and every enabled endpoint whose filter takes it and that never had it gets one.
    /// With `endpointID`, only that endpoint. Returns how many deliveries were queued.
    public static func redeliver(
        orgID: UUID, eventID: String, endpointID: UUID?, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> Int {
        try await store.write { db in
            guard let event = try await Event.query(on: db).filter(\.$id == eventID).filter(\.$orgID == orgID).first() else {
                throw PorticoError.notFound("no such event")
            }
            var endpoints = try await list(orgID: orgID, on: db).filter { $0.enabled && $0.wants(event.type) }
            if let endpointID {
                guard let endpoint = try await find(orgID: orgID, id: endpointID, on: db) else { throw PorticoError.notFound("no such webhook") }
                endpoints = [endpoint]
            }
            let sql = db.sql
            for endpoint in endpoints {
                try await WebhookDispatch.insertDeliveries(
                    [(eventID: eventID, sequence: event.sequence)], endpointID: try endpoint.requireID(), orgID: orgID, now: now, on: db
                )
                try await sql.raw("""
                    UPDATE webhook_deliveries SET status = 'pending', attempt = 0, next_attempt_at = \(bind: now), error = NULL, updated_at = \(bind: now) \
                    WHERE event_id = \(bind: eventID) AND endpoint_id = \(bind: endpoint.requireID())
                    """).run()
            }
            try await Audit.record(orgID: orgID, actor: actor, action: "event.redeliver", target: eventID, at: now, ip: ip, on: db)
            return endpoints.count
        }
    }

    /// Queues again every failed delivery of the org whose last attempt was at or after `since`.
    public static func redeliverFailed(
        orgID: UUID, since: Date, endpointID: UUID?, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> Int {
        try await store.write { db in
            let sql = db.sql
            let endpointFilter: SQLQueryString = endpointID.map { "AND endpoint_id = \(bind: $0)" } ?? ""
            let rows = try await sql.raw("""
                UPDATE webhook_deliveries SET status = 'pending', attempt = 0, next_attempt_at = \(bind: now), error = NULL, updated_at = \(bind: now) \
                WHERE org_id = \(bind: orgID) AND status = 'failed' AND updated_at >= \(bind: since) \(endpointFilter) RETURNING id
                """).all()
            try await Audit.record(
                orgID: orgID, actor: actor, action: "event.redeliver_failed", target: RFC3339.string(from: since), at: now, ip: ip, on: db
            )
            return rows.count
        }
    }

    /// The deliveries of an endpoint, newest first: the delivery log.
    public static func deliveries(endpointID: UUID, limit: Int, on db: any Database) async throws -> [WebhookDelivery] {
        try await WebhookDelivery.query(on: db).filter(\.$endpointID == endpointID)
            .sort(\.$sequence, .descending).limit(limit).all()
    }

    static func lastSequence(orgID: UUID, on db: any Database) async throws -> Int64 {
        try await EventCounter.find(orgID, on: db)?.lastSequence ?? 0
    }
}

/// `data` of `webhook.test`: `{}`.
public struct EmptyEventData: Codable, Sendable {
    public init() {}
}

// MARK: - Endpoint state and the delivery log (admin area)

extension Webhooks {
    /// How an endpoint's deliveries stand: deliveries waiting (the queue), and when an
    /// attempt last succeeded and last failed.
    public struct Health: Sendable, Equatable {
        public var pending = 0
        public var lastSuccessAt: Date?
        public var lastFailureAt: Date?
        public init(pending: Int = 0, lastSuccessAt: Date? = nil, lastFailureAt: Date? = nil) {
            self.pending = pending
            self.lastSuccessAt = lastSuccessAt
            self.lastFailureAt = lastFailureAt
        }
    }

    /// The health of every endpoint of the org that has deliveries (absent: none yet).
    public static func health(orgID: UUID, endpointID: UUID? = nil, on db: any Database) async throws -> [UUID: Health] {
        let sql = db.sql
        let only: SQLQueryString = endpointID.map { "AND d.endpoint_id = \(bind: $0)" } ?? ""
        var result: [UUID: Health] = [:]
        let pending = try await sql.raw("""
            SELECT d.endpoint_id, COUNT(*) AS n FROM webhook_deliveries d \
            WHERE d.org_id = \(bind: orgID) AND d.status = 'pending' \(only) GROUP BY d.endpoint_id
            """).all()
        for row in pending {
            result[try row.decode(column: "endpoint_id", as: UUID.self), default: Health()].pending = try row.decode(column: "n", as: Int.self)
        }
        // A successful attempt is the one without an error (WebhookDispatch.record).
        let attempts = try await sql.raw("""
            SELECT d.endpoint_id, MAX(CASE WHEN a.error IS NULL THEN a.at END) AS last_success, \
            MAX(CASE WHEN a.error IS NOT NULL THEN a.at END) AS last_failure \
            FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
            WHERE d.org_id = \(bind: orgID) \(only) GROUP BY d.endpoint_id
            """).all()
        for row in attempts {
            let id = try row.decode(column: "endpoint_id", as: UUID.self)
            result[id, default: Health()].lastSuccessAt = try row.decode(column: "last_success", as: Date?.self)
            result[id, default: Health()].lastFailureAt = try row.decode(column: "last_failure", as: Date?.self)
        }
        return result
    }

    /// Which deliveries of an endpoint the delivery log shows.
    public struct LogQuery: Sendable, Equatable {
        public var eventType: String?
        public var status: WebhookDelivery.Status?
        public var eventID: String?
        /// The page cursor: only events with a smaller sequence.
        public var beforeSequence: Int64?
        public var limit: Int
        public init(eventType: String? = nil, status: WebhookDelivery.Status? = nil, eventID: String? = nil, beforeSequence: Int64? = nil, limit: Int = 50) {
            self.eventType = eventType
            self.status = status
            self.eventID = eventID
            self.beforeSequence = beforeSequence
            self.limit = limit
        }
    }

    /// One event's delivery to an endpoint, with every attempt made.
    public struct LogEntry: Sendable, Equatable {
        public var eventID: String
        public var eventType: String
        public var eventCreatedAt: Date
        public var sequence: Int64
        public var status: WebhookDelivery.Status
        public var nextAttemptAt: Date?
        /// Oldest first.
        public var attempts: [LogAttempt]
    }

    public struct LogAttempt: Sendable, Equatable {
        public var attempt: Int
        public var at: Date
        public var responseStatus: Int?
        public var durationMS: Int
        public var error: String?
    }

    /// The delivery log of an endpoint: its deliveries newest event first (at most
    /// `query.limit`, 1 to 500), each with all its attempts.
    public static func deliveryLog(endpointID: UUID, query: LogQuery, on db: any Database) async throws -> [LogEntry] {
        let sql = db.sql
        var conditions: SQLQueryString = "d.endpoint_id = \(bind: endpointID)"
        if let status = query.status { conditions += " AND d.status = \(bind: status.rawValue)" }
        if let type = query.eventType { conditions += " AND e.type = \(bind: type)" }
        if let eventID = query.eventID { conditions += " AND d.event_id = \(bind: eventID)" }
        if let before = query.beforeSequence { conditions += " AND d.sequence < \(bind: before)" }
        let limit = max(1, min(500, query.limit))
        let rows = try await sql.raw("""
            SELECT d.id AS delivery_id, d.event_id, d.sequence, d.status, d.next_attempt_at, e.type, e.created_at \
            FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
            WHERE \(conditions) ORDER BY d.sequence DESC LIMIT \(unsafeRaw: String(limit))
            """).all()
        guard !rows.isEmpty else { return [] }
        var ids: [UUID] = []
        var entries: [LogEntry] = []
        for row in rows {
            ids.append(try row.decode(column: "delivery_id", as: UUID.self))
            entries.append(LogEntry(
                eventID: try row.decode(column: "event_id", as: String.self),
                eventType: try row.decode(column: "type", as: String.self),
                eventCreatedAt: try row.decode(column: "created_at", as: Date.self),
                sequence: try row.decode(column: "sequence", as: Int64.self),
                status: WebhookDelivery.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending,
                nextAttemptAt: try row.decode(column: "next_attempt_at", as: Date?.self),
                attempts: []
            ))
        }
        let attemptRows = try await sql.raw("""
            SELECT delivery_id, attempt, at, response_status, duration_ms, error FROM webhook_attempts \
            WHERE delivery_id IN (\(binds: ids)) ORDER BY at, attempt
            """).all()
        var byDelivery: [UUID: [LogAttempt]] = [:]
        for row in attemptRows {
            byDelivery[try row.decode(column: "delivery_id", as: UUID.self), default: []].append(LogAttempt(
                attempt: try row.decode(column: "attempt", as: Int.self),
                at: try row.decode(column: "at", as: Date.self),
                responseStatus: try row.decode(column: "response_status", as: Int?.self),
                durationMS: try row.decode(column: "duration_ms", as: Int.self),
                error: try row.decode(column: "error", as: String?.self)
            ))
        }
        for index in entries.indices { entries[index].attempts = byDelivery[ids[index]] ?? [] }
        return entries
    }
}
