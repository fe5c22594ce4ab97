import FluentKit
import Foundation

/// API keys and admins: the credentials of an organization.
public enum Credentials {
    // MARK: API keys

    /// Creates a key; the returned string is the only time the key exists in clear.
    public static func createAPIKey(
        org: Organization, name: String, createdBy: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> (key: String, record: APIKey) {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 100 else { throw PorticoError.invalid("key name must be at most 100 characters") }
        let key = Secrets.hex(byteCount: 16)
        let record = APIKey(orgID: try org.requireID(), name: trimmed.isEmpty ? "API key" : trimmed, key: key, createdBy: createdBy, now: now)
        try await store.write { db in
            try await record.create(on: db)
            try await Audit.record(orgID: record.orgID, actor: createdBy, action: "apikey.create", target: record.prefix, at: now, ip: ip, on: db)
        }
        return (key, record)
    }

    public static func apiKeys(org: Organization, on db: any Database) async throws -> [APIKey] {
        try await APIKey.query(on: db).filter(\.$orgID == org.requireID()).sort(\.$createdAt).all()
    }

    /// Revokes the org's key with this prefix; unknown or ambiguous prefixes are refused.
    public static func revokeAPIKey(
        org: Organization, prefix: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> APIKey {
        try await store.write { db in
            let matches = try await APIKey.query(on: db)
                .filter(\.$orgID == org.requireID()).filter(\.$prefix == prefix).filter(\.$revokedAt == nil).all()
            guard let key = matches.first else { throw PorticoError.notFound("no active API key with prefix '\(prefix)' in '\(org.slug)'") }
            guard matches.count == 1 else { throw PorticoError.conflict("prefix '\(prefix)' names \(matches.count) keys") }
            key.revokedAt = now
            try await key.save(on: db)
            try await Audit.record(orgID: key.orgID, actor: actor, action: "apikey.revoke", target: prefix, at: now, ip: ip, on: db)
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

    /// An admin's email: plausible and printable ASCII only, so that a look-alike
    /// (`ａdmin@…`, full-width) cannot pass for another admin in the audit log.
    public static func isPlausibleAdminEmail(_ email: String) -> Bool {
        isPlausibleEmail(email) && email.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// Creates an admin. `passwordHash` is computed by the caller (bcrypt lives with Vapor).
    /// With `grantedBy` (the admin acting in the admin area), only permissions that admin
    /// holds may be given.
    public static func createAdmin(
        org: Organization, email: String, passwordHash: String, permissions: [Admin.Permission]?,
        actor: String, grantedBy actingAdminID: UUID? = nil, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Admin {
        guard isPlausibleAdminEmail(email) else { throw PorticoError.invalid("'\(LogText.escaped(email))' is not an email address (ASCII only)") }
        do {
            return try await store.write { db in
                guard try await Admin.find(email: email, on: db) == nil else {
                    throw PorticoError.conflict("an admin with email '\(email.lowercased())' already exists")
                }
                let granted = permissions ?? Admin.Permission.allCases
                if let actingAdminID { try await checkGrantable(granted, previously: [], by: actingAdminID, on: db) }
                let admin = Admin(
                    orgID: try org.requireID(), email: email, passwordHash: passwordHash, permissions: granted, now: now
                )
                try await admin.create(on: db)
                try await Audit.record(orgID: admin.orgID, actor: actor, action: "admin.create", target: admin.email, at: now, ip: ip, on: db)
                return admin
            }
        } catch where (error as? any DatabaseError)?.isConstraintFailure == true && StoreFailure.kind(of: error) == nil {
            // Two creates of one email at once: the unique index turned the second away.
            throw PorticoError.conflict("an admin with email '\(email.lowercased())' already exists")
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

// MARK: - Admins in the admin area (SPEC §8): list, permissions, removal, passwords

extension Credentials {
    /// New admin passwords: at least this many characters...
    public static let minimumPasswordLength = 12
    /// ...and at most this many bytes: bcrypt ignores what comes after the 72nd.
    public static let maximumPasswordBytes = 72

    /// What is wrong with `password` as a new admin password, or nil when it will do.
    public static func passwordProblem(_ password: String) -> String? {
        if password.count < minimumPasswordLength { return "Use at least \(minimumPasswordLength) characters." }
        if password.utf8.count > maximumPasswordBytes { return "Use at most \(maximumPasswordBytes) bytes (bcrypt ignores the rest)." }
        if password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "Use no control characters (tab, line break, NUL)."
        }
        return nil
    }

    /// The admins of `org` itself (not of its descendants), by email.
    public static func admins(org: Organization, on db: any Database) async throws -> [Admin] {
        try await Admin.query(on: db).filter(\.$orgID == org.requireID()).sort(\.$email).all()
    }

    /// The admin with this id, if it is an admin of `org` (another org's admin is nil).
    public static func admin(id: UUID, in org: Organization, on db: any Database) async throws -> Admin? {
        try await Admin.query(on: db).filter(\.$id == id).filter(\.$orgID == org.requireID()).first()
    }

    /// Replaces the permissions of `org`'s admin `adminID`. In the admin area
    /// (`actingAdminID` set) the acting admin may grant only permissions they hold and
    /// cannot give up their own `manage_org`; and never may the last admin holding
    /// `manage_org` in an org lose it. Checked in the write transaction, with the org
    /// locked, so two concurrent changes cannot both take the last one away.
    public static func setPermissions(
        adminID: UUID, in org: Organization, permissions: [Admin.Permission], by actingAdminID: UUID?,
        actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Admin {
        let orgID = try org.requireID()
        let engine = store.engine
        return try await store.write { db in
            try await lockAdmins(of: orgID, engine: engine, on: db)
            guard let admin = try await Admin.query(on: db).filter(\.$id == adminID).filter(\.$orgID == orgID).first() else {
                throw PorticoError.notFound("no such admin in '\(org.slug)'")
            }
            let keepsManageOrg = permissions.contains(.manageOrg)
            if let actingAdminID {
                if !keepsManageOrg, adminID == actingAdminID, admin.permissions.contains(Admin.Permission.manageOrg.rawValue) {
                    throw PorticoError.conflict("You cannot take away your own manage_org permission.")
                }
                try await checkGrantable(permissions, previously: admin.permissions, by: actingAdminID, on: db)
            }
            if !keepsManageOrg { try await checkNotLastManager(admin, orgSlug: org.slug, on: db) }
            var unique: [Admin.Permission] = []
            for permission in Admin.Permission.allCases where permissions.contains(permission) { unique.append(permission) }
            admin.permissions = unique.map(\.rawValue)
            admin.updatedAt = now
            try await admin.save(on: db)
            try await Audit.record(orgID: orgID, actor: actor, action: "admin.permissions", target: admin.email, at: now, ip: ip, on: db)
            return admin
        }
    }

    /// Removes `org`'s admin `adminID`: their sessions end and their SSO API access
    /// tokens go with them. An admin cannot remove themselves, nor anyone the last admin
    /// holding `manage_org` in the org (checked as `setPermissions` does).
    @discardableResult
    public static func removeAdmin(
        adminID: UUID, in org: Organization, by actingAdminID: UUID?, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Admin {
        let orgID = try org.requireID()
        let engine = store.engine
        return try await store.write { db in
            try await lockAdmins(of: orgID, engine: engine, on: db)
            guard let admin = try await Admin.query(on: db).filter(\.$id == adminID).filter(\.$orgID == orgID).first() else {
                throw PorticoError.notFound("no such admin in '\(org.slug)'")
            }
            if adminID == actingAdminID { throw PorticoError.conflict("You cannot remove yourself.") }
            try await checkNotLastManager(admin, orgSlug: org.slug, on: db)
            let sql = db.sql
            try await sql.raw("DELETE FROM sessions WHERE admin_id = \(bind: adminID)").run()
            try await sql.raw("DELETE FROM admin_access_tokens WHERE admin_id = \(bind: adminID)").run()
            try await admin.delete(on: db)
            try await Audit.record(orgID: orgID, actor: actor, action: "admin.remove", target: admin.email, at: now, ip: ip, on: db)
            return admin
        }
    }

    /// Sets the admin's own new password and ends every other session of theirs (the
    /// one they changed it in goes on). Returns how many sessions ended.
    @discardableResult
    public static func changePassword(
        adminID: UUID, passwordHash: String, keepingSession sessionID: UUID, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Int {
        try await store.write { db in
            guard let admin = try await Admin.find(adminID, on: db) else { throw PorticoError.notFound("no such admin") }
            admin.passwordHash = passwordHash
            admin.updatedAt = now
            try await admin.save(on: db)
            let ended = try await db.sql.raw("""
                DELETE FROM sessions WHERE admin_id = \(bind: adminID) AND id <> \(bind: sessionID) RETURNING id
                """).all().count
            try await Audit.record(orgID: admin.orgID, actor: "admin:" + admin.email, action: "admin.password", target: admin.email, at: now, ip: ip, on: db)
            return ended
        }
    }

    /// Serializes changes to an org's admins: SQLite has one writer already; on
    /// PostgreSQL the org's row is locked until the transaction ends.
    private static func lockAdmins(of orgID: UUID, engine: DatabaseEngine, on db: any Database) async throws {
        guard engine == .postgres else { return }
        try await db.sql.raw("SELECT id FROM organizations WHERE id = \(bind: orgID) FOR UPDATE").run()
    }

    /// Refuses when `admin` holds `manage_org` and no other admin of their org does.
    private static func checkNotLastManager(_ admin: Admin, orgSlug: String, on db: any Database) async throws {
        let manageOrg = Admin.Permission.manageOrg.rawValue
        guard admin.permissions.contains(manageOrg) else { return }
        let others = try await Admin.query(on: db).filter(\.$orgID == admin.orgID).filter(\.$id != admin.requireID()).all()
        guard others.contains(where: { $0.permissions.contains(manageOrg) }) else {
            throw PorticoError.conflict("\(admin.email) is the last admin with manage_org in '\(orgSlug)'; give it to another admin first.")
        }
    }

    /// Refuses permissions the acting admin would add without holding them.
    private static func checkGrantable(_ permissions: [Admin.Permission], previously: [String], by actingAdminID: UUID, on db: any Database) async throws {
        let held = Set(try await Admin.find(actingAdminID, on: db)?.permissions ?? [])
        let added = permissions.map(\.rawValue).filter { !previously.contains($0) && !held.contains($0) }
        guard added.isEmpty else {
            throw PorticoError.invalid("You can grant only permissions you hold yourself (not \(added.joined(separator: ", "))).")
        }
    }
}

extension Credentials {
    /// How many live (unrevoked, unexpired) SSO API access tokens each of these admins holds.
    public static func liveAccessTokenCounts(adminIDs: [UUID], now: Date, on db: any Database) async throws -> [UUID: Int] {
        guard !adminIDs.isEmpty else { return [:] }
        let tokens = try await AdminAccessToken.query(on: db)
            .filter(\.$adminID ~~ adminIDs).filter(\.$revokedAt == nil).filter(\.$expiresAt > now).all()
        return tokens.reduce(into: [:]) { $0[$1.adminID, default: 0] += 1 }
    }
}
