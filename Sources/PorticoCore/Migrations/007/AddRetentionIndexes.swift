import FluentKit
import SQLKit

/// What retention deletes by expiry (`Retention`): an index on `expires_at` of each table
/// it purges, so each batch reads its rows from the index's low end instead of scanning
/// the table (times only grow, so new entries land at the index's end).
struct AddRetentionIndexes: AsyncMigration {
    var name: String { "007_add_retention_indexes" }

    static let indexes: [(name: String, table: String)] = [
        ("idx_sso_tokens_expires", "sso_tokens"),
        ("idx_sessions_expires", "sessions"),
        ("idx_launch_codes_expires", "launch_codes"),
    ]

    func prepare(on database: any Database) async throws {
        for index in Self.indexes {
            try await database.sql.create(index: index.name).on(index.table).column("expires_at").run()
        }
    }

    func revert(on database: any Database) async throws {
        for index in Self.indexes.reversed() {
            try await database.sql.drop(index: index.name).run()
        }
    }
}
