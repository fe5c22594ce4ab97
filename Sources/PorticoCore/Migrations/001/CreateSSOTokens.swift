import FluentKit

/// SSO tokens and browser sessions.
struct CreateSSOTokens: AsyncMigration {
    var name: String { "001_create_sso_tokens" }

    func prepare(on database: any Database) async throws {
        try await database.schema("sso_tokens")
            .id()
            .field("token_hash", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("subscription_id", .uuid, .required, .references("subscriptions", "id", onDelete: .cascade))
            .field("purpose", .string, .required)
            .field("redirect_to", .string)
            .field("display", .int)
            .field("single_use", .bool, .required)
            .field("expires_at", .datetime, .required)
            .field("consumed_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.schema("sessions")
            .id()
            .field("session_hash", .string, .required)
            .field("user_id", .uuid, .references("users", "id", onDelete: .cascade))
            .field("admin_id", .uuid, .references("admins", "id", onDelete: .cascade))
            .field("subscription_id", .uuid, .references("subscriptions", "id", onDelete: .cascade))
            .field("display", .int, .required)
            .field("return_url", .string)
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "session_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").delete()
        try await database.schema("sso_tokens").delete()
    }
}
