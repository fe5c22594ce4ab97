import Foundation
import VaporCSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `portico backup PATH` on the embedded default: a consistent copy of the SQLite
/// database, safe while servers and workers write to it.
///
/// The copy is SQLite's `VACUUM INTO`, run from a connection of its own: it reads the
/// database inside one read transaction (in WAL mode writers keep going beside it, the
/// copy sees exactly the commits made before it began) and writes a compact database
/// file. The target is claimed first with `O_CREAT | O_EXCL` (never an existing file,
/// never overwritten, no race with another process creating it), bound to the statement
/// as a parameter (any character in the path is safe), written with the journal in
/// rollback mode (the copy is one self-contained file), synced to disk, and checked with
/// `PRAGMA quick_check` before it is reported.
public enum SQLiteBackup {
    /// A finished copy: its absolute path and its size on disk.
    public struct Copy: Sendable, Equatable {
        public let path: String
        public let bytes: Int64
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case targetExists(String)
        case targetDirectoryMissing(String)
        case noDatabase(String)
        case failed(String)

        public var description: String {
            switch self {
            case .targetExists(let path): "\(path) already exists; portico backup never overwrites a file, give a new path"
            case .targetDirectoryMissing(let dir): "the directory \(dir) does not exist"
            case .noDatabase(let path): "no SQLite database at \(path)"
            case .failed(let message): "backup failed: \(message)"
            }
        }
    }

    /// Copies the database at `database` to the new file `target` (relative paths are
    /// taken from the current directory). Blocks until the copy is on disk.
    public static func copy(database: String, to target: String) throws -> Copy {
        guard !target.isEmpty else { throw Failure.failed("the backup path is empty") }
        let source = absolute(database)
        let destination = absolute(target)

        var sourceInfo = stat()
        guard stat(source, &sourceInfo) == 0, (sourceInfo.st_mode & S_IFMT) == S_IFREG else {
            throw Failure.noDatabase(source)
        }
        let directory = (destination as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure.targetDirectoryMissing(directory)
        }

        // Claim the path: fails on anything already there (a file, a directory, a
        // symbolic link, dangling or not). Owner-only: the copy holds every hash and setting.
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw Failure.targetExists(destination) }
            throw Failure.failed("cannot create \(destination): \(String(cString: strerror(code)))")
        }
        close(fd)

        do {
            try vacuumInto(source: source, destination: destination)
            try check(destination)
            try sync(destination)
            try sync(directory)
        } catch {
            // Nothing half-written stays behind under the name the operator gave.
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(destination + suffix) }
            throw error
        }
        var info = stat()
        guard stat(destination, &info) == 0 else { throw Failure.failed("the copy at \(destination) disappeared") }
        return Copy(path: destination, bytes: Int64(info.st_size))
    }

    /// `copy(database:to:)` off the caller's thread (the copy blocks for as long as it
    /// takes to read the whole database).
    public static func copyInBackground(database: String, to target: String) async throws -> Copy {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try copy(database: database, to: target) })
            }
        }
    }

    // MARK: - Steps

    private static func vacuumInto(source: String, destination: String) throws {
        let connection: SQLiteHandle
        do {
            connection = try SQLiteHandle(path: source, busyTimeout: 30_000)
        } catch let failure as SQLiteFailure {
            throw Failure.failed("cannot open \(source): \(failure.message)")
        }
        do {
            // The path is a bound value, never spliced into the SQL (SQLite ≥ 3.27).
            try connection.query("VACUUM INTO ?", [.text(destination)])
        } catch let failure as SQLiteFailure {
            throw Failure.failed(failure.message)
        }
    }

    /// Opens the copy on a fresh connection: rollback journal (a single file, whatever
    /// the source's mode), then `quick_check` must answer `ok`.
    private static func check(_ path: String) throws {
        let connection: SQLiteHandle
        do {
            connection = try SQLiteHandle(path: path)
        } catch let failure as SQLiteFailure {
            throw Failure.failed("cannot open the copy: \(failure.message)")
        }
        do {
            try connection.query("PRAGMA journal_mode=DELETE") { _ in }
            var results: [String] = []
            try connection.query("PRAGMA quick_check") { row in
                results.append(row.string("quick_check") ?? "")
            }
            guard results == ["ok"] else {
                throw Failure.failed("the copy does not pass quick_check: \(results.prefix(3).joined(separator: "; "))")
            }
        } catch let failure as SQLiteFailure {
            throw Failure.failed("checking the copy: \(failure.message)")
        }
    }

    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure.failed("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure.failed("cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    private static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
        return url.standardizedFileURL.path
    }
}
