import Fluent
import FluentKit
import PorticoCore
import SQLKit
import Vapor

/// Registers Portico's migrations, in order.
func registerMigrations(_ app: Application) {
    for migration in PorticoMigrations.all {
        app.migrations.add(migration)
    }
}

/// Applies pending migrations. On PostgreSQL this happens under an advisory lock, so
/// several instances starting at once migrate one after the other.
public func migrate(_ app: Application) async throws {
    guard app.portico.store.engine == .postgres else {
        try await app.autoMigrate()
        return
    }
    try await app.db.withConnection { conn in
        let sql = conn as! any SQLDatabase
        try await sql.raw("SELECT pg_advisory_lock(\(unsafeRaw: String(migrationLockKey)))").run()
        do {
            try await app.autoMigrate()
        } catch {
            try? await sql.raw("SELECT pg_advisory_unlock(\(unsafeRaw: String(migrationLockKey)))").run()
            throw error
        }
        try await sql.raw("SELECT pg_advisory_unlock(\(unsafeRaw: String(migrationLockKey)))").run()
    }
}

/// The advisory lock id under which migrations run ("PORTICO!" in ASCII).
let migrationLockKey: Int64 = 0x504F_5254_4943_4F21

/// True when the database answers and every migration has been applied.
func migrationsApplied(_ app: Application) async -> Bool {
    do {
        let rows = try await (app.db as! any SQLDatabase).raw("SELECT name FROM _fluent_migrations").all()
        let applied = Set(try rows.map { try $0.decode(column: "name", as: String.self) })
        return PorticoMigrations.all.allSatisfy { applied.contains($0.name) }
    } catch {
        return false
    }
}
