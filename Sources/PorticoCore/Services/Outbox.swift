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
        let sql = db.sql
        let id = newEventID()
        let payload = try payload(data)
        if sql.dialect.name == "postgresql" {
            // One statement: the counter row is locked one round trip less.
            guard try await sql.raw("""
                WITH next_sequence AS (\
                UPDATE event_counters SET last_sequence = last_sequence + 1 WHERE org_id = \(bind: orgID) RETURNING last_sequence) \
                INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
                SELECT \(bind: id), \(bind: orgID), last_sequence, \(bind: type.rawValue), \(bind: userID), \(bind: payload), \(bind: now) \
                FROM next_sequence RETURNING id
                """).first() != nil
            else { throw OutboxError.missingCounter(orgID) }
            return id
        }
        guard let row = try await sql.raw("""
            UPDATE event_counters SET last_sequence = last_sequence + 1 WHERE org_id = \(bind: orgID) RETURNING last_sequence
            """).first()
        else { throw OutboxError.missingCounter(orgID) }
        let sequence = try row.decode(column: "last_sequence", as: Int64.self)
        try await sql.raw("""
            INSERT INTO events (id, org_id, sequence, type, user_id, payload, created_at) \
            VALUES (\(bind: id), \(bind: orgID), \(bind: sequence), \(bind: type.rawValue), \(bind: userID), \(bind: payload), \(bind: now))
            """).run()
        return id
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
