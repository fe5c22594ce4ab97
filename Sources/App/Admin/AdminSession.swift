import Foundation
import PorticoCore
import Vapor

/// A signed-in admin on a page of one organization: the session, the admin, the org
/// the page is about (`org`: the admin's own, or a descendant picked with `?org=SLUG`)
/// and every org the admin reaches (their own and its descendants, SPEC §8).
struct AdminContext: Sendable {
    var session: AdminSessions.Record
    var admin: Admin
    /// The admin's own organization.
    var home: Organization
    /// The organization this page shows and changes.
    var org: Organization
    /// The admin's own org and its descendants, root first.
    var reachable: [Organization]
    /// The client address, for the audit log.
    var ip: String?

    /// Permissions are granted in the admin's org and hold in all its descendants.
    func can(_ permission: Admin.Permission) -> Bool { admin.permissions.contains(permission.rawValue) }

    /// How the audit log names this admin.
    var actor: String { "admin:" + admin.email }

    var orgID: UUID { org.id! }

    /// `url`'s path for this page's org: `?org=SLUG` when it is not the admin's own.
    func link(_ url: SiteURL, query: [(String, String)] = []) -> String {
        AdminLinks.link(url, org: org.id == home.id ? nil : org.slug, query: query)
    }

    /// The admin as the admin chrome and forms need them.
    var layout: Layout.Admin {
        .init(
            csrfToken: session.csrfToken, email: admin.email, orgName: org.name, orgSlug: org.slug,
            orgQuery: org.id == home.id ? nil : org.slug,
            orgs: reachable.count > 1 ? reachable.map { .init(slug: $0.slug, name: $0.name) } : []
        )
    }
}

/// Admin-area links carry the org they are about as `?org=SLUG` (absent for the admin's own).
enum AdminLinks {
    static func link(_ url: SiteURL, org: String?, query: [(String, String)] = []) -> String {
        let pairs = (org.map { [("org", $0)] } ?? []) + query
        guard !pairs.isEmpty else { return url.path }
        return url.path + "?" + pairs.map { "\($0.0)=\(formEncoded($0.1))" }.joined(separator: "&")
    }

    /// A query value, percent-encoded for a link (`&`, `=`, `+`, `#` and non-ASCII escaped).
    static func formEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// The admin cookie (SPEC §1): `portico_admin`, HttpOnly, SameSite=Strict, `Secure`
/// exactly when the public URL is https; separate from the member cookie, so a member
/// sign-in in the same browser never ends an admin session.
enum AdminCookie {
    static let name = "portico_admin"

    static func set(secret: String, expiresAt: Date, now: Date, https: Bool) -> String {
        "\(name)=\(secret); Path=/; Max-Age=\(max(0, Int(expiresAt.timeIntervalSince(now)))); HttpOnly" + (https ? "; Secure" : "") + "; SameSite=Strict"
    }

    static func clear(https: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly" + (https ? "; Secure" : "") + "; SameSite=Strict"
    }

    static func hash(in request: Request) -> String? { request.sessionHash(cookie: name) }
}

/// The sign-in form has no session yet: its CSRF token is a double submit, a random
/// value in a short-lived cookie of its own that the form's hidden field must repeat.
enum AdminLoginCSRF {
    static let cookie = "portico_admin_login"

    static func set(_ token: String, https: Bool) -> String {
        "\(cookie)=\(token); Path=/login/admin; Max-Age=3600; HttpOnly" + (https ? "; Secure" : "") + "; SameSite=Strict"
    }

    static func matches(_ request: Request, given: String?) -> Bool {
        guard let expected = request.cookies[cookie]?.string, Secrets.isHex32(expected), let given else { return false }
        return Secrets.constantTimeEquals(given, expected)
    }
}

extension Request {
    /// The signed-in admin, if the cookie names a live admin session, on the org that
    /// `?org=SLUG` names (the admin's own without it). An org outside the admin's own
    /// and its descendants is a 404, as if it did not exist.
    func adminContext() async throws -> AdminContext? {
        guard let hash = AdminCookie.hash(in: self) else { return nil }
        let portico = self.portico
        let db = portico.store.db
        guard let session = try await AdminSessions.session(hash: hash, now: portico.clock.now(), store: portico.store),
              let admin = try await Admin.find(session.adminID, on: db),
              let home = try await Organization.find(admin.orgID, on: db)
        else { return nil }
        logger[metadataKey: "admin"] = .string(admin.email)
        let reachable = try await Organizations.subtree(of: home, on: db)
        var org = home
        if let slug = queryValue("org"), slug != home.slug {
            guard let picked = reachable.first(where: { $0.slug == slug }) else {
                throw AdminPageError.notFound("There is no organization '\(slug)' that you administer.")
            }
            org = picked
        }
        return AdminContext(session: session, admin: admin, home: home, org: org, reachable: reachable, ip: clientIP)
    }

    /// The signed-in admin (with `permission`, when given); without a session, the page
    /// answers with a way to the sign-in form. Org first (404), then permission (403).
    func requireAdmin(_ permission: Admin.Permission? = nil) async throws -> AdminContext {
        guard let context = try await adminContext() else { throw AdminPageError.signInRequired }
        if let permission, !context.can(permission) { throw AdminPageError.forbidden(permission) }
        return context
    }

    /// The admin, having checked the form's `csrf_token` against their session, then
    /// the org and `permission` as `requireAdmin` does.
    func requireAdminForm(_ permission: Admin.Permission? = nil) async throws -> AdminContext {
        guard let context = try await adminContext() else { throw AdminPageError.signInRequired }
        guard formCSRFMatches(context.session.csrfToken) else { throw AdminPageError.badCSRF }
        if let permission, !context.can(permission) { throw AdminPageError.forbidden(permission) }
        return context
    }
}

/// Failures of the admin area, answered as admin pages.
enum AdminPageError: Error {
    case signInRequired
    case badCSRF
    case forbidden(Admin.Permission)
    case notFound(String)
    case invalid(String)

    var status: HTTPResponseStatus {
        switch self {
        case .signInRequired: .unauthorized
        case .badCSRF, .forbidden: .forbidden
        case .notFound: .notFound
        case .invalid: .unprocessableEntity
        }
    }

    var title: String {
        switch self {
        case .signInRequired: "Please sign in"
        case .badCSRF: "This form has expired"
        case .forbidden: "Not allowed"
        case .notFound: "Not found"
        case .invalid: "That did not work"
        }
    }

    var message: String {
        switch self {
        case .signInRequired: "Your admin session has ended."
        case .badCSRF: "Go back, reload the page and try again."
        case .forbidden(let permission): "This needs the \(permission.rawValue) permission."
        case .notFound(let why), .invalid(let why): why
        }
    }
}
