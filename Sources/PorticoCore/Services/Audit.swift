import FluentKit
import Foundation

/// The audit log: written in the transaction of the action it records.
public enum Audit {
    /// An entry to write: the hot paths write it with their own statements.
    public struct Entry: Sendable, Equatable {
        public var id: UUID
        public var orgID: UUID?
        public var actor: String
        public var action: String
        public var target: String?
        public var at: Date
        public var ip: String?

        public init(id: UUID = UUID.timeOrdered(), orgID: UUID?, actor: String, action: String, target: String?, at: Date, ip: String?) {
            self.id = id
            self.orgID = orgID
            self.actor = actor
            self.action = action
            self.target = target
            self.at = at
            self.ip = ip
        }

        /// A member signing in with an SSO token (`sso.login`).
        public static func ssoLogin(_ user: UserRecord, at: Date, ip: String?) -> Entry {
            Entry(orgID: user.orgID, actor: "user:" + user.partnerID, action: "sso.login", target: user.partnerID, at: at, ip: ip)
        }
    }

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
