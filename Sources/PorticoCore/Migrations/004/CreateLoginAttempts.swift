import FluentKit
import SQLKit

/// Sign-in attempts per throttle key (an account, an address), kept in the database so
/// that every Portico instance on it counts the same attempts (SPEC §5, §9): a row is
/// `pending` while its password is verified, then `failed` (kept for the window) or
/// deleted (success, or never verified).
struct CreateLoginAttempts: AsyncMigration {
    var name: String { "004_create_login_attempts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("login_attempts")
            .field("id", .uuid, .identifier(auto: false))
            .field("attempt_id", .uuid, .required)
            .field("throttle_key", .string, .required)
            .field("outcome", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await database.sql.create(index: "idx_login_attempts_key").on("login_attempts").column("throttle_key").column("at").run()
        try await database.sql.create(index: "idx_login_attempts_attempt").on("login_attempts").column("attempt_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("login_attempts").delete()
    }
}
