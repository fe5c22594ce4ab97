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
            self.id = Outbox.newEventID()
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

    /// `evt_` and 24 random letters and digits.
    static func newEventID() -> String { "evt_" + Secrets.alphanumeric(count: 24) }

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
