import FluentKit
import Foundation
import SQLKit

/// The event outbox. An event is written in the transaction of the change that
/// caused it, numbered from the org's counter row, which that same transaction
/// updates: a second writer for the same org waits on the row, so commit order is
/// sequence order and no number is skipped.
public enum Outbox {
    public enum EventType: String, Sendable, CaseIterable {
        case userCreated = "user.created"
        case userUpdated = "user.updated"
        case userSignedIn = "user.signed_in"
        case userExpired = "user.expired"
        case userDeleted = "user.deleted"
        case trackChapterCompleted = "track.chapter_completed"
        case trackCompleted = "track.completed"
        case interviewCreated = "interview.created"
        case interviewCompleted = "interview.completed"
        case enrollmentCreated = "enrollment.created"
        case enrollmentCompleted = "enrollment.completed"
        case webhookTest = "webhook.test"
    }

    /// An event ready to be numbered and written: everything but its `sequence`, which
    /// every store takes as the org's counter plus one, in the transaction that writes
    /// the event (`UPDATE event_counters … RETURNING last_sequence`, then the insert).
    public struct NewEvent: Sendable {
        public var id: String
        public var type: EventType
        public var orgID: UUID
        public var userID: UUID?
        public var payload: String
        public var at: Date

        public init(_ type: EventType, orgID: UUID, userID: UUID?, data: some Encodable, at: Date) throws {
            self.id = Outbox.newEventID(at: at)
            self.type = type
            self.orgID = orgID
            self.userID = userID
            self.payload = try Outbox.payload(data)
            self.at = at
        }
    }

    /// Appends an event; call it inside `PorticoStore.write`, as late as the change allows
    /// (the counter row stays locked until the commit). Returns the event id.
    @discardableResult
    public static func append(
        _ type: EventType,
        orgID: UUID,
        userID: UUID?,
        data: some Encodable,
        at now: Date,
        on db: any Database
    ) async throws -> String {
        try await append(NewEvent(type, orgID: orgID, userID: userID, data: data, at: now), on: db)
    }

    /// Numbers and writes `event` on this transaction's connection (both engines).
    @discardableResult
    public static func append(_ event: NewEvent, on db: any Database) async throws -> String {
        let sql = db.sql
        guard let row = try await sql.raw("""
            UPDATE event_counters SET last_sequence = last_sequence + 1 WHERE org_id = \(bind: event.orgID) RETURNING last_sequence
            """).first()
        else { throw OutboxError.missingCounter(event.orgID) }
        let sequence = try row.decode(column: "last_sequence", as: Int64.self)
        try await sql.raw("""
            INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
            VALUES (\(bind: event.id), \(bind: event.orgID), \(bind: sequence), \(bind: event.type.rawValue), \(bind: event.userID), \
            \(bind: event.payload), \(bind: event.at))
            """).run()
        return event.id
    }

    /// `evt_`, the event's time in milliseconds as 9 base-36 digits (`0-9a-z`, which sort
    /// as they count), then 15 random letters and digits (77 bits): 24 characters. Ids
    /// sort by time, so a new event's id lands at the end of the `events` primary-key
    /// index (and of `webhook_deliveries (event_id, endpoint_id)`) instead of on a random
    /// leaf of it: at a million users with a year of events, create went from 33 to 39 %
    /// of `/healthz` (README, "At scale", fourth round). Ids are names, not secrets.
    static func newEventID(at: Date) -> String {
        "evt_" + timePrefix(at) + Secrets.alphanumeric(count: 15)
    }

    private static let base36 = Array("0123456789abcdefghijklmnopqrstuvwxyz")

    /// Milliseconds since 1970 as exactly 9 base-36 digits, clamped to what 9 digits hold
    /// (until the year 5188); times before 1970 are all `000000000`.
    static func timePrefix(_ date: Date) -> String {
        let limit: Int64 = 101_559_956_668_415  // 36^9 - 1
        let seconds = date.timeIntervalSince1970
        var ms = seconds.isFinite ? Int64(max(0, min(Double(limit), (seconds * 1000).rounded(.down)))) : 0
        var digits = [Character](repeating: "0", count: 9)
        for index in digits.indices.reversed() {
            digits[index] = base36[Int(ms % 36)]
            ms /= 36
        }
        return String(digits)
    }

    /// An event's `data` as the JSON text that is stored and sent.
    static func payload(_ data: some Encodable) throws -> String {
        if let text = data as? any JSONTextEncodable { return text.jsonText }
        return String(decoding: try PorticoJSON.encoder().encode(data), as: UTF8.self)
    }

    public enum OutboxError: Error, CustomStringConvertible {
        case missingCounter(UUID)
        public var description: String {
            switch self {
            case .missingCounter(let org): "organization \(org) has no event counter"
            }
        }
    }
}
