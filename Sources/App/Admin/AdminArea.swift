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

    private static func loginPage(req: Request, email: String, error: String?, status: HTTPResponseStatus) -> Response {
        let token = Secrets.hex(byteCount: 16)
        let response = Layout.page(title: "Admin sign-in", member: nil, status: status, body: """
            <section class="card narrow"><h1>Admin sign-in</h1>
            \(error.map { e -> HTML in "<p class=\"error\" role=\"alert\">\(e)</p>" } ?? .empty)
            <form method="post" action="\(SiteURL.adminLogin.path)" class="stack">
            <input type="hidden" name="csrf_token" value="\(token)">
            <label>Email <input type="email" name="email" value="\(email)" autocomplete="username" required></label>
            <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
            <button>Sign in</button>
            </form></section>
            """)
        response.headers.add(name: .setCookie, value: AdminLoginCSRF.set(token, https: req.portico.config.publicURLIsHTTPS))
        return response
    }

    // MARK: - Pages

    /// `GET /admin`: who is signed in, in which organization, with which permissions.
    static func dashboard(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        let permissions = Admin.Permission.allCases.map { p -> HTML in
            "<li>\(p.rawValue): \(context.can(p) ? "yes" : "no")</li>"
        }
        return page(title: "Admin", context: context, body: """
            <section class="card"><h1>\(context.org.name)</h1>
            <p>Signed in as \(context.admin.email) in <code>\(context.org.slug)</code>.</p>
            <h2>Your permissions</h2><ul>\(permissions)</ul>
            <p><a href="\(SiteURL.adminKeys.path)">API keys</a> · <a href="\(SiteURL.adminAudit.path)">Audit log</a></p>
            </section>
            """)
    }

    /// An admin page: the admin navigation, never framed (`frame-ancestors 'none'`).
    static func page(title: String, context: AdminContext, status: HTTPResponseStatus = .ok, body: HTML) -> Response {
        Layout.page(title: title, member: nil, status: status, body: """
            <nav class="site-nav"><div class="wrap">
            <a href="\(SiteURL.admin.path)">Admin</a>
            <a href="\(SiteURL.adminKeys.path)">API keys</a>
            <a href="\(SiteURL.adminAudit.path)">Audit log</a>
            <form method="post" action="\(SiteURL.adminLogout.path)" class="inline">\(csrf(context))<button class="link">Sign out</button></form>
            </div></nav>
            \(body)
            """)
    }

    /// A form's hidden CSRF field.
    static func csrf(_ context: AdminContext) -> HTML {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(context.session.csrfToken)\">"
    }
}
