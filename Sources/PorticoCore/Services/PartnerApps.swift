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
        // http only to this machine: `localhost`, or an address literal in 127.0.0.0/8 or
        // ::1 (a name that merely starts with "127." is anyone's host).
        if host == "localhost" { return true }
        let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard let address = IPAddress(literal) else { return false }
        return address.isIPv4 ? address.bytes[0] == 127 : address.bytes == Array(repeating: 0, count: 15) + [1]
    }

    public static func find(org: Organization, slug: String, on db: any Database) async throws -> PartnerApp? {
        try await PartnerApp.query(on: db).filter(\.$orgID == org.requireID()).filter(\.$slug == slug).first()
    }

    /// Every app of the org, by slug (enabled or not).
    public static func all(org: Organization, on db: any Database) async throws -> [PartnerApp] {
        try await PartnerApp.query(on: db).filter(\.$orgID == org.requireID()).sort(\.$slug).all()
    }

    /// A field of an app, to say which one a problem is about.
    public enum Field: String, Sendable, CaseIterable {
        case slug, name
        case launchURL = "launch_url"
    }

    /// What is wrong with an app's fields, at most one problem per field, in form order
    /// (empty when they are fine). The rules of `create`; `update` leaves out the slug.
    public static func problems(slug: String?, name: String, launchURL: String) -> [(field: Field, message: String)] {
        var found: [(field: Field, message: String)] = []
        if let slug, !Organization.isValidSlug(slug) { found.append((.slug, "app slug must match \(Organization.slugPattern)")) }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 200 || trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            found.append((.name, "name must be 1-200 characters, without control characters"))
        }
        if !isValidLaunchURL(launchURL) { found.append((.launchURL, "launch URL must be https (http only for loopback hosts)")) }
        return found
    }

    /// Creates an app; the returned key `k` is the only time it exists in clear.
    public static func create(
        org: Organization, slug: String, name: String, launchURL: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> (app: PartnerApp, key: String) {
        if let problem = problems(slug: slug, name: name, launchURL: launchURL).first {
            throw PorticoError.invalid(problem.field == .launchURL ? problem.message + ": " + LogText.escaped(launchURL) : problem.message)
        }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
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
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.create", target: slug, at: now, ip: ip, on: db)
        }
        return (app, key)
    }

    /// Changes the app's name and launch URL (the rules of `create`); writes `app.update`
    /// when anything changed.
    public static func update(
        org: Organization, slug: String, name: String, launchURL: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> PartnerApp {
        if let problem = problems(slug: nil, name: name, launchURL: launchURL).first {
            throw PorticoError.invalid(problem.field == .launchURL ? problem.message + ": " + LogText.escaped(launchURL) : problem.message)
        }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            guard app.name != trimmed || app.launchURL != launchURL else { return app }
            app.name = trimmed
            app.launchURL = launchURL
            app.updatedAt = now
            try await app.save(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.update", target: slug, at: now, ip: ip, on: db)
            return app
        }
    }

    /// Gives the app a new key `k`; the old one stops working at once.
    public static func rotateKey(
        org: Organization, slug: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> (app: PartnerApp, key: String) {
        let key = Secrets.hex(byteCount: 16)
        let app = try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            app.keyHash = Secrets.sha256Hex(key)
            app.updatedAt = now
            try await app.save(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.rotate_key", target: slug, at: now, ip: ip, on: db)
            return app
        }
        return (app, key)
    }

    public static func setEnabled(
        _ enabled: Bool, org: Organization, slug: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> PartnerApp {
        try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            app.enabled = enabled
            app.updatedAt = now
            try await app.save(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: enabled ? "app.enable" : "app.disable", target: slug, at: now, ip: ip, on: db)
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
