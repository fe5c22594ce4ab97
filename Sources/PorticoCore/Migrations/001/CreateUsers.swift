import FluentKit

/// Users (unique partner_id per org) and their subscriptions.
struct CreateUsers: AsyncMigration {
    var name: String { "001_create_users" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .id()
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("partner_id", .string, .required)
            .field("email", .string)
            .field("first_name", .string)
            .field("last_name", .string)
            .field("anonymous", .bool, .required)
            .field("expires_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "org_id", "partner_id")
            .create()
        try await database.schema("subscriptions")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("logout_url", .string)
            .field("invalid_token_url", .string)
            .field("expired_token_url", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "org_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("subscriptions").delete()
        try await database.schema("users").delete()
    }
}
