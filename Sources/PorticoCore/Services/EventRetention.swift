import FluentKit
import Foundation
import SQLKit

/// Keeping events only as long as they are needed (SPEC §9): history past the
/// retention window is purged, and a deleted user's personal data leaves the
/// payloads that remain.
public enum EventRetention {
    /// Deletes events created before `cutoff` with their deliveries and attempts, in
    /// batches so no transaction holds the writer for long. Returns how many events went.
    @discardableResult
    public static func purge(before cutoff: Date, store: PorticoStore, batchSize: Int = 500) async throws -> Int {
        // The refused return hosts of the settings page are history too.
        try await RefusedReturnHosts.purge(before: cutoff, store: store)
        var purged = 0
        while true {
            let count = try await store.write { db -> Int in
                let sql = db.sql
                let ids = try await sql.raw("""
                    SELECT id FROM events WHERE created_at < \(bind: cutoff) ORDER BY created_at LIMIT \(unsafeRaw: String(batchSize))
                    """).all().map { try $0.decode(column: "id", as: String.self) }
                guard !ids.isEmpty else { return 0 }
                let list = SQLGroupExpression(ids.map { SQLBind($0) })
                try await sql.raw("""
                    DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE event_id IN \(list))
                    """).run()
                try await sql.raw("DELETE FROM webhook_deliveries WHERE event_id IN \(list)").run()
                try await sql.raw("DELETE FROM events WHERE id IN \(list)").run()
                return ids.count
            }
            purged += count
            if count < batchSize { return purged }
        }
    }

    /// The personal fields of a user object in an event payload.
    static let personalFields = ["email", "first_name", "last_name"]

    /// Replaces the user's email and names with null in every stored event about
    /// them, keeping ids. Call inside the transaction that deletes the user.
    public static func scrubPersonalData(userID: UUID, on db: any Database) async throws {
        let sql = db.sql
        let rows = try await sql.raw("SELECT id, payload FROM events WHERE user_id = \(bind: userID)").all()
        for row in rows {
            let id = try row.decode(column: "id", as: String.self)
            let payload = try row.decode(column: "payload", as: String.self)
            guard let scrubbed = scrubbed(payload) else { continue }
            try await sql.raw("UPDATE events SET payload = \(bind: scrubbed) WHERE id = \(bind: id)").run()
        }
    }

    /// The payload with the user object's personal fields set to null, or nil when
    /// there is nothing to change.
    static func scrubbed(_ payload: String) -> String? {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any],
              var user = object["user"] as? [String: Any],
              personalFields.contains(where: { user[$0] != nil && !(user[$0] is NSNull) })
        else { return nil }
        for field in personalFields where user[field] != nil { user[field] = NSNull() }
        object["user"] = user
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
