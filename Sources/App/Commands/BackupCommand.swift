import ArgumentParser
import Foundation
import PorticoCore

/// `portico backup PATH`: a consistent copy of the SQLite database, safe while servers
/// and workers run (`SQLiteBackup`). PostgreSQL is backed up with its own tools.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the SQLite database to a new file (safe while the server runs)."
    )

    @Argument(help: "Where to write the copy: a new file (an existing one is never overwritten).")
    var path: String
    @Flag(help: "Print one JSON object.") var json = false

    struct BackupJSON: Encodable {
        var path: String
        var bytes: Int64
    }

    func run() async throws {
        try await reportingFailures {
            let copy = try await Self.backup(storage: try environmentConfig().storage, to: path)
            if json { try Output.json(BackupJSON(path: copy.path, bytes: copy.bytes)) } else {
                Output.line("backed up to \(copy.path) (\(copy.bytes) bytes)")
            }
        }
    }

    /// The copy for the configured storage; anything but an SQLite file is a `CLIFailure`.
    static func backup(storage: PorticoConfig.Storage, to path: String) async throws -> SQLiteBackup.Copy {
        switch storage {
        case .postgres:
            throw CLIFailure(
                "portico backup copies the embedded SQLite database; DATABASE_URL is PostgreSQL: use pg_dump "
                    + "(e.g. pg_dump --format=custom --file=portico.dump \"$DATABASE_URL\") and pg_restore"
            )
        case .sqliteMemory:
            throw CLIFailure("DATABASE_URL=sqlite::memory: is a private database of each process: there is nothing to back up")
        case .sqliteFile(let database):
            do {
                return try await SQLiteBackup.copyInBackground(database: database, to: path)
            } catch let failure as SQLiteBackup.Failure {
                throw CLIFailure(failure.description)
            }
        }
    }
}
