import CPorticoSQLite
import Foundation
import VaporCSQLite

/// A value bound to a statement, in the encodings SQLiteNIO and Fluent use, so rows
/// written here and rows written through Fluent read the same: UUIDs as their
/// uppercase text, dates as seconds since 1970 (REAL), booleans as 0/1.
enum SQLiteValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func uuid(_ value: UUID) -> SQLiteValue { .text(value.uuidString) }
    static func uuid(_ value: UUID?) -> SQLiteValue { value.map { .text($0.uuidString) } ?? .null }
    static func date(_ value: Date) -> SQLiteValue { .real(value.timeIntervalSince1970) }
    static func date(_ value: Date?) -> SQLiteValue { value.map { .real($0.timeIntervalSince1970) } ?? .null }
    static func bool(_ value: Bool) -> SQLiteValue { .integer(value ? 1 : 0) }
    static func string(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
    static func int(_ value: Int?) -> SQLiteValue { value.map { .integer(Int64($0)) } ?? .null }
}

struct SQLiteFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
}

/// One connection to the database file through SQLite's C API — the very SQLite that
/// SQLiteNIO compiles in (one library per process, so the file locks stay coherent) —
/// with every statement prepared once and kept. Used by one thread at a time.
final class SQLiteHandle {
    private let db: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// `busyTimeout`: how long a statement waits for a lock another connection holds.
    init(path: String, busyTimeout: Int32 = 5000) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        guard sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "cannot open"
            if let handle { sqlite_nio_sqlite3_close_v2(handle) }
            throw SQLiteFailure(code: SQLITE_CANTOPEN, message: message)
        }
        db = handle
        sqlite_nio_sqlite3_busy_timeout(db, busyTimeout)
        // Statements keep their plan whatever is bound: prepared once, never re-prepared.
        _ = portico_sqlite_enable_qpsg(UnsafeMutableRawPointer(db))
        try execute("PRAGMA synchronous=NORMAL")
        // As on Fluent's connections: a row whose user was deleted meanwhile is refused
        // (answered 404), never written as an orphan.
        try execute("PRAGMA foreign_keys=ON")
        // Savepoint (statement) journals in memory, not in temporary files.
        try execute("PRAGMA temp_store=MEMORY")
    }

    deinit {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        sqlite_nio_sqlite3_close_v2(db)
    }

    /// Runs SQL without results (transaction control, pragmas).
    func execute(_ sql: String) throws {
        let rc = sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(rc) }
    }

    /// Runs a statement, handing each result row to `row`.
    func query(_ sql: String, _ values: [SQLiteValue] = [], row: (SQLiteRowView) throws -> Void = { _ in }) throws {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            let rc: Int32 = switch value {
            case .null: sqlite_nio_sqlite3_bind_null(statement, position)
            case .integer(let v): sqlite_nio_sqlite3_bind_int64(statement, position, v)
            case .real(let v): sqlite_nio_sqlite3_bind_double(statement, position, v)
            // With its byte length, never -1: the text is all of it, whatever it holds.
            case .text(let v): sqlite_nio_sqlite3_bind_text64(statement, position, v, UInt64(v.utf8.count), transientText, UInt8(SQLITE_UTF8))
            }
            guard rc == SQLITE_OK else { throw failure(rc) }
        }
        while true {
            let rc = sqlite_nio_sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw failure(rc) }
            try row(SQLiteRowView(statement: statement))
        }
    }

    /// The first row's view, mapped; nil when there is none.
    func first<T>(_ sql: String, _ values: [SQLiteValue] = [], _ map: (SQLiteRowView) throws -> T) throws -> T? {
        var result: T?
        try query(sql, values) { row in
            if result == nil { result = try map(row) }
        }
        return result
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite_nio_sqlite3_changes(db)) }

    /// Syncs the write-ahead log and then the database file to disk through this
    /// connection's own open files (SQLite's VFS: a sync covers what any connection
    /// wrote). Never a second descriptor of its own: closing one would drop the
    /// process's POSIX locks on the file. A file this connection has not opened yet
    /// (the log, before its first read) is skipped.
    func syncFiles() throws {
        for op in [SQLITE_FCNTL_JOURNAL_POINTER, SQLITE_FCNTL_FILE_POINTER] {
            var file: UnsafeMutablePointer<sqlite3_file>?
            guard sqlite_nio_sqlite3_file_control(db, "main", op, &file) == SQLITE_OK,
                  let file, let sync = file.pointee.pMethods?.pointee.xSync else { continue }
            let rc = sync(file, SQLITE_SYNC_NORMAL)
            guard rc == SQLITE_OK else { throw SQLiteFailure(code: rc, message: "sync failed") }
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(rc) }
        statements[sql] = statement
        return statement
    }

    private func failure(_ rc: Int32) -> SQLiteFailure {
        SQLiteFailure(code: rc, message: String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }
}

/// The current row of a stepping statement, read by column name (`StoredRow`).
struct SQLiteRowView: StoredRow {
    let statement: OpaquePointer

    /// The position of the result column `name` (a handful of columns: a scan).
    private func index(_ name: String) -> Int32? {
        let count = sqlite_nio_sqlite3_column_count(statement)
        return name.withCString { wanted in
            (0..<count).first { column in
                guard let current = sqlite_nio_sqlite3_column_name(statement, column) else { return false }
                return strcmp(current, wanted) == 0
            }
        }
    }

    /// The column's position when it holds a value (not NULL).
    private func present(_ name: String) -> Int32? {
        guard let column = index(name), sqlite_nio_sqlite3_column_type(statement, column) != SQLITE_NULL else { return nil }
        return column
    }

    func string(_ name: String) -> String? {
        guard let column = present(name), let text = sqlite_nio_sqlite3_column_text(statement, column) else { return nil }
        // By its byte length, as it was bound: all of the text, never cut at a NUL.
        let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func int(_ name: String) -> Int? {
        present(name).map { Int(sqlite_nio_sqlite3_column_int64(statement, $0)) }
    }

    func bool(_ name: String) -> Bool? {
        present(name).map { sqlite_nio_sqlite3_column_int64(statement, $0) != 0 }
    }

    func uuid(_ name: String) -> UUID? { string(name).flatMap(UUID.init(uuidString:)) }

    /// A date as SQLiteNIO reads it: seconds since 1970, rounded to microseconds.
    func date(_ name: String) -> Date? {
        guard let column = present(name) else { return nil }
        let value = sqlite_nio_sqlite3_column_double(statement, column) - Date.timeIntervalBetween1970AndReferenceDate
        return Date(timeIntervalSinceReferenceDate: (value * 1e6).rounded() / 1e6)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound text.
private let transientText = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
