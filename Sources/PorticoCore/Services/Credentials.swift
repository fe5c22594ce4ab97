import FluentKit
import Foundation

/// API keys and admins: the credentials of an organization.
public enum Credentials {
    // MARK: API keys

    /// Creates a key; the returned string is the only time the key exists in clear.
    public static func createAPIKey(
        org: Organization, name: String, createdBy: String, now: Date, store: PorticoStore
    ) async throws -> (key: String, record: APIKey) {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 100 else { throw PorticoError.invalid("key name must be at most 100 characters") }
        let key = Secrets.hex(byteCount: 16)
        let record = APIKey(orgID: try org.requireID(), name: trimmed.isEmpty ? "API key" : trimmed, key: key, createdBy: createdBy, now: now)
        try await store.write { db in
            try await record.create(on: db)
            try await Audit.record(orgID: record.orgID, actor: createdBy, action: "apikey.create", target: record.prefix, at: now, ip: nil, on: db)
        }
        return (key, record)
    }

    public static func apiKeys(org: Organization, on db: any Database) async throws -> [APIKey] {
        try await APIKey.query(on: db).filter(\.$orgID == org.requireID()).sort(\.$createdAt).all()
    }

    /// Revokes the org's key with this prefix; unknown or ambiguous prefixes are refused.
    public static func revokeAPIKey(org: Organization, prefix: String, actor: String, now: Date, store: PorticoStore) async throws -> APIKey {
        try await store.write { db in
            let matches = try await APIKey.query(on: db)
                .filter(\.$orgID == org.requireID()).filter(\.$prefix == prefix).filter(\.$revokedAt == nil).all()
            guard let key = matches.first else { throw PorticoError.notFound("no active API key with prefix '\(prefix)' in '\(org.slug)'") }
            guard matches.count == 1 else { throw PorticoError.conflict("prefix '\(prefix)' names \(matches.count) keys") }
            key.revokedAt = now
            try await key.save(on: db)
            try await Audit.record(orgID: key.orgID, actor: actor, action: "apikey.revoke", target: prefix, at: now, ip: nil, on: db)
            return key
        }
    }

    // MARK: Admins

    public static func parsePermissions(_ list: String) throws -> [Admin.Permission] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try names.map { name in
            guard let permission = Admin.Permission(rawValue: name) else {
                let known = Admin.Permission.allCases.map(\.rawValue).joined(separator: ", ")
                throw PorticoError.invalid("unknown permission '\(name)' (known: \(known))")
            }
            return permission
        }
    }

    public static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return email.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !email.contains(where: { $0.isWhitespace || $0.isNewline })
    }

    /// Creates an admin. `passwordHash` is computed by the caller (bcrypt lives with Vapor).
    public static func createAdmin(
        org: Organization, email: String, passwordHash: String, permissions: [Admin.Permission]?,
        actor: String, now: Date, store: PorticoStore
    ) async throws -> Admin {
        guard isPlausibleEmail(email) else { throw PorticoError.invalid("'\(email)' is not an email address") }
        return try await store.write { db in
            guard try await Admin.find(email: email, on: db) == nil else {
                throw PorticoError.conflict("an admin with email '\(email.lowercased())' already exists")
            }
            let admin = Admin(
                orgID: try org.requireID(), email: email, passwordHash: passwordHash,
                permissions: permissions ?? Admin.Permission.allCases, now: now
            )
            try await admin.create(on: db)
            try await Audit.record(orgID: admin.orgID, actor: actor, action: "admin.create", target: admin.email, at: now, ip: nil, on: db)
            return admin
        }
    }

    public static func updateAdmin(
        email: String, passwordHash: String?, permissions: [Admin.Permission]?, actor: String, now: Date, store: PorticoStore
    ) async throws -> Admin {
        try await store.write { db in
            guard let admin = try await Admin.find(email: email, on: db) else {
                throw PorticoError.notFound("no admin with email '\(email.lowercased())'")
            }
            if let passwordHash { admin.passwordHash = passwordHash }
            if let permissions { admin.permissions = permissions.map(\.rawValue) }
            admin.updatedAt = now
            try await admin.save(on: db)
            try await Audit.record(orgID: admin.orgID, actor: actor, action: "admin.update", target: admin.email, at: now, ip: nil, on: db)
            return admin
        }
    }
}
