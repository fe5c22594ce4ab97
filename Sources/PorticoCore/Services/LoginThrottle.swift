import Foundation
import SQLKit

/// Slows down password guessing (SPEC §5, §8, §9), counted in the database so that
/// every instance on it sees the same attempts. An attempt is counted *before* its
/// password is verified: `begin` records a `pending` row for each key of the attempt
/// (its account and its address) and refuses once a key's failures in the window plus
/// its attempts still being verified reach `limit`, so parallel attempts, on one
/// instance or several, cannot exceed it. Keys are serialized while they are counted
/// (SQLite's single writer; a per-key advisory lock on PostgreSQL).
public struct LoginThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    /// A pending attempt older than this was never finished (its instance stopped).
    static let pendingLifetime: TimeInterval = 60
    let store: PorticoStore

    /// A reserved attempt: hand it back to `finish` or `cancel` exactly once.
    public struct Attempt: Sendable {
        let id: UUID
        let keys: [String]
    }

    public enum Admission: Sendable {
        case allowed(Attempt)
        /// Whole seconds to wait before another try.
        case refused(retryAfter: Int)
    }

    public init(store: PorticoStore, limit: Int = 5, window: TimeInterval = 900) {
        self.store = store
        self.limit = limit
        self.window = window
    }

    /// Reserves an attempt for `keys` (the first is the account), or says how long to wait.
    public func begin(_ keys: [String], now: Date) async throws -> Admission {
        let attempt = Attempt(id: UUID.timeOrdered(), keys: Array(Set(keys)).sorted())
        let (limit, window) = (self.limit, self.window)
        let engine = store.engine
        return try await store.write { db -> Admission in
            let sql = db.sql
            var wait: TimeInterval = 0
            for key in attempt.keys {
                if engine == .postgres {
                    // Keys in sorted order: two attempts never wait on each other's locks crosswise.
                    try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "portico-login:" + key))) AS locked").run()
                }
                let rows = try await sql.raw("""
                    SELECT outcome, at FROM login_attempts WHERE throttle_key = \(bind: key) \
                    AND ((outcome = 'failed' AND at > \(bind: now.addingTimeInterval(-window))) \
                    OR (outcome = 'pending' AND at > \(bind: now.addingTimeInterval(-Self.pendingLifetime)))) \
                    ORDER BY at
                    """).all()
                guard rows.count >= limit else { continue }
                let failures = try rows.filter { try $0.decode(column: "outcome", as: String.self) == "failed" }
                    .map { try $0.decode(column: "at", as: Date.self) }
                if failures.count >= limit, let oldest = failures.suffix(limit).first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                } else {
                    // Full of attempts still being verified: try again in a moment.
                    wait = max(wait, 1)
                }
            }
            if wait > 0 { return .refused(retryAfter: Int(min(max(wait.rounded(.up), 1), window))) }
            for key in attempt.keys {
                try await sql.raw("""
                    INSERT INTO login_attempts (id, attempt_id, throttle_key, outcome, at) \
                    VALUES (\(bind: UUID.timeOrdered()), \(bind: attempt.id), \(bind: key), 'pending', \(bind: now))
                    """).run()
            }
            return .allowed(attempt)
        }
    }

    /// Ends an attempt: a failure counts against each of its keys for the window; a
    /// success clears its account's failures. Rows past the window go at the same time.
    public func finish(_ attempt: Attempt, account: String, succeeded: Bool, now: Date) async throws {
        let window = self.window
        try await store.write { db in
            let sql = db.sql
            if succeeded {
                try await sql.raw("DELETE FROM login_attempts WHERE attempt_id = \(bind: attempt.id) OR throttle_key = \(bind: account)").run()
            } else {
                try await sql.raw("""
                    UPDATE login_attempts SET outcome = 'failed', at = \(bind: now) WHERE attempt_id = \(bind: attempt.id)
                    """).run()
            }
            for key in attempt.keys {
                try await sql.raw("""
                    DELETE FROM login_attempts WHERE throttle_key = \(bind: key) AND at <= \(bind: now.addingTimeInterval(-window))
                    """).run()
            }
        }
    }

    /// Deletes attempts older than the window (keys nobody tried again, attempts of a
    /// stopped instance), so the table stays as small as the last 15 minutes' failures.
    @discardableResult
    public func purge(now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-max(window, Self.pendingLifetime))
        return try await store.write { db in
            try await db.sql.raw("DELETE FROM login_attempts WHERE at <= \(bind: cutoff) RETURNING id").all().count
        }
    }

    /// Gives back an attempt that was never verified (the password check was busy):
    /// neither a failure nor a success.
    public func cancel(_ attempt: Attempt) async throws {
        try await store.write { db in
            try await db.sql.raw("DELETE FROM login_attempts WHERE attempt_id = \(bind: attempt.id)").run()
        }
    }
}
