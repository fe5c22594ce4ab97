import FluentKit

/// Partner API keys, found by the unique index on their hash.
struct CreateAPIKeys: AsyncMigration {
    var name: String { "001_create_api_keys" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_keys")
            .id()
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("prefix", .string, .required)
            .field("key_hash", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .field("expires_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "key_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_keys").delete()
    }
}
