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
