import FluentKit
import Foundation
import SQLKit

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

// MARK: - Searching the log (admin area, SPEC §8)

extension Audit {
    /// Which entries an audit search wants: those of `orgIDs` (an org and its
    /// descendants), optionally one actor (exact, or every actor starting with a
    /// prefix), one action, and a time range `[from, to)`.
    public struct Filter: Sendable, Equatable {
        public var orgIDs: [UUID]
        public var actor: String?
        public var actorIsPrefix: Bool
        public var action: String?
        public var from: Date?
        public var to: Date?

        public init(orgIDs: [UUID], actor: String? = nil, actorIsPrefix: Bool = false, action: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.orgIDs = orgIDs
            self.actor = actor
            self.actorIsPrefix = actorIsPrefix
            self.action = action
            self.from = from
            self.to = to
        }
    }

    /// The entries `filter` wants, newest first (`at`, then id), `limit` of them after
    /// skipping `offset`.
    public static func search(_ filter: Filter, limit: Int, offset: Int = 0, on db: any Database) async throws -> [Entry] {
        guard !filter.orgIDs.isEmpty, limit > 0 else { return [] }
        let sql = db.sql
        var query = sql.select()
            .columns("id", "org_id", "actor", "action", "target", "at", "ip")
            .from("audit_entries")
            .where(SQLColumn("org_id"), .in, SQLBind.group(filter.orgIDs))
        if let actor = filter.actor {
            if filter.actorIsPrefix {
                // A plain character-by-character comparison on both engines (LIKE's
                // case rules and wildcards differ between them).
                if !actor.isEmpty {
                    let length = SQLLiteral.numeric(String(actor.count))
                    query = query.where(SQLFunction("substr", args: SQLColumn("actor"), SQLLiteral.numeric("1"), length), .equal, SQLBind(actor))
                }
            } else {
                query = query.where(SQLColumn("actor"), .equal, SQLBind(actor))
            }
        }
        if let action = filter.action { query = query.where(SQLColumn("action"), .equal, SQLBind(action)) }
        if let from = filter.from { query = query.where(SQLColumn("at"), .greaterThanOrEqual, SQLBind(from)) }
        if let to = filter.to { query = query.where(SQLColumn("at"), .lessThan, SQLBind(to)) }
        let rows = try await query
            .orderBy("at", .descending).orderBy("id", .descending)
            .limit(limit).offset(max(0, offset))
            .all()
        return try rows.map { row in
            Entry(
                id: try row.decode(column: "id", as: UUID.self),
                orgID: try row.decode(column: "org_id", as: UUID?.self),
                actor: try row.decode(column: "actor", as: String.self),
                action: try row.decode(column: "action", as: String.self),
                target: try row.decode(column: "target", as: String?.self),
                at: try row.decode(column: "at", as: Date.self),
                ip: try row.decode(column: "ip", as: String?.self)
            )
        }
    }
}
