import Foundation
import PorticoCore
import Vapor

/// A signed-in admin: the session, the admin and their organization.
struct AdminContext: Sendable {
    var session: AdminSessions.Record
    var admin: Admin
    var org: Organization

    func can(_ permission: Admin.Permission) -> Bool { admin.permissions.contains(permission.rawValue) }

    /// The admin as the admin chrome and forms need them.
    var layout: Layout.Admin { .init(csrfToken: session.csrfToken) }
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
    /// The signed-in admin, if the cookie names a live admin session.
    func adminContext() async throws -> AdminContext? {
        guard let hash = AdminCookie.hash(in: self) else { return nil }
        let portico = self.portico
        guard let session = try await AdminSessions.session(hash: hash, now: portico.clock.now(), store: portico.store),
              let admin = try await Admin.find(session.adminID, on: portico.store.db),
              let org = try await Organization.find(admin.orgID, on: portico.store.db)
        else { return nil }
        logger[metadataKey: "admin"] = .string(admin.email)
        return AdminContext(session: session, admin: admin, org: org)
    }

    /// The signed-in admin; without one, the page answers with a way to the sign-in form.
    func requireAdmin() async throws -> AdminContext {
        guard let context = try await adminContext() else { throw AdminPageError.signInRequired }
        return context
    }

    /// The admin, having checked the form's `csrf_token` against their session.
    func requireAdminForm() async throws -> AdminContext {
        let context = try await requireAdmin()
        guard formCSRFMatches(context.session.csrfToken) else { throw AdminPageError.badCSRF }
        return context
    }

    /// The admin, with `permission` (checked after the CSRF token).
    func requireAdminForm(_ permission: Admin.Permission) async throws -> AdminContext {
        let context = try await requireAdminForm()
        guard context.can(permission) else { throw AdminPageError.forbidden(permission) }
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
