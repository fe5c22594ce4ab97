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
        /// The OpenID Connect lists and the public flag (`clientProblem`).
        case redirectURIs = "redirect_uris"
    }

    /// URIs typed one per line (blank lines and surrounding spaces dropped).
    public static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// What is wrong with an app's fields, at most one problem per field, in form order
    /// (empty when they are fine). The rules of `create`; `update` leaves out the slug.
    /// A nil `launchURL` is an app without one (an OpenID Connect client only).
    public static func problems(slug: String?, name: String, launchURL: String?) -> [(field: Field, message: String)] {
        var found: [(field: Field, message: String)] = []
        if let slug, !Organization.isValidSlug(slug) { found.append((.slug, "app slug must match \(Organization.slugPattern)")) }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 200 || trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            found.append((.name, "name must be 1-200 characters, without control characters"))
        }
        if let launchURL, !isValidLaunchURL(launchURL) { found.append((.launchURL, "launch URL must be https (http only for loopback hosts)")) }
        return found
    }

    /// What an app is registered with (SPEC §2 `app create`).
    public struct Registration: Sendable {
        public var slug: String
        public var name: String
        public var launchURL: String?
        public var redirectURIs: [String]
        public var postLogoutRedirectURIs: [String]
        public var isPublic: Bool

        public init(
            slug: String, name: String, launchURL: String?, redirectURIs: [String] = [], postLogoutRedirectURIs: [String] = [],
            isPublic: Bool = false
        ) {
            self.slug = slug
            self.name = name
            self.launchURL = launchURL
            self.redirectURIs = redirectURIs
            self.postLogoutRedirectURIs = postLogoutRedirectURIs
            self.isPublic = isPublic
        }
    }

    /// A new app with its secrets in clear, the only time they exist so: `k` (with a
    /// launch URL) and the client secret (not public, with a redirect URI).
    public struct Registered: Sendable {
        public var app: PartnerApp
        public var key: String?
        public var clientSecret: String?
    }

    /// At most this many redirect URIs, and as many post-logout ones, per app.
    public static let maxRedirectURIs = 20

    /// What is wrong with an app's OpenID Connect lists, given whether it has a launch URL
    /// and is public (nil: nothing).
    public static func clientProblem(launchURL: String?, redirectURIs: [String], postLogoutRedirectURIs: [String], isPublic: Bool) -> String? {
        if launchURL == nil && redirectURIs.isEmpty { return "an app needs a launch URL or a redirect URI" }
        if isPublic && launchURL != nil { return "a public app has no launch URL" }
        if isPublic && redirectURIs.isEmpty { return "a public app needs a redirect URI" }
        if redirectURIs.count > maxRedirectURIs || postLogoutRedirectURIs.count > maxRedirectURIs {
            return "at most \(maxRedirectURIs) redirect URIs and \(maxRedirectURIs) post-logout redirect URIs"
        }
        for uri in redirectURIs + postLogoutRedirectURIs where !OpenIDConnect.isValidRedirectURI(uri) {
            return "redirect URIs must be https (http only on 127.0.0.1, [::1] or localhost), without fragment or userinfo: " + LogText.escaped(uri)
        }
        return nil
    }

    /// Creates an app and returns its secrets (shown once).
    public static func register(
        org: Organization, _ registration: Registration, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Registered {
        if let problem = problems(slug: registration.slug, name: registration.name, launchURL: registration.launchURL).first {
            throw PorticoError.invalid(problem.field == .launchURL ? problem.message + ": " + LogText.escaped(registration.launchURL ?? "") : problem.message)
        }
        if let problem = clientProblem(
            launchURL: registration.launchURL, redirectURIs: registration.redirectURIs,
            postLogoutRedirectURIs: registration.postLogoutRedirectURIs, isPublic: registration.isPublic
        ) {
            throw PorticoError.invalid(problem)
        }
        let key = registration.launchURL == nil ? nil : Secrets.hex(byteCount: 16)
        let secret = registration.isPublic || registration.redirectURIs.isEmpty ? nil : OpenIDConnect.newSecret()
        let app = PartnerApp()
        app.id = UUID()
        app.orgID = try org.requireID()
        app.slug = registration.slug
        app.name = registration.name.trimmingCharacters(in: .whitespacesAndNewlines)
        app.launchURL = registration.launchURL ?? ""
        app.keyHash = key.map(Secrets.sha256Hex) ?? PartnerApp.noKeyHash()
        app.enabled = true
        app.clientID = PartnerApp.newClientID()
        app.clientSecretHash = secret.map(OpenIDConnect.hash)
        app.redirectURIsJSON = OpenIDConnect.encodeList(registration.redirectURIs)
        app.postLogoutRedirectURIsJSON = OpenIDConnect.encodeList(registration.postLogoutRedirectURIs)
        app.isPublic = registration.isPublic
        app.createdAt = now
        app.updatedAt = now
        try await store.write { db in
            guard try await find(org: org, slug: registration.slug, on: db) == nil else {
                throw PorticoError.conflict("'\(org.slug)' already has an app '\(registration.slug)'")
            }
            try await app.create(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.create", target: registration.slug, at: now, ip: ip, on: db)
        }
        return Registered(app: app, key: key, clientSecret: secret)
    }

    /// Creates an app for launch codes only; the returned key `k` is the only time it exists in clear.
    public static func create(
        org: Organization, slug: String, name: String, launchURL: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> (app: PartnerApp, key: String) {
        let registered = try await register(
            org: org, Registration(slug: slug, name: name, launchURL: launchURL), actor: actor, ip: ip, now: now, store: store
        )
        return (registered.app, registered.key ?? "")
    }

    /// Replaces the app's redirect URI lists (nil: keeps that list). A confidential app
    /// that gets its first redirect URI gets its client secret, returned here once.
    public static func updateClient(
        org: Organization, slug: String, redirectURIs: [String]?, postLogoutRedirectURIs: [String]?, actor: String, ip: String? = nil,
        now: Date, store: PorticoStore
    ) async throws -> (app: PartnerApp, clientSecret: String?) {
        let newSecret = OpenIDConnect.newSecret()
        return try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            let redirects = redirectURIs ?? app.redirectURIs
            let postLogout = postLogoutRedirectURIs ?? app.postLogoutRedirectURIs
            if let problem = clientProblem(launchURL: app.launchURLIfAny, redirectURIs: redirects, postLogoutRedirectURIs: postLogout, isPublic: app.isPublic) {
                throw PorticoError.invalid(problem)
            }
            var secret: String?
            if !app.isPublic && app.clientSecretHash == nil && !redirects.isEmpty {
                secret = newSecret
                app.clientSecretHash = OpenIDConnect.hash(newSecret)
            }
            app.redirectURIsJSON = OpenIDConnect.encodeList(redirects)
            app.postLogoutRedirectURIsJSON = OpenIDConnect.encodeList(postLogout)
            app.updatedAt = now
            try await app.save(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.update", target: slug, at: now, ip: ip, on: db)
            return (app, secret)
        }
    }

    /// Gives a confidential client a new secret; the old one stops working at once.
    public static func rotateSecret(
        org: Organization, slug: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> (app: PartnerApp, clientSecret: String) {
        let secret = OpenIDConnect.newSecret()
        let app = try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            guard !app.isPublic, !app.redirectURIs.isEmpty else {
                throw PorticoError.invalid("app '\(slug)' has no client secret: it is public or has no redirect URI")
            }
            app.clientSecretHash = OpenIDConnect.hash(secret)
            app.updatedAt = now
            try await app.save(on: db)
            try await Audit.record(orgID: app.orgID, actor: actor, action: "app.rotate_secret", target: slug, at: now, ip: ip, on: db)
            return app
        }
        return (app, secret)
    }

    /// Changes the app's name and launch URL (the rules of `create`); writes `app.update`
    /// when anything changed. An app without a launch URL (an OpenID Connect client only)
    /// changes its name alone: `launchURL` nil; one with a launch URL keeps one.
    public static func update(
        org: Organization, slug: String, name: String, launchURL: String?, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> PartnerApp {
        if let problem = problems(slug: nil, name: name, launchURL: launchURL).first {
            throw PorticoError.invalid(problem.field == .launchURL ? problem.message + ": " + LogText.escaped(launchURL ?? "") : problem.message)
        }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await store.write { db in
            guard let app = try await find(org: org, slug: slug, on: db) else { throw PorticoError.notFound("'\(org.slug)' has no app '\(slug)'") }
            switch (app.launchURLIfAny, launchURL) {
            case (nil, .some): throw PorticoError.invalid("app '\(slug)' has no launch URL (and no key k); create an app with one to launch members")
            case (.some, nil): throw PorticoError.invalid("app '\(slug)' needs its launch URL")
            default: break
            }
            guard app.name != trimmed || (launchURL != nil && app.launchURL != launchURL) else { return app }
            app.name = trimmed
            if let launchURL { app.launchURL = launchURL }
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
            guard app.launchURLIfAny != nil else { throw PorticoError.invalid("app '\(slug)' has no launch URL, so no key k") }
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
            if !enabled { try await OIDCGrants.endGrants(appID: try app.requireID(), now: now, on: db) }
            try await Audit.record(orgID: app.orgID, actor: actor, action: enabled ? "app.enable" : "app.disable", target: slug, at: now, ip: ip, on: db)
            return app
        }
    }

    /// The enabled apps of the org with a launch URL, which its members can launch.
    public static func launchable(orgID: UUID, on db: any Database) async throws -> [PartnerApp] {
        try await PartnerApp.query(on: db).filter(\.$orgID == orgID).filter(\.$enabled == true).filter(\.$launchURL != "").sort(\.$name).all()
    }

    /// The enabled app `slug` of the org, if it has a launch URL.
    public static func launchable(orgID: UUID, slug: String, on db: any Database) async throws -> PartnerApp? {
        try await PartnerApp.query(on: db).filter(\.$orgID == orgID).filter(\.$slug == slug).filter(\.$enabled == true)
            .filter(\.$launchURL != "").first()
    }

    /// The client with this `client_id` (any org, enabled or not).
    public static func find(clientID: String, on db: any Database) async throws -> PartnerApp? {
        try await PartnerApp.query(on: db).filter(\.$clientID == clientID).first()
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
