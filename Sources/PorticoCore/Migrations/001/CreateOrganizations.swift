import FluentKit

/// Organizations with their settings, and the per-org event counter.
struct CreateOrganizations: AsyncMigration {
    var name: String { "001_create_organizations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organizations")
            .id()
            .field("parent_id", .uuid, .references("organizations", "id", onDelete: .restrict))
            .field("slug", .string, .required)
            .field("name", .string, .required)
            .field("anonymous_users_enabled", .bool, .required)
            .field("sso_token_ttl", .int, .required)
            .field("sso_token_single_use", .bool, .required)
            .field("sso_api_token_ttl", .int, .required)
            .field("allowed_return_hosts", .array(of: .string), .required)
            .field("landing_url", .string)
            .field("invalid_token_url", .string)
            .field("expired_token_url", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "slug")
            .create()
        try await database.schema("event_counters")
            .field("org_id", .uuid, .identifier(auto: false), .references("organizations", "id", onDelete: .cascade))
            .field("last_sequence", .int64, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("event_counters").delete()
        try await database.schema("organizations").delete()
    }
}
