import Foundation
import PorticoCore
import Vapor

/// The admin area (SPEC §8): sign-in at `/login/admin`, then pages under `/admin` for
/// the admin's organization. Server-rendered, no scripts, CSRF on every form.
enum AdminArea {
    // MARK: - Sign-in

    /// `GET /login/admin`: the form (or the dashboard, for a signed-in admin).
    static func loginForm(req: Request) async throws -> Response {
        if try await req.adminContext() != nil { return Layout.redirect(to: SiteURL.admin.path) }
        return loginPage(req: req, email: "", error: nil, status: .ok)
    }

    /// `POST /login/admin`: email + password. Wrong credentials get one message whether or
    /// not the email exists (and the same bcrypt work); failures are throttled per account
    /// and per address, shared with the SSO API's Authenticate.
    static func login(req: Request) async throws -> Response {
        struct Form: Content {
            var email: String?
            var password: String?
            var csrf_token: String?
        }
        let form = (try? req.content.decode(Form.self)) ?? Form()
        guard AdminLoginCSRF.matches(req, given: form.csrf_token) else { throw AdminPageError.badCSRF }
        let portico = req.portico
        let now = portico.clock.now()
        let email = AdminCredentials.normalizedEmail(form.email ?? "")
        let outcome: AdminCredentials.Outcome
        do {
            outcome = try await AdminCredentials.check(
                email: email, password: form.password ?? "", ip: req.clientIP, now: now,
                throttle: portico.loginThrottle, verifier: portico.passwords, on: portico.store.db
            )
        } catch is PasswordCheckBusy {
            let response = loginPage(req: req, email: email, error: "Too many sign-ins at once. Try again in a moment.", status: .serviceUnavailable)
            response.headers.replaceOrAdd(name: .retryAfter, value: "1")
            return response
        }
        let admin: Admin
        switch outcome {
        case .verified(let found): admin = found
        case .wrong: return loginPage(req: req, email: email, error: "Wrong email or password.", status: .unauthorized)
        case .throttled(let wait):
            let response = loginPage(req: req, email: email, error: "Too many failed attempts. Try again in \(wait) s.", status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(wait))
            return response
        }
        let (secret, session) = try await AdminSessions.start(
            admin: admin, replacing: AdminCookie.hash(in: req), ip: req.clientIP, now: now, store: portico.store
        )
        let response = Layout.redirect(to: SiteURL.admin.path)
        let https = portico.config.publicURLIsHTTPS
        response.headers.add(name: .setCookie, value: AdminCookie.set(secret: secret, expiresAt: session.expiresAt, now: now, https: https))
        return response
    }

    /// `POST /admin/logout`: ends the session (CSRF-checked) and goes back to the form.
    static func logout(req: Request) async throws -> Response {
        _ = try await req.requireAdminForm()
        if let hash = AdminCookie.hash(in: req) { try await AdminSessions.end(hash: hash, store: req.portico.store) }
        let response = Layout.redirect(to: SiteURL.adminLogin.path)
        response.headers.add(name: .setCookie, value: AdminCookie.clear(https: req.portico.config.publicURLIsHTTPS))
        return response
    }

    /// The form with a fresh double-submit token, in the page and in its cookie.
    private static func loginPage(req: Request, email: String, error: String?, status: HTTPResponseStatus) -> Response {
        let model = AdminLogin.Model(email: email, error: error, csrfToken: Secrets.hex(byteCount: 16))
        let response = Layout.response(AdminLogin.view(model), status: status)
        response.headers.add(name: .setCookie, value: AdminLoginCSRF.set(model.csrfToken, https: req.portico.config.publicURLIsHTTPS))
        return response
    }

    // MARK: - Pages

    /// `GET /admin`: who is signed in, in which organization, with which permissions.
    static func dashboard(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        return Layout.adminResponse(AdminDashboard.view(.init(context: context)))
    }
}
