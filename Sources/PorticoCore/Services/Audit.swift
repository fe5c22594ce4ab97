import FluentKit
import Foundation

/// The audit log: written in the transaction of the action it records.
public enum Audit {
    public static func record(
        orgID: UUID?, actor: String, action: String, target: String?, at: Date, ip: String?, on db: any Database
    ) async throws {
        try await AuditEntry(orgID: orgID, actor: actor, action: action, target: target, at: at, ip: ip).create(on: db)
    }

    /// The org's latest entries, newest first (on the `(org_id, at)` index).
    public static func recent(orgID: UUID, limit: Int = 200, on db: any Database) async throws -> [AuditEntry] {
        try await AuditEntry.query(on: db).filter(\.$orgID == orgID).sort(\.$at, .descending).limit(limit).all()
    }
}
