import FluentKit
import Foundation
import SQLKit

/// Partner apps: the sites members are launched out to (SPEC §6).
public enum PartnerApps {
    /// `launch_url` must be https, or http on a loopback host.
    public static func isValidLaunchURL(_ url: String) -> Bool {
        guard SafeText.isCleanURL(url),
              let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              c.percentEncodedUser == nil, c.percentEncodedPassword == nil,
              let host = c.host?.lowercased(), !host.isEmpty, c.fragment == nil
        else { return false }
        if scheme == "https" { return true }
        return host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host == "::1" || host.hasPrefix("127.")
    }

    public static func find(org: Organization, slug: String, on db: any Database) async throws -> PartnerApp? {
        try await PartnerApp.query(on: db).filter(\.$orgID == org.requireID()).filter(\.$slug == slug).first()
    }

    /// Creates an app; the returned key `k` is the only time it exists in clear.
    public static func create(
        org: Organization, slug: String, name: String, launchURL: String, actor: String, now: Date, store: PorticoStore
    ) async throws -> (app: PartnerApp, key: String) {
        guard Organization.isValidSlug(slug) else { throw PorticoError.invalid("app slug must match \(Organization.slugPattern)") }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else { throw PorticoError.invalid("name must be 1-200 characters") }
        guard isValidLaunchURL(launchURL) else {
            throw PorticoError.invalid("launch URL must be https (http only for loopback hosts): \(LogText.escaped(launchURL))")
        }
        let key = Secrets.hex(byteCount: 16)
        let app = PartnerApp()
        app.id = UUID()
        app.orgID = try org.requireID()
        app.slug = slug
        app.name = trimmed
        app.launchURL = launchURL
        app.keyHash = Secrets.sha256Hex(key)
        app.enabled = true
        app.createdAt = now
        app.updatedAt = now
        try await store.write { db in
            guard try await find(org: org, slug: slug, on: db) == nil else {
                throw PorticoError.conflict("'\(org.slug)' already has an app '\(slug)'")
            }
            try await app.create(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.create", target: slug, at: now, ip: nil, on: db)
        }
        return (app, key)
    }

    /// Gives the app a new key `k`; the old one stops working at once.
    public static func rotateKey(org: Organization, slug: String, actor: String, now: Date, store: PorticoStore) async throws -> (app: PartnerApp, key: String) {
        let key = Secrets.hex(byteCount: 16)
        let app = try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            app.keyHash = Secrets.sha256Hex(key)
            app.updatedAt = now
            try await app.save(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.rotate_key", target: slug, at: now, ip: nil, on: db)
            return app
        }
        return (app, key)
    }

    public static func setEnabled(_ enabled: Bool, org: Organization, slug: String, actor: String, now: Date, store: PorticoStore) async throws -> PartnerApp {
        try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            app.enabled = enabled
            app.updatedAt = now
            try await app.save(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: enabled ? "app.enable" : "app.disable", target: slug, at: now, ip: nil, on: db)
            return app
        }
    }

    /// The enabled apps of the org, which its members can launch.
    public static func launchable(orgID: UUID, on db: any Database) async throws -> [PartnerApp] {
        try await PartnerApp.query(on: db).filter(\.$orgID == orgID).filter(\.$enabled == true).sort(\.$name).all()
    }

    /// The enabled app `slug` of the org.
    public static func launchable(orgID: UUID, slug: String, on db: any Database) async throws -> PartnerApp? {
        try await PartnerApp.query(on: db).filter(\.$orgID == orgID).filter(\.$slug == slug).filter(\.$enabled == true).first()
    }

    /// `launch_url` with `t=<code>` added to the query it already has.
    public static func launchURL(_ base: String, code: String) -> String {
        guard var c = URLComponents(string: base) else { return base }
        var items = c.queryItems ?? []
        items.append(URLQueryItem(name: "t", value: code))
        c.queryItems = items
        return c.string ?? base
    }
}
