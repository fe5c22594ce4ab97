import FluentKit

/// The audit log and process-wide settings.
struct CreateAuditEntries: AsyncMigration {
    var name: String { "001_create_audit_entries" }

    func prepare(on database: any Database) async throws {
        try await database.schema("audit_entries")
            .id()
            .field("org_id", .uuid, .references("organizations", "id", onDelete: .cascade))
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("target", .string)
            .field("at", .datetime, .required)
            .field("ip", .string)
            .create()
        try await database.schema("system_settings")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("system_settings").delete()
        try await database.schema("audit_entries").delete()
    }
}
