import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Deleting what has expired, so the tables the hot paths use stay the size of what is
/// live (issue 19): member and admin sessions past expiry, SSO tokens and launch codes,
/// OpenID Connect codes, tokens and pending authorizations, and events with their
/// deliveries past the retention window.
///
/// Each kind goes in batches, each batch its own short write transaction, so the hot
/// paths' writes queue behind at most one batch. A batch's *hold* is measured from the
/// start of its transaction body to the end of its commit (the writer is held from just
/// before the first to just after the second); the batch size adapts to keep it near
/// `targetHold`, and a pause between batches lets queued writes through.
public enum Retention {
    /// One kind of row that expires: which table, and the rows past `cutoff` by `column`.
    public struct Kind: Sendable {
        public var name: String
        public var table: String
        public var column: String
        public var cutoff: Date
        /// Events have text ids; every other table purged here has UUIDs.
        public var textIDs: Bool

        public init(name: String, table: String, column: String, cutoff: Date, textIDs: Bool = false) {
            self.name = name
            self.table = table
            self.column = column
            self.cutoff = cutoff
            self.textIDs = textIDs
        }
    }

    /// How long an SSO token or launch code is kept after it expires: a used or expired
    /// token presented again within that time still gets its own answer (the org's
    /// `invalid_token_url` or `expired_token_url`), not "unknown".
    public static let keptAfterExpiry: TimeInterval = 86_400

    /// The kinds purged at `now`, with events older than `eventCutoff`.
    public static func kinds(now: Date, eventCutoff: Date) -> [Kind] {
        let kept = now.addingTimeInterval(-keptAfterExpiry)
        return [
            Kind(name: "sessions", table: "sessions", column: "expires_at", cutoff: now),
            Kind(name: "sso_tokens", table: "sso_tokens", column: "expires_at", cutoff: kept),
            Kind(name: "launch_codes", table: "launch_codes", column: "expires_at", cutoff: kept),
            Kind(name: "oidc_pending_authorizations", table: "oidc_pending_authorizations", column: "expires_at", cutoff: now),
            Kind(name: "oidc_codes", table: "oidc_codes", column: "expires_at", cutoff: now.addingTimeInterval(-OIDCGrants.keptAfterExpiry)),
            Kind(name: "oidc_tokens", table: "oidc_tokens", column: "expires_at", cutoff: now.addingTimeInterval(-OIDCGrants.keptAfterExpiry)),
            Kind(name: "events", table: "events", column: "created_at", cutoff: eventCutoff, textIDs: true),
        ]
    }

    /// The hold a batch aims at; the size halves above twice this and doubles below half.
    public static let targetHold: Duration = .milliseconds(15)
    public static let batchSizes = 50...5_000

    /// What one purge did.
    public struct Report: Sendable, Equatable {
        public var deleted: [String: Int] = [:]
        public var batches = 0
        /// The longest a batch held the writer.
        public var longestHold: Duration = .zero

        public var total: Int { deleted.values.reduce(0, +) }
    }

    /// Deletes every row of `kinds` past its cutoff, in batches. `onBatch` hears each
    /// batch's kind, row count and hold (for the metrics).
    @discardableResult
    public static func purge(
        _ kinds: [Kind], store: PorticoStore, startingBatch: Int = 500, pause: Duration = .milliseconds(5),
        onBatch: @Sendable (String, Int, Duration) -> Void = { _, _, _ in }
    ) async throws -> Report {
        var report = Report()
        for kind in kinds {
            var size = startingBatch
            while !Task.isCancelled {
                // The ids are read outside the writer, from the index's low end.
                let rows = try await store.sql.raw("""
                    SELECT id FROM \(unsafeRaw: kind.table) WHERE \(unsafeRaw: kind.column) < \(bind: kind.cutoff)
                    ORDER BY \(unsafeRaw: kind.column) LIMIT \(unsafeRaw: String(size))
                    """).all()
                let ids: [any Encodable & Sendable] = try rows.map { row -> any Encodable & Sendable in
                    if kind.textIDs { return try row.decode(column: "id", as: String.self) }
                    return try row.decode(column: "id", as: UUID.self)
                }
                if ids.isEmpty { break }
                let requested = size
                let started = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
                try await store.write { db in
                    started.withLockedValue { $0 = ContinuousClock.now }
                    try await delete(ids, of: kind, on: db.sql)
                }
                let hold = started.withLockedValue { $0.map { ContinuousClock.now - $0 } } ?? .zero
                onBatch(kind.name, ids.count, hold)
                report.deleted[kind.name, default: 0] += ids.count
                report.batches += 1
                report.longestHold = max(report.longestHold, hold)
                size = nextBatchSize(after: size, hold: hold)
                if ids.count < requested { break }
                try? await Task.sleep(for: pause)
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

    /// One batch: the rows (still past the cutoff: the condition is checked again inside
    /// the transaction) and, for events, their deliveries and attempts first.
    private static func delete(_ ids: [any Encodable & Sendable], of kind: Kind, on sql: any SQLDatabase) async throws {
        let list = SQLGroupExpression(ids.map { SQLBind($0) })
        if kind.table == "events" {
            try await sql.raw("""
                DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE event_id IN \(list))
                """).run()
            try await sql.raw("DELETE FROM webhook_deliveries WHERE event_id IN \(list)").run()
        }
        try await sql.raw("""
            DELETE FROM \(unsafeRaw: kind.table) WHERE id IN \(list) AND \(unsafeRaw: kind.column) < \(bind: kind.cutoff)
            """).run()
    }
}

extension Duration {
    /// This duration in milliseconds, for logs.
    public var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
