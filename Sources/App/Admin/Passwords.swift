import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PorticoCore
import Vapor

/// Admin passwords, hashed with bcrypt.
enum Passwords {
    static let cost = 12

    static func hash(_ password: String) throws -> String {
        try Bcrypt.hash(password, cost: cost)
    }

    /// A hash to verify against when there is no admin, so a miss costs what a hit costs.
    static let decoyHash: String = (try? Bcrypt.hash(Secrets.hex(), cost: cost)) ?? ""

    static func verify(_ password: String, hash: String) -> Bool {
        (try? Bcrypt.verify(password, created: hash)) ?? false
    }
}

/// bcrypt for sign-ins on a thread pool of its own (SPEC §9): never `app.threadPool`,
/// which SQLite's queries use, so a burst of unauthenticated logins cannot starve the
/// database. At most `threads + queueLimit` checks are admitted at once; the next one
/// fails at once with `PasswordCheckBusy` (answered 429/503) instead of queueing.
final class BcryptVerifier: PasswordVerifier {
    private let pool: NIOThreadPool
    private let admitted = NIOLockedValueBox(0)
    let capacity: Int

    init(threads: Int = 2, queueLimit: Int = 16) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        capacity = threads + queueLimit
    }

    func verify(_ password: String, hash: String?) async throws -> Bool {
        let admittedNow = admitted.withLockedValue { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admittedNow else { throw PasswordCheckBusy() }
        defer { admitted.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive {
            guard let hash else {
                _ = Passwords.verify(password, hash: Passwords.decoyHash)
                return false
            }
            return Passwords.verify(password, hash: hash)
        }
    }

    /// Hashes a new admin password (admin area) on the same pool and with the same
    /// admission as `verify`: never on an event loop or `app.threadPool`; throws
    /// `PasswordCheckBusy` at once when the queue is full.
    func hash(_ password: String) async throws -> String {
        let admittedNow = admitted.withLockedValue { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admittedNow else { throw PasswordCheckBusy() }
        defer { admitted.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive { try Passwords.hash(password) }
    }

    /// Checks admitted and not yet finished (for tests and metrics).
    var inFlight: Int { admitted.withLockedValue { $0 } }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
