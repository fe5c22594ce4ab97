import FluentKit
import Foundation

/// Verifies a password against a stored hash, away from the database's threads. The
/// live one (bcrypt on a small pool of its own) throws `PasswordCheckBusy` at once
/// when its queue is full; tests may pass a cheaper one.
public protocol PasswordVerifier: Sendable {
    /// With `hash` nil (no such admin), verifies against a decoy hash of the same cost,
    /// so a miss costs what a hit costs, and answers false.
    func verify(_ password: String, hash: String?) async throws -> Bool
}

/// Too many password checks are queued: answer 429/503 now rather than wait (SPEC §9).
public struct PasswordCheckBusy: Error, Sendable {
    public init() {}
}

/// The one admin credential check, used by the admin sign-in page and by the SSO API's
/// Authenticate: throttle per account and per address (counted before verifying),
/// bcrypt even for an unknown email (same cost, so timing does not tell which emails
/// exist), one answer for every kind of wrong credentials.
public enum AdminCredentials {
    public enum Outcome: Sendable {
        case verified(Admin)
        case wrong
        case throttled(retryAfter: Int)
    }

    /// The throttle keys of one attempt: the account (first) and the client address.
    public static func throttleKeys(email: String, ip: String?) -> [String] {
        ["account:" + email, "ip:" + (ip ?? "unknown")]
    }

    /// `email` as typed (trimmed and lowercased here). Throws `PasswordCheckBusy` when
    /// the verifier's queue is full; the attempt is then not counted as a failure.
    public static func check(
        email rawEmail: String, password: String, ip: String?, now: Date,
        throttle: LoginThrottle, verifier: any PasswordVerifier, on db: any Database
    ) async throws -> Outcome {
        let email = normalizedEmail(rawEmail)
        let keys = throttleKeys(email: email, ip: ip)
        let attempt: LoginThrottle.Attempt
        switch try await throttle.begin(keys, now: now) {
        case .refused(let wait): return .throttled(retryAfter: wait)
        case .allowed(let reserved): attempt = reserved
        }
        let admin: Admin?
        let verified: Bool
        do {
            admin = email.isEmpty ? nil : try await Admin.find(email: email, on: db)
            verified = try await verifier.verify(password, hash: admin?.passwordHash)
        } catch {
            // Busy, or the database failed: the attempt was never checked.
            try? await throttle.cancel(attempt)
            throw error
        }
        let succeeded = admin != nil && verified && !password.isEmpty
        try await throttle.finish(attempt, account: keys[0], succeeded: succeeded, now: now)
        guard let admin, succeeded else { return .wrong }
        return .verified(admin)
    }

    public static func normalizedEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespaces).lowercased()
    }
}
