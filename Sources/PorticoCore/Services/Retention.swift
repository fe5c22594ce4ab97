import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Deleting what has expired, so the tables the hot paths use stay the size of what is
/// live (issue 19): member and admin sessions past expiry, SSO tokens and launch codes,
/// OpenID Connect codes, tokens and pending authorizations, and events with their
/// deliveries past the retention window.
///
/// Each kind goes in batches, each one write of its own, so the hot paths' writes queue
/// behind at most one batch. On SQLite a batch is a transaction of its own on the group
/// writer's thread (`statements`), its *hold* that transaction's time including the
/// commit; on
/// PostgreSQL it is a short transaction (`transactionBatch`), its hold that transaction's
/// time. The batch size adapts to keep the hold near `targetHold`, and the pause after
/// each batch (`pause(after:)`) keeps retention's share of the writer at `writerShare`,
/// so a backlog (a first start on a year of rows) is worked off beside the hot paths
/// instead of in their place. When nothing else wrote since the last batch and nothing
/// waits (`Batch.contended`, on SQLite's single writer), retention pauses as if it had
/// half the writer (`quietShare`; with batches of about 2 ms and the 5 ms shortest pause
/// that is nearly a third): a quiet server works its backlog off about three times as
/// fast, and the first write that comes waits for at most the batch under way, then
/// brings the longer pauses back.
public enum Retention {
    /// One kind of row that expires: the rows of `table` past `cutoff` by `column` (the
    /// table's name is the kind's name in reports and metrics).
    public struct Kind: Sendable {
        public var table: String
        public var column: String
        public var cutoff: Date

        public init(table: String, column: String, cutoff: Date) {
            self.table = table
            self.column = column
            self.cutoff = cutoff
        }
    }

    /// How long an SSO token or launch code is kept after it expires: a used or expired
    /// token presented again within that time still gets its own answer (the org's
    /// `invalid_token_url` or `expired_token_url`), not "unknown".
    public static let keptAfterExpiry: TimeInterval = 86_400

    /// The kinds purged at `now`, with events older than `eventCutoff`.
    public static func kinds(now: Date, eventCutoff: Date) -> [Kind] {
        let kept = now.addingTimeInterval(-keptAfterExpiry)
        let oidcKept = now.addingTimeInterval(-OIDCGrants.keptAfterExpiry)
        return [
            Kind(table: "sessions", column: "expires_at", cutoff: now),
            Kind(table: "sso_tokens", column: "expires_at", cutoff: kept),
            Kind(table: "launch_codes", column: "expires_at", cutoff: kept),
            Kind(table: "oidc_pending_authorizations", column: "expires_at", cutoff: now),
            Kind(table: "oidc_codes", column: "expires_at", cutoff: oidcKept),
            Kind(table: "oidc_tokens", column: "expires_at", cutoff: oidcKept),
            Kind(table: "events", column: "created_at", cutoff: eventCutoff),
        ]
    }

    /// The hold a batch aims at; the size halves above twice this and doubles below half.
    public static let targetHold: Duration = .milliseconds(2)
    public static let batchSizes = 50...2_000
    /// The share of the writer's time retention takes while it catches up.
    public static let writerShare = 0.1
    /// The shortest pause between two batches.
    public static let minimumPause: Duration = .milliseconds(5)

    /// The pause after a batch that held the writer for `hold`: `hold` is `share` of the
    /// batch and its pause together (a share of 1 or more: no pause).
    public static func pause(after hold: Duration, share: Double = writerShare) -> Duration {
        share >= 1 ? .zero : max(minimumPause, hold * ((1 - share) / share))
    }

    /// The share of the writer's time retention takes while nothing else wants it: not
    /// all of it, so the log the deletes write (a page per row in each random index)
    /// grows no faster than the checkpointer copies it back.
    public static let quietShare = 0.5

    /// The pause after `batch`: the one that keeps retention to `share` of the writer,
    /// or to `quietShare` when nothing else wanted the writer meanwhile.
    public static func pause(after batch: Batch, share: Double = writerShare) -> Duration {
        pause(after: batch.hold, share: batch.contended ? share : max(share, quietShare))
    }

    /// What one purge did.
    public struct Report: Sendable, Equatable {
        public var deleted: [String: Int] = [:]
        public var batches = 0
        /// The longest a batch held the writer.
        public var longestHold: Duration = .zero

        public var total: Int { deleted.values.reduce(0, +) }
    }

    /// Deletes every row of `kinds` past its cutoff, in batches, through `store` (the hot
    /// path store: on SQLite each batch is a transaction of its own on the writer thread).
    /// `onBatch` hears each batch's kind, row count and hold (for the metrics).
    @discardableResult
    public static func purge(
        _ kinds: [Kind], store: any RetentionStore, startingBatch: Int = 500, writerShare: Double = writerShare,
        onBatch: @Sendable (String, Int, Duration) -> Void = { _, _, _ in }
    ) async throws -> Report {
        var report = Report()
        for kind in kinds {
            var size = startingBatch
            while !Task.isCancelled {
                let batch = try await store.purgeBatch(kind, limit: size)
                if batch.rows == 0 { break }
                onBatch(kind.table, batch.rows, batch.hold)
                report.deleted[kind.table, default: 0] += batch.rows
                report.batches += 1
                report.longestHold = max(report.longestHold, batch.hold)
                let requested = size
                size = nextBatchSize(after: size, hold: batch.hold)
                if batch.rows < requested { break }
                let pause = pause(after: batch, share: writerShare)
                if pause > .zero { try? await Task.sleep(for: pause) }
            }
        }
        return report
    }

    /// The batch size after one of `size` rows held the writer for `hold`.
    public static func nextBatchSize(after size: Int, hold: Duration) -> Int {
        if hold > targetHold * 2 { return max(min(size, batchSizes.lowerBound), size / 2) }
        if hold < targetHold / 2 { return min(batchSizes.upperBound, size * 2) }
        return size
    }

    /// One batch: how many rows of the kind went, how long the batch held the writer, and
    /// whether other writes ran since the last batch or were waiting when it was done
    /// (where the store cannot tell, as on PostgreSQL, always).
    public struct Batch: Sendable {
        public var rows: Int
        public var hold: Duration
        public var contended: Bool

        public init(rows: Int, hold: Duration, contended: Bool = true) {
            self.rows = rows
            self.hold = hold
            self.contended = contended
        }
    }

    /// The statements of one batch, on either engine: `?1` the cutoff, `?2` the batch size;
    /// the same oldest rows in each (ties broken by id), an event's attempts and deliveries
    /// before the event. The last statement deletes the batch's rows.
    public static func statements(_ kind: Kind) -> [String] {
        let doomed = "SELECT id FROM \(kind.table) WHERE \(kind.column) < ?1 ORDER BY \(kind.column), id LIMIT ?2"
        var statements: [String] = []
        if kind.table == "events" {
            statements.append("""
                DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE event_id IN (\(doomed)))
                """)
            statements.append("DELETE FROM webhook_deliveries WHERE event_id IN (\(doomed))")
        }
        statements.append("DELETE FROM \(kind.table) WHERE id IN (\(doomed))")
        return statements
    }

    /// One batch as its own transaction through SQLKit (PostgreSQL, where there is no
    /// single writer to hold: the batch's row locks are all it takes); the hold is the
    /// transaction's time from its first statement to its commit.
    public static func transactionBatch(_ kind: Kind, limit: Int, store: PorticoStore) async throws -> Batch {
        // `?1` becomes a bound cutoff, `?2` the limit (an integer, written as one).
        let queries = statements(kind).map { sql in
            sql.replacingOccurrences(of: "?2", with: String(limit)).components(separatedBy: "?1").map { SQLQueryString($0) }
                .joined(separator: SQLBind(kind.cutoff))
        }
        let started = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
        let deleted = try await store.write { db -> Int in
            started.withLockedValue { $0 = ContinuousClock.now }
            for query in queries.dropLast() { try await db.sql.raw(query).run() }
            return try await db.sql.raw(queries[queries.count - 1] + " RETURNING id").all().count
        }
        let hold = started.withLockedValue { $0.map { ContinuousClock.now - $0 } } ?? .zero
        return Batch(rows: deleted, hold: hold)
    }
}

/// Where retention's batches run: the hot path store of each engine.
public protocol RetentionStore: Sendable {
    /// Deletes up to `limit` rows of `kind` past its cutoff, oldest first, in one write.
    func purgeBatch(_ kind: Retention.Kind, limit: Int) async throws -> Retention.Batch
}

extension Duration {
    /// This duration in milliseconds, for logs.
    public var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
