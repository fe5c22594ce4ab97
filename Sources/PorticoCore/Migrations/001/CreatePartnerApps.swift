import FluentKit

/// Partner apps and their launch codes.
struct CreatePartnerApps: AsyncMigration {
    var name: String { "001_create_partner_apps" }

    func prepare(on database: any Database) async throws {
        try await database.schema("partner_apps")
            .id()
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("slug", .string, .required)
            .field("name", .string, .required)
            .field("launch_url", .string, .required)
            .field("key_hash", .string, .required)
            .field("enabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "org_id", "slug")
            .unique(on: "key_hash")
            .create()
        try await database.schema("launch_codes")
            .id()
            .field("app_id", .uuid, .required, .references("partner_apps", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("issued_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("launch_codes").delete()
        try await database.schema("partner_apps").delete()
    }
}
