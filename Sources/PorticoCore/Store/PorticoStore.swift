import FluentKit
import Foundation
import SQLKit

/// Which storage engine Portico runs on.
public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres
}

/// Portico's access to its database: plain reads on any connection, and writes
/// through `write`, one transaction each.
///
/// On SQLite there is a single writer at a time per file, so writes queue on an
/// in-process lock (shared with the hot paths' group writer) and take the write
/// lock up front (`BEGIN IMMEDIATE`) instead of spinning on `SQLITE_BUSY`; readers
/// keep going beside them (WAL). On PostgreSQL
/// writes run concurrently and rely on row locks and unique indexes.
public final class PorticoStore: Sendable {
    public let engine: DatabaseEngine
    private let makeDatabase: @Sendable () -> any Database
    /// The in-process order of SQLite writers (see `WriteLock`).
    let writeLock = WriteLock()

    public init(engine: DatabaseEngine, database: @escaping @Sendable () -> any Database) {
        self.engine = engine
        self.makeDatabase = database
    }

    /// A database for reads (and for Fluent writes that are a single statement).
    public var db: any Database { makeDatabase() }

    public var sql: any SQLDatabase { makeDatabase() as! any SQLDatabase }

    /// Runs `body` in one transaction: everything it writes commits together or not at all.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        switch engine {
        case .postgres:
            // A transaction that lost a deadlock (say, a create against a delete of the
            // same user) is run again; the body is all-or-nothing, so that is safe.
            return try await StoreFailure.retrying { try await makeDatabase().transaction { try await body($0) } }
        case .sqlite:
            await writeLock.acquire()
            do {
                let result = try await makeDatabase().withConnection { conn in
                    let sql = conn as! any SQLDatabase
                    try await sql.raw("BEGIN IMMEDIATE").run()
                    do {
                        let value = try await body(conn)
                        try await sql.raw("COMMIT").run()
                        return value
                    } catch {
                        try? await sql.raw("ROLLBACK").run()
                        throw error
                    }
                }
                writeLock.release()
                return result
            } catch {
                writeLock.release()
                throw error
            }
        }
    }
}

extension Database {
    /// This database as SQLKit sees it (both of Portico's drivers are SQL databases).
    public var sql: any SQLDatabase { self as! any SQLDatabase }
}
