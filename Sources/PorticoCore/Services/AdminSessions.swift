import FluentKit
import Foundation
import SQLKit

/// Admin-area sessions (SPEC §1, §8): rows of `sessions` with `admin_id` set, stored as
/// the SHA-256 of the cookie's secret, 30 minutes idle and 8 hours absolute, a new id at
/// every sign-in. They never touch member sessions: the two live in separate cookies.
public enum AdminSessions {
    public static let idleLifetime: TimeInterval = 30 * 60
    public static let absoluteLifetime: TimeInterval = 8 * 3600

    public struct Record: Sendable, Equatable {
        public var id: UUID
        public var adminID: UUID
        public var csrfToken: String
        public var createdAt: Date
        public var lastSeenAt: Date
        public var expiresAt: Date
    }

    /// Signs `admin` in: a new session (the browser's earlier admin session, if any, ends)
    /// and an audit entry. Returns the cookie's secret, which is stored nowhere.
    public static func start(
        admin: Admin, replacing previousHash: String?, ip: String?, now: Date, store: PorticoStore
    ) async throws -> (secret: String, record: Record) {
        let secret = Secrets.hex(byteCount: 32)
        let record = Record(
            id: UUID.timeOrdered(), adminID: try admin.requireID(), csrfToken: Secrets.hex(byteCount: 16),
            createdAt: now, lastSeenAt: now, expiresAt: now.addingTimeInterval(absoluteLifetime)
        )
        try await store.write { db in
            if let previousHash {
                try await db.sql.raw("DELETE FROM sessions WHERE session_hash = \(bind: previousHash) AND admin_id IS NOT NULL").run()
            }
            try await db.sql.raw("""
                INSERT INTO sessions (id, session_hash, admin_id, display, csrf_token, created_at, last_seen_at, expires_at) \
                VALUES (\(bind: record.id), \(bind: Secrets.sha256Hex(secret)), \(bind: record.adminID), 0, \(bind: record.csrfToken), \
                \(bind: now), \(bind: now), \(bind: record.expiresAt))
                """).run()
            try await Audit.record(orgID: admin.orgID, actor: "admin:" + admin.email, action: "admin.login", target: admin.email, at: now, ip: ip, on: db)
        }
        return (secret, record)
    }

    /// The live admin session whose cookie hashes to `hash`; marks it seen (at most once a minute).
    public static func session(hash: String, now: Date, store: PorticoStore) async throws -> Record? {
        guard let row = try await store.sql.raw("""
            SELECT id, admin_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions \
            WHERE session_hash = \(bind: hash) AND admin_id IS NOT NULL
            """).first()
        else { return nil }
        var record = Record(
            id: try row.decode(column: "id", as: UUID.self),
            adminID: try row.decode(column: "admin_id", as: UUID.self),
            csrfToken: try row.decode(column: "csrf_token", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            lastSeenAt: try row.decode(column: "last_seen_at", as: Date.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self)
        )
        guard let seen = try await SignIn.keepAlive(
            id: record.id, lastSeenAt: record.lastSeenAt, expiresAt: record.expiresAt, idleLifetime: idleLifetime, now: now, store: store
        ) else { return nil }
        record.lastSeenAt = seen
        return record
    }

    /// Ends the admin session whose cookie hashes to `hash`, if there is one.
    public static func end(hash: String, store: PorticoStore) async throws {
        try await store.write { db in
            try await db.sql.raw("DELETE FROM sessions WHERE session_hash = \(bind: hash) AND admin_id IS NOT NULL").run()
        }
    }
}
