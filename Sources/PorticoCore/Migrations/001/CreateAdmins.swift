import FluentKit

/// Admins and the SSO API's access tokens.
struct CreateAdmins: AsyncMigration {
    var name: String { "001_create_admins" }

    func prepare(on database: any Database) async throws {
        try await database.schema("admins")
            .id()
            .field("org_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("password_hash", .string, .required)
            .field("permissions", .array(of: .string), .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "email")
            .create()
        try await database.schema("admin_access_tokens")
            .id()
            .field("token_hash", .string, .required)
            .field("admin_id", .uuid, .required, .references("admins", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("admin_access_tokens").delete()
        try await database.schema("admins").delete()
    }
}
