import Foundation
import PostgresNIO
import SQLiteNIO

/// Database errors that are not bugs: what they mean for the request, on either engine.
public enum StoreFailure {
    public enum Kind: Sendable, Equatable {
        /// A row this change refers to is gone (a user deleted while a request for them
        /// ran): the request's subject does not exist any more (404/409, never 500).
        case referencedRowGone
        /// PostgreSQL gave up one of two transactions (deadlock, serialization): run the
        /// transaction again.
        case retryable
    }

    public static func kind(of error: any Error) -> Kind? {
        switch error {
        case let e as PSQLError:
            switch e.serverInfo?[.sqlState] {
            case "23503": return .referencedRowGone
            case "40P01", "40001": return .retryable
            default: return nil
            }
        case let e as SQLiteError:
            return e.reason == .constraintForeignKeyFailed ? .referencedRowGone : nil
        case let e as SQLiteFailure:
            return e.message.contains("FOREIGN KEY constraint failed") ? .referencedRowGone : nil
        default:
            return nil
        }
    }

    /// How often a transaction that lost a deadlock is run again.
    static let attempts = 4

    /// Runs `body` again (a few times, with a short random pause) when the database gave
    /// it up for a deadlock or a serialization failure.
    static func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch where attempt < attempts && kind(of: error) == .retryable {
                attempt += 1
                try await Task.sleep(nanoseconds: UInt64.random(in: 1_000_000...20_000_000))
            }
        }
    }
}
