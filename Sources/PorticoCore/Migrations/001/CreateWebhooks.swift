import FluentKit

/// Webhook endpoints, the event outbox, deliveries and their attempts.
struct CreateWebhooks: AsyncMigration {
    var name: String { "001_create_webhooks" }

    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_endpoints")
            .id()
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("url", .string, .required)
            .field("key", .string, .required)
            .field("previous_key", .string)
            .field("previous_key_expires_at", .datetime)
            .field("events", .array(of: .string))
            .field("enabled", .bool, .required)
            .field("disabled_reason", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("events")
            .field("id", .string, .identifier(auto: false))
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("sequence", .int64, .required)
            .field("type", .string, .required)
            .field("user_id", .uuid)
            .field("payload", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "org_id", "sequence")
            .create()
        try await database.schema("webhook_deliveries")
            .id()
            .field("event_id", .string, .required, .references("events", "id", onDelete: .cascade))
            .field("endpoint_id", .uuid, .required, .references("webhook_endpoints", "id", onDelete: .cascade))
            .field("org_id", .uuid, .required)
            .field("sequence", .int64, .required)
            .field("attempt", .int, .required)
            .field("status", .string, .required)
            .field("next_attempt_at", .datetime)
            .field("locked_until", .datetime)
            .field("response_status", .int)
            .field("duration_ms", .int)
            .field("error", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "event_id", "endpoint_id")
            .create()
        try await database.schema("webhook_attempts")
            .id()
            .field("delivery_id", .uuid, .required, .references("webhook_deliveries", "id", onDelete: .cascade))
            .field("attempt", .int, .required)
            .field("at", .datetime, .required)
            .field("response_status", .int)
            .field("duration_ms", .int, .required)
            .field("error", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["webhook_attempts", "webhook_deliveries", "events", "webhook_endpoints"] {
            try await database.schema(table).delete()
        }
    }
}
