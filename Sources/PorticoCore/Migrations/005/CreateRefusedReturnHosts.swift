import FluentKit
import SQLKit

/// The return hosts that sign-ins and redirect entities asked for and were refused, per
/// org (SPEC §8 settings page): one row per (org, host), counted and time-stamped by an
/// upsert on the unique pair, so an integrator can allow the right host in one click.
struct CreateRefusedReturnHosts: AsyncMigration {
    var name: String { "005_create_refused_return_hosts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("refused_return_hosts")
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("host", .string, .required)
            .field("count", .int64, .required)
            .field("first_at", .datetime, .required)
            .field("last_at", .datetime, .required)
            .unique(on: "org_id", "host")
            .create()
        try await database.sql.create(index: "idx_refused_return_hosts_last_at").on("refused_return_hosts").column("last_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("refused_return_hosts").delete()
    }
}
