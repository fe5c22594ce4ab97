import FluentKit
import Foundation
import SQLKit

/// Creating and changing organizations and walking their tree.
public enum Organizations {
    public struct Settings: Sendable {
        public var name: String?
        public var anonymousUsersEnabled: Bool?
        public var allowedReturnHosts: [String]?
        public var landingURL: String??
        public var invalidTokenURL: String??
        public var expiredTokenURL: String??
        public var loginURL: String??
        public var ssoTokenTTL: Int?
        public var ssoTokenSingleUse: Bool?
        public var ssoAPITokenTTL: Int?

        public init(
            name: String? = nil, anonymousUsersEnabled: Bool? = nil, allowedReturnHosts: [String]? = nil,
            landingURL: String?? = nil, invalidTokenURL: String?? = nil, expiredTokenURL: String?? = nil, loginURL: String?? = nil,
            ssoTokenTTL: Int? = nil, ssoTokenSingleUse: Bool? = nil, ssoAPITokenTTL: Int? = nil
        ) {
            self.name = name
            self.anonymousUsersEnabled = anonymousUsersEnabled
            self.allowedReturnHosts = allowedReturnHosts
            self.landingURL = landingURL
            self.invalidTokenURL = invalidTokenURL
            self.expiredTokenURL = expiredTokenURL
            self.loginURL = loginURL
            self.ssoTokenTTL = ssoTokenTTL
            self.ssoTokenSingleUse = ssoTokenSingleUse
            self.ssoAPITokenTTL = ssoAPITokenTTL
        }
    }

    public static func find(slug: String, on db: any Database) async throws -> Organization? {
        try await Organization.query(on: db).filter(\.$slug == slug).first()
    }

    /// Creates an org (with its event counter) under `parentSlug`, if given.
    public static func create(
        slug: String, name: String, parentSlug: String?, settings: Settings, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Organization {
        let problems = createErrors(slug: slug, name: name)
        if let problem = problems[.slug] ?? problems[.name] { throw PorticoError.invalid(problem) }
        let trimmedName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await store.write { db in
            guard try await find(slug: slug, on: db) == nil else {
                throw PorticoError.conflict("an organization with slug '\(slug)' already exists")
            }
            var parentID: UUID?
            if let parentSlug {
                guard let parent = try await find(slug: parentSlug, on: db) else {
                    throw PorticoError.notFound("no organization with slug '\(parentSlug)'")
                }
                parentID = parent.id
            }
            let org = Organization(slug: slug, name: trimmedName, parentID: parentID, now: now)
            try apply(settings, to: org)
            try await org.create(on: db)
            try await EventCounter(orgID: org.id!).create(on: db)
            try await Audit.record(orgID: org.id, actor: actor, action: "org.create", target: slug, at: now, ip: ip, on: db)
            return org
        }
    }

    public static func update(slug: String, settings: Settings, actor: String, ip: String? = nil, now: Date, store: PorticoStore) async throws -> Organization {
        try await store.write { db in
            guard let org = try await find(slug: slug, on: db) else {
                throw PorticoError.notFound("no organization with slug '\(slug)'")
            }
            if let problem = try await loginURLProblem(settings, for: org, on: db) { throw PorticoError.invalid(problem) }
            try apply(settings, to: org)
            org.updatedAt = now
            try await org.save(on: db)
            try await Audit.record(orgID: org.id, actor: actor, action: "org.update", target: slug, at: now, ip: ip, on: db)
            return org
        }
    }

    /// What is wrong with the login URL that `settings` leave `org` with (nil: nothing, or
    /// neither the URL nor the hosts change): where members are sent to sign in must be a
    /// host the org trusts, one of its allowed return hosts as `settings` leave them or an
    /// ancestor's (SPEC §10). A URL `apply` refuses is left to `apply` to report.
    public static func loginURLProblem(_ settings: Settings, for org: Organization, on db: any Database) async throws -> String? {
        guard settings.loginURL != nil || settings.allowedReturnHosts != nil else { return nil }
        let scratch = Organization()
        scratch.allowedReturnHosts = org.allowedReturnHosts
        scratch.loginURL = org.loginURL
        guard (try? apply(Settings(allowedReturnHosts: settings.allowedReturnHosts, loginURL: settings.loginURL), to: scratch)) != nil,
              let loginURL = scratch.loginURL
        else { return nil }
        let ancestors = try await lineage(of: org.requireID(), on: db).dropFirst()
        guard ReturnHosts.allowedURL(loginURL, entries: scratch.allowedReturnHosts + ancestors.flatMap(\.allowedReturnHosts)) == nil else { return nil }
        return "login URL's host must be an allowed return host of the organization or an ancestor: \(LogText.escaped(loginURL))"
    }

    /// The fields of a form about an organization, to say which one is wrong.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case slug, name
        case anonymousUsers = "anonymous_users"
        case allowedReturnHosts = "allowed_return_hosts"
        case landingURL = "landing_url"
        case invalidTokenURL = "invalid_token_url"
        case expiredTokenURL = "expired_token_url"
        case loginURL = "login_url"
        case ssoTokenTTL = "sso_token_ttl"
        case ssoTokenSingleUse = "sso_token_single_use"
        case ssoAPITokenTTL = "sso_api_token_ttl"
    }

    /// What `create` refuses in a slug and a name before it looks at the database.
    public static func createErrors(slug: String, name: String) -> [Field: String] {
        var errors: [Field: String] = [:]
        if !Organization.isValidSlug(slug) { errors[.slug] = "slug must match \(Organization.slugPattern)" }
        let trimmedName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedName.isEmpty || trimmedName.count > 200 { errors[.name] = "name must be 1-200 characters" }
        return errors
    }

    /// Every field of `settings` that `apply` refuses, with its message: `apply`'s own
    /// rules, run one field at a time on a scratch organization.
    public static func settingsErrors(_ settings: Settings) -> [Field: String] {
        let single: [(Field, Settings)] = [
            (.anonymousUsers, .init(anonymousUsersEnabled: settings.anonymousUsersEnabled)),
            (.allowedReturnHosts, .init(allowedReturnHosts: settings.allowedReturnHosts)),
            (.landingURL, .init(landingURL: settings.landingURL)),
            (.invalidTokenURL, .init(invalidTokenURL: settings.invalidTokenURL)),
            (.expiredTokenURL, .init(expiredTokenURL: settings.expiredTokenURL)),
            (.loginURL, .init(loginURL: settings.loginURL)),
            (.ssoTokenTTL, .init(ssoTokenTTL: settings.ssoTokenTTL)),
            (.ssoTokenSingleUse, .init(ssoTokenSingleUse: settings.ssoTokenSingleUse)),
            (.ssoAPITokenTTL, .init(ssoAPITokenTTL: settings.ssoAPITokenTTL)),
        ]
        var errors: [Field: String] = [:]
        for (field, one) in single {
            do { try apply(one, to: Organization()) } catch { errors[field] = (error as? PorticoError)?.description ?? "is not valid" }
        }
        return errors
    }

    static func apply(_ settings: Settings, to org: Organization) throws {
        if let name = settings.name { org.name = name }
        if let value = settings.anonymousUsersEnabled { org.anonymousUsersEnabled = value }
        if let hosts = settings.allowedReturnHosts {
            org.allowedReturnHosts = try hosts.map { host in
                guard let normalized = ReturnHosts.normalizedEntry(host) else {
                    throw PorticoError.invalid("'\(LogText.escaped(host))' is not a valid return host (a host name, or *.domain)")
                }
                return normalized
            }
        }
        for (value, keyPath, label) in [
            (settings.landingURL, \Organization.landingURL, "landing URL"),
            (settings.invalidTokenURL, \Organization.invalidTokenURL, "invalid token URL"),
            (settings.expiredTokenURL, \Organization.expiredTokenURL, "expired token URL"),
            (settings.loginURL, \Organization.loginURL, "login URL"),
        ] {
            guard let value else { continue }
            if let url = value, !url.isEmpty {
                guard let (safe, _) = ReturnHosts.httpURL(url) else {
                    throw PorticoError.invalid("\(label) must be an http(s) URL without spaces or control characters: \(LogText.escaped(url))")
                }
                if keyPath == \Organization.loginURL,
                   URLComponents(string: safe)?.queryItems?.contains(where: { $0.name == "return_to" }) == true {
                    throw PorticoError.invalid("login URL may not have a return_to parameter: Portico adds it")
                }
                org[keyPath: keyPath] = safe
            } else {
                org[keyPath: keyPath] = nil
            }
        }
        if let ttl = settings.ssoTokenTTL {
            guard (60...2_592_000).contains(ttl) else { throw PorticoError.invalid("SSO token TTL must be 60-2592000 seconds") }
            org.ssoTokenTTL = ttl
        }
        if let ttl = settings.ssoAPITokenTTL {
            guard (30...86_400).contains(ttl) else { throw PorticoError.invalid("SSO API token TTL must be 30-86400 seconds") }
            org.ssoAPITokenTTL = ttl
        }
        if let single = settings.ssoTokenSingleUse { org.ssoTokenSingleUse = single }
    }

    /// The org and every org below it.
    public static func subtreeIDs(of rootID: UUID, on db: any Database) async throws -> Set<UUID> {
        let all = try await Organization.query(on: db).all()
        var children: [UUID: [UUID]] = [:]
        for org in all { if let parent = org.parentID { children[parent, default: []].append(org.id!) } }
        var result: Set<UUID> = [rootID]
        var queue = [rootID]
        while let next = queue.popLast() {
            for child in children[next] ?? [] where result.insert(child).inserted { queue.append(child) }
        }
        return result
    }

    /// `root` and every org below it, `root` first, then breadth-first by name.
    public static func subtree(of root: Organization, on db: any Database) async throws -> [Organization] {
        let all = try await Organization.query(on: db).sort(\.$name).all()
        var children: [UUID: [Organization]] = [:]
        for org in all { if let parent = org.parentID { children[parent, default: []].append(org) } }
        var result = [root]
        var seen: Set<UUID> = [try root.requireID()]
        var index = 0
        while index < result.count {
            for child in children[result[index].id!] ?? [] where seen.insert(child.id!).inserted { result.append(child) }
            index += 1
        }
        return result
    }

    /// The allowed return hosts of the org and its ancestors (SPEC §4).
    public static func allowedReturnHosts(of orgID: UUID, on db: any Database) async throws -> [String] {
        try await lineage(of: orgID, on: db).flatMap(\.allowedReturnHosts)
    }

    /// The org and its ancestors, nearest first.
    public static func lineage(of orgID: UUID, on db: any Database) async throws -> [Organization] {
        var result: [Organization] = []
        var seen: Set<UUID> = []
        var current: UUID? = orgID
        while let id = current, seen.insert(id).inserted, let org = try await Organization.find(id, on: db) {
            result.append(org)
            current = org.parentID
        }
        return result
    }
}

/// A failure a caller can act on, worded for a person (CLI, admin area, API message).
public enum PorticoError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case notFound(String)
    case conflict(String)

    public var description: String {
        switch self {
        case .invalid(let m), .notFound(let m), .conflict(let m): m
        }
    }
}
