@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Admin area: sign-in, sessions, API keys")
struct AdminAreaTests {
    static let password = "correct horse"

    @discardableResult
    static func admin(_ t: TestApp, org: Organization, email: String, permissions: [Admin.Permission]? = nil) async throws -> Admin {
        try await Credentials.createAdmin(
            org: org, email: email, passwordHash: try Bcrypt.hash(password, cost: 4), permissions: permissions,
            actor: "t", now: t.clock.now(), store: t.store
        )
    }

    /// The sign-in form's CSRF cookie and field, as a browser would carry them.
    static func loginForm(_ t: TestApp) async throws -> (cookie: String, csrf: String) {
        let r = try await t.send(.GET, "/login/admin")
        #expect(r.status == .ok)
        let header = try #require(r.headers[.setCookie].first { $0.hasPrefix(AdminLoginCSRF.cookie + "=") })
        let cookie = String(header.split(separator: ";")[0])
        let range = try #require(r.text.range(of: "name=\"csrf_token\" value=\""))
        return (cookie, String(r.text[range.upperBound...].prefix(32)))
    }

    static func post(_ t: TestApp, _ path: String, cookie: String, fields: [String: String]) async throws -> TestResponse {
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await t.send(.POST, path, body: body, headers: [("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded")])
    }

    /// Signs in through the form; returns the response and the admin cookie (name=value).
    static func signIn(_ t: TestApp, email: String, password: String = password) async throws -> (TestResponse, String?) {
        let (cookie, csrf) = try await loginForm(t)
        let r = try await post(t, "/login/admin", cookie: cookie, fields: ["email": email, "password": password, "csrf_token": csrf])
        let admin = r.headers[.setCookie].first { $0.hasPrefix(AdminCookie.name + "=") }.map { String($0.split(separator: ";")[0]) }
        return (r, admin)
    }

    static func csrf(in page: TestResponse) throws -> String {
        let range = try #require(page.text.range(of: "name=\"csrf_token\" value=\""))
        return String(page.text[range.upperBound...].prefix(32))
    }

    @Test("sign-in: one message for a wrong password and an unknown email, a Strict cookie, a new session each time")
    func signInRules() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            try await Self.admin(t, org: uni, email: "Ada@Uni.example")

            let (wrong, noCookie) = try await Self.signIn(t, email: "ada@uni.example", password: "nope")
            let (unknown, _) = try await Self.signIn(t, email: "nobody@uni.example")
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(noCookie == nil)
            #expect(wrong.text.contains("Wrong email or password.") && unknown.text.contains("Wrong email or password."))

            let (ok, cookie) = try await Self.signIn(t, email: "ADA@uni.example")
            #expect(ok.status == .seeOther)
            #expect(ok.headers.first(name: .location) == "/admin")
            let setCookie = try #require(ok.headers[.setCookie].first { $0.hasPrefix("portico_admin=") })
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && !setCookie.contains("Secure"))
            #expect(setCookie.contains("Max-Age=28800"))
            let first = try #require(cookie)
            #expect(try await t.count("sessions", where: "admin_id IS NOT NULL AND user_id IS NULL") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'admin.login'") == 1)

            let dashboard = try await t.send(.GET, "/admin", headers: [("Cookie", first)])
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("ada@uni.example"))
            #expect(dashboard.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            #expect(dashboard.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(dashboard.headers.first(name: "Referrer-Policy") != nil)

            // Signing in again from the same browser replaces the session: the old cookie is dead.
            let (form, csrf) = try await Self.loginForm(t)
            let again = try await Self.post(t, "/login/admin", cookie: form + "; " + first, fields: [
                "email": "ada@uni.example", "password": Self.password, "csrf_token": csrf,
            ])
            let second = try #require(again.headers[.setCookie].first { $0.hasPrefix("portico_admin=") }.map { String($0.split(separator: ";")[0]) })
            #expect(second != first)
            #expect(try await t.send(.GET, "/admin", headers: [("Cookie", first)]).status == .unauthorized)
            #expect(try await t.send(.GET, "/admin", headers: [("Cookie", second)]).status == .ok)
            #expect(try await t.count("sessions", where: "admin_id IS NOT NULL") == 1)

            // The sign-in form's own CSRF token is required.
            let forged = try await Self.post(t, "/login/admin", cookie: form, fields: ["email": "ada@uni.example", "password": Self.password])
            #expect(forged.status == .forbidden)
            #expect(!forged.headers[.setCookie].contains { $0.hasPrefix("portico_admin=") })
        }
    }

    @Test("repeated failures are throttled with Retry-After, even for the right password")
    func throttled() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            try await Self.admin(t, org: uni, email: "ada@uni.example")
            for _ in 0..<5 {
                #expect(try await Self.signIn(t, email: "ada@uni.example", password: "wrong").0.status == .unauthorized)
            }
            let (blocked, cookie) = try await Self.signIn(t, email: "ada@uni.example")
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers.first(name: .retryAfter) ?? "") ?? 0 > 0)
            #expect(cookie == nil)
            t.clock.advance(by: 15 * 60 + 1)
            #expect(try await Self.signIn(t, email: "ada@uni.example").0.status == .seeOther)
        }
    }

    @Test("sessions end after 30 minutes idle and 8 hours in all; sign-out ends them at once")
    func lifetimes() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            try await Self.admin(t, org: uni, email: "ada@uni.example")
            let (_, idleCookie) = try await Self.signIn(t, email: "ada@uni.example")
            let idle = try #require(idleCookie)
            t.clock.advance(by: 29 * 60)
            #expect(try await t.send(.GET, "/admin", headers: [("Cookie", idle)]).status == .ok)
            t.clock.advance(by: 30 * 60 + 1)
            let ended = try await t.send(.GET, "/admin", headers: [("Cookie", idle)])
            #expect(ended.status == .unauthorized)
            #expect(ended.text.contains("/login/admin"))

            let (_, busyCookie) = try await Self.signIn(t, email: "ada@uni.example")
            let busy = try #require(busyCookie)
            for _ in 0..<23 {
                t.clock.advance(by: 20 * 60)
                #expect(try await t.send(.GET, "/admin", headers: [("Cookie", busy)]).status == .ok)
            }
            t.clock.advance(by: 20 * 60)   // 8 h after sign-in
            #expect(try await t.send(.GET, "/admin", headers: [("Cookie", busy)]).status == .unauthorized)

            let (_, outCookie) = try await Self.signIn(t, email: "ada@uni.example")
            let out = try #require(outCookie)
            let page = try await t.send(.GET, "/admin", headers: [("Cookie", out)])
            #expect(try await Self.post(t, "/admin/logout", cookie: out, fields: [:]).status == .forbidden)
            let bye = try await Self.post(t, "/admin/logout", cookie: out, fields: ["csrf_token": try Self.csrf(in: page)])
            #expect(bye.status == .seeOther)
            #expect(bye.headers[.setCookie].contains { $0.hasPrefix("portico_admin=;") && $0.contains("Max-Age=0") })
            #expect(try await t.send(.GET, "/admin", headers: [("Cookie", out)]).status == .unauthorized)
        }
    }

    @Test("API keys: created with a name and shown once, listed without the key, revoked; manage_keys and CSRF required")
    func apiKeys() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (_, otherKey) = try await t.org("other")
            try await Self.admin(t, org: uni, email: "ada@uni.example")
            try await Self.admin(t, org: uni, email: "viewer@uni.example", permissions: [.manageUsers])
            let ada = try #require(try await Self.signIn(t, email: "ada@uni.example").1)

            let list = try await t.send(.GET, "/admin/keys", headers: [("Cookie", ada)])
            #expect(list.status == .ok)
            let csrf = try Self.csrf(in: list)
            #expect(try await Self.post(t, "/admin/keys", cookie: ada, fields: ["name": "LMS"]).status == .forbidden)

            let created = try await Self.post(t, "/admin/keys", cookie: ada, fields: ["name": "LMS <prod>", "csrf_token": csrf])
            #expect(created.status == .ok)
            #expect(created.headers.cacheControl?.noStore == true)
            let range = try #require(created.text.range(of: "<code class=\"secret\" data-copy>"))
            let key = String(created.text[range.upperBound...].prefix(32))
            #expect(Secrets.isHex32(key))
            #expect(created.text.contains("LMS &lt;prod&gt;") && !created.text.contains("LMS <prod>"))
            #expect(try await t.count("api_keys", where: "key_hash = '\(Secrets.sha256Hex(key))' AND created_by = 'admin:ada@uni.example'") == 1)
            #expect(try await t.send(.GET, "/api/courses", key: key).status == .ok)

            let again = try await t.send(.GET, "/admin/keys", headers: [("Cookie", ada)])
            #expect(again.text.contains(String(key.prefix(8))))
            #expect(!again.text.contains(key), "the key is shown once")

            // A viewer sees the list but cannot create or revoke.
            let viewer = try #require(try await Self.signIn(t, email: "viewer@uni.example").1)
            let viewerList = try await t.send(.GET, "/admin/keys", headers: [("Cookie", viewer)])
            #expect(viewerList.text.contains(String(key.prefix(8))))
            let viewerCSRF = try Self.csrf(in: viewerList)
            #expect(try await Self.post(t, "/admin/keys/\(key.prefix(8))/revoke", cookie: viewer, fields: ["csrf_token": viewerCSRF]).status == .forbidden)
            #expect(try await t.send(.GET, "/api/courses", key: key).status == .ok)

            // Another org's key cannot be revoked from here.
            let foreign = try await Self.post(t, "/admin/keys/\(otherKey.prefix(8))/revoke", cookie: ada, fields: ["csrf_token": csrf])
            #expect(foreign.status == .notFound)
            #expect(try await t.send(.GET, "/api/courses", key: otherKey).status == .ok)

            let revoked = try await Self.post(t, "/admin/keys/\(key.prefix(8))/revoke", cookie: ada, fields: ["csrf_token": csrf])
            #expect(revoked.status == .seeOther)
            #expect(try await t.send(.GET, "/api/courses", key: key).status == .unauthorized)
            #expect(try await t.count("audit_entries", where: "action = 'apikey.revoke' AND actor = 'admin:ada@uni.example'") == 1)
        }
    }

    @Test("audit log: the org's own entries, newest first, escaped; other orgs' entries never shown")
    func auditLog() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (other, _) = try await t.org("other")
            try await Self.admin(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            try await t.store.write { db in
                try await Audit.record(orgID: other.requireID(), actor: "admin:eve@other.example", action: "secret.thing", target: "x", at: t.clock.now(), ip: nil, on: db)
                try await Audit.record(orgID: uni.requireID(), actor: "system", action: "first.thing", target: "<b>t</b>", at: t.clock.now(), ip: "10.0.0.9", on: db)
            }
            t.clock.advance(by: 5)
            let ada = try #require(try await Self.signIn(t, email: "ada@uni.example").1)
            let r = try await t.send(.GET, "/admin/audit", headers: [("Cookie", ada)])
            #expect(r.status == .ok)
            #expect(r.text.contains("first.thing") && r.text.contains("10.0.0.9"))
            #expect(r.text.contains("&lt;b&gt;t&lt;/b&gt;") && !r.text.contains("<b>t</b>"))
            #expect(!r.text.contains("secret.thing") && !r.text.contains("eve@other.example"))
            let login = try #require(r.text.range(of: "admin.login"))
            let first = try #require(r.text.range(of: "first.thing"))
            #expect(login.lowerBound < first.lowerBound, "newest first")
            #expect(try await t.send(.GET, "/admin/audit").status == .unauthorized)
        }
    }
}
