import FluentKit
import Foundation
import SQLKit

/// A deleted user's personal data leaves the event payloads that remain (SPEC §9);
/// history past the retention window goes with the rest of `Retention`.
public enum EventRetention {
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
