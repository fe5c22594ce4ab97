@testable import App
import Foundation
import NIOConcurrencyHelpers
import PorticoCore
import SQLiteNIO
import Testing
import Vapor

/// `portico backup PATH` (issue 17): a consistent copy of the SQLite database while
/// writes go on. SQLite only: on PostgreSQL the command refuses (pg_dump).
@Suite("BackupTests")
struct BackupTests {
    static let onPostgres = TestApp.postgresURL != nil
    static let sqliteOnly: Comment = "portico backup copies the SQLite database; TEST_DATABASE_URL runs the suite on PostgreSQL"

    /// A path in the temporary directory that does not exist yet.
    static func freshPath(_ name: String = "backup.sqlite") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("portico-backup-\(Secrets.alphanumeric(count: 10))-\(name)").path
    }

    static func remove(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static func sqlitePath(_ t: TestApp) throws -> String {
        guard case .sqliteFile(let path) = t.portico.config.storage else { throw CLIFailure("not an SQLite file") }
        return path
    }

    /// Reads the copy on a connection of its own: integrity_check, journal mode, users.
    static func inspect(_ path: String) async throws -> (integrity: [String], journalMode: String?, partnerIDs: Set<String>) {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            let integrity = try await connection.query("PRAGMA integrity_check").map { $0.column("integrity_check")?.string ?? "?" }
            let mode = try await connection.query("PRAGMA journal_mode").first?.column("journal_mode")?.string
            let ids = try await connection.query("SELECT partner_id FROM users").compactMap { $0.column("partner_id")?.string }
            try await connection.close()
            return (integrity, mode, Set(ids))
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test("a backup taken while users are being created opens clean and holds every acknowledged user",
          .disabled(if: onPostgres, sqliteOnly))
    func backupDuringWrites() async throws {
        try await TestApp.run(adjust: { $0.rateLimit = nil }) { t in
            let (_, key) = try await t.org("backup-org")
            let database = try Self.sqlitePath(t)
            let acknowledged = NIOLockedValueBox<[String]>([])
            let stop = NIOLockedValueBox(false)
            let failures = NIOLockedValueBox<[String]>([])
            let target = Self.freshPath()
            defer { Self.remove(target) }

            let (before, copy) = try await withThrowingTaskGroup(of: Void.self) { group in
                // However the body ends, the writers stop (the group waits for them).
                defer { stop.withLockedValue { $0 = true } }
                // Three writers creating users through the Partner API until told to stop.
                for writer in 0..<3 {
                    group.addTask {
                        var i = 0
                        while !stop.withLockedValue({ $0 }) {
                            let id = "w\(writer)-\(i)"
                            let response: TestResponse
                            do {
                                response = try await t.send(.POST, "/api/users/\(id)", key: key, body: #"{"first_name":"Backup"}"#)
                            } catch {
                                failures.withLockedValue { $0.append("\(id): \(error)") }
                                return
                            }
                            if response.status == .ok, response.json["created"].bool == true {
                                acknowledged.withLockedValue { $0.append(id) }
                            } else {
                                failures.withLockedValue { $0.append("\(id): \(response.status.code) \(response.errorCode ?? "")") }
                                return
                            }
                            i += 1
                        }
                    }
                }
                /// Waits (at most 60 s) until `count` users are acknowledged or a writer failed.
                func waitForAcknowledged(_ count: Int) async throws {
                    for _ in 0..<12_000 {
                        if acknowledged.withLockedValue({ $0.count }) >= count || !failures.withLockedValue({ $0.isEmpty }) { return }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                // Some users first, then the backup while the writers keep going.
                try await waitForAcknowledged(150)
                let before = Set(acknowledged.withLockedValue { $0 })
                let copy = try await BackupCommand.backup(storage: .sqliteFile(database), to: target)
                // And a few more after it, so the writes overlapped the copy.
                try await waitForAcknowledged(acknowledged.withLockedValue { $0.count } + 30)
                return (before, copy)
            }

            #expect(failures.withLockedValue { $0 }.isEmpty, "user creation failed: \(failures.withLockedValue { $0.prefix(3) })")
            #expect(before.count >= 150)
            #expect(copy.path == target)
            let attributes = try FileManager.default.attributesOfItem(atPath: target)
            #expect((attributes[.size] as? NSNumber)?.int64Value == copy.bytes)
            #expect(copy.bytes > 0)
            // Owner-only: the copy holds every hash and setting of the database.
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

            let (integrity, mode, inCopy) = try await Self.inspect(target)
            #expect(integrity == ["ok"])
            // One self-contained file: no WAL to carry along.
            #expect(mode == "delete")
            let missing = before.subtracting(inCopy)
            #expect(missing.isEmpty, "\(missing.count) acknowledged users missing from the copy, e.g. \(missing.prefix(3))")
            // Nothing in the copy that was never asked for.
            let all = Set(acknowledged.withLockedValue { $0 })
            #expect(inCopy.isSubset(of: all))
            // The source is still the live database, with everything written since.
            #expect(try await t.count("users") == all.count)
        }
    }

    @Test("an existing path is refused and left as it was", .disabled(if: onPostgres, sqliteOnly))
    func existingPathRefused() async throws {
        try await TestApp.run { t in
            let database = try Self.sqlitePath(t)
            let target = Self.freshPath()
            defer { Self.remove(target) }
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: target))
            await #expect(throws: SQLiteBackup.Failure.targetExists(target)) {
                try SQLiteBackup.copy(database: database, to: target)
            }
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")

            // The live database itself is never a target either.
            await #expect(throws: SQLiteBackup.Failure.targetExists(database)) {
                try SQLiteBackup.copy(database: database, to: database)
            }
            // An empty file is "existing" too (SQLite itself would write into it).
            let empty = Self.freshPath()
            defer { Self.remove(empty) }
            FileManager.default.createFile(atPath: empty, contents: nil)
            do {
                _ = try await BackupCommand.backup(storage: .sqliteFile(database), to: empty)
                Issue.record("an existing empty file was overwritten")
            } catch let failure as CLIFailure {
                #expect(failure.description.contains("already exists"))
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: empty)).isEmpty)
        }
    }

    @Test("a path with quotes and spaces is written as given", .disabled(if: onPostgres, sqliteOnly))
    func quotedPath() async throws {
        try await TestApp.run { t in
            _ = try await t.send(.POST, "/api/users/quoted", key: try await t.org("quote-org").key)
            let database = try Self.sqlitePath(t)
            let target = Self.freshPath(#"it's a "copy"'); DROP TABLE users; --.sqlite"#)
            defer { Self.remove(target) }
            let copy = try SQLiteBackup.copy(database: database, to: target)
            #expect(copy.path == target)
            let (integrity, _, ids) = try await Self.inspect(target)
            #expect(integrity == ["ok"])
            #expect(ids == ["quoted"])
            #expect(try await t.count("users") == 1)
        }
    }

    @Test("no database or no directory: an error, and nothing left behind", .disabled(if: onPostgres, sqliteOnly))
    func missingSourceOrDirectory() async throws {
        let target = Self.freshPath()
        defer { Self.remove(target) }
        let nowhere = Self.freshPath("missing.sqlite")
        #expect(throws: SQLiteBackup.Failure.noDatabase(nowhere)) { try SQLiteBackup.copy(database: nowhere, to: target) }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: nowhere))

        try await TestApp.run { t in
            let database = try Self.sqlitePath(t)
            let inMissingDirectory = Self.freshPath("no-such-dir") + "/backup.sqlite"
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.copy(database: database, to: inMissingDirectory) }
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.copy(database: database, to: "") }
        }
    }

    @Test("PostgreSQL and a private in-memory database are refused with a pointer to what to do")
    func otherStorageRefused() async throws {
        let target = Self.freshPath()
        defer { Self.remove(target) }
        do {
            _ = try await BackupCommand.backup(storage: .postgres(url: "postgres://u@127.0.0.1:5432/db", searchPath: nil), to: target)
            Issue.record("a PostgreSQL DATABASE_URL was backed up")
        } catch let failure as CLIFailure {
            #expect(failure.description.contains("pg_dump"))
        }
        do {
            _ = try await BackupCommand.backup(storage: .sqliteMemory, to: target)
            Issue.record("an in-memory database was backed up")
        } catch let failure as CLIFailure {
            #expect(failure.description.contains("nothing to back up"))
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
