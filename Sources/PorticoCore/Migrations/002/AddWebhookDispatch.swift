import FluentKit
import SQLKit

/// What the delivery worker needs on each endpoint: how far into the org's outbox
/// deliveries have been created (`fanout_sequence`), and a lease (`locked_until`,
/// `lease_owner`) so one worker at a time serves an endpoint.
struct AddWebhookDispatch: AsyncMigration {
    var name: String { "002_add_webhook_dispatch" }

    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_endpoints")
            .field("fanout_sequence", .int64, .required, .custom(SQLColumnConstraintAlgorithm.default(0)))
            .update()
        try await database.schema("webhook_endpoints")
            .field("locked_until", .datetime)
            .update()
        try await database.schema("webhook_endpoints")
            .field("lease_owner", .string)
            .update()
        try await database.sql.create(index: "idx_endpoints_lease").on("webhook_endpoints").column("enabled").column("locked_until").run()
        try await database.sql.create(index: "idx_deliveries_org_status").on("webhook_deliveries").column("org_id").column("status").column("updated_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "idx_deliveries_org_status").run()
        try await database.sql.drop(index: "idx_endpoints_lease").run()
        for column in ["lease_owner", "locked_until", "fanout_sequence"] {
            try await database.schema("webhook_endpoints").deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}
