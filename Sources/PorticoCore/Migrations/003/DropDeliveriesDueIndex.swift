import FluentKit
import SQLKit

/// Every question the worker asks of `webhook_deliveries` starts from an endpoint
/// (`due`, `hasWork`, the queue depth summed per endpoint), and
/// `(endpoint_id, status, sequence)` answers each in order without a sort. The
/// `(status, next_attempt_at)` index goes: SQLite's planner preferred it for `due`
/// and then read every due delivery of every endpoint and sorted them, each batch;
/// and each delivery's change of status rewrote its entry too.
struct DropDeliveriesDueIndex: AsyncMigration {
    var name: String { "003_drop_deliveries_due_index" }

    func prepare(on database: any Database) async throws {
        try await database.sql.drop(index: "idx_deliveries_due").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.create(index: "idx_deliveries_due").on("webhook_deliveries").column("status").column("next_attempt_at").run()
    }
}
