import FluentKit
import SQLKit

/// The secondary indexes that hot and background queries rely on (unique indexes
/// come with their tables). `CREATE INDEX` is the same on SQLite and PostgreSQL.
struct CreateIndexes: AsyncMigration {
    var name: String { "001_create_indexes" }

    static let indexes: [(name: String, table: String, columns: [String])] = [
        ("idx_users_anonymous_expiry", "users", ["expires_at"]),
        ("idx_subscriptions_org", "subscriptions", ["org_id"]),
        ("idx_sso_tokens_user", "sso_tokens", ["user_id"]),
        ("idx_sessions_user", "sessions", ["user_id"]),
        ("idx_interviews_user", "interviews", ["user_id", "updated_at"]),
        ("idx_enrollments_user", "enrollments", ["user_id"]),
        ("idx_launch_codes_user", "launch_codes", ["user_id"]),
        ("idx_events_user", "events", ["user_id"]),
        ("idx_events_created", "events", ["created_at"]),
        ("idx_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]),
        ("idx_deliveries_endpoint", "webhook_deliveries", ["endpoint_id", "status", "sequence"]),
        ("idx_attempts_delivery", "webhook_attempts", ["delivery_id"]),
        ("idx_audit_org_at", "audit_entries", ["org_id", "at"]),
        ("idx_orgs_parent", "organizations", ["parent_id"]),
        ("idx_admins_org", "admins", ["org_id"]),
        ("idx_api_keys_org", "api_keys", ["org_id"]),
    ]

    func prepare(on database: any Database) async throws {
        let sql = database.sql
        for index in Self.indexes {
            var builder = sql.create(index: index.name).on(index.table)
            for column in index.columns { builder = builder.column(column) }
            try await builder.run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database.sql
        for index in Self.indexes.reversed() {
            try await sql.drop(index: index.name).run()
        }
    }
}
