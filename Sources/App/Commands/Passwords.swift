import Vapor

/// Admin passwords, hashed with bcrypt.
enum Passwords {
    static let cost = 12

    static func hash(_ password: String) throws -> String {
        try Bcrypt.hash(password, cost: cost)
    }

    static func verify(_ password: String, hash: String) -> Bool {
        (try? Bcrypt.verify(password, created: hash)) ?? false
    }
}
