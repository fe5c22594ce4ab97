@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

/// The admin area's reach (SPEC §8): an admin works in their own org and its
/// descendants (`?org=SLUG`), never a sibling, a parent or another tree; links keep the
/// org they are about; the shared chrome on every page.
@Suite("Admin area: which organizations an admin reaches")
struct AdminScopeTests {
    @Test("?org= reaches descendants only: a parent, a sibling, another tree or an unknown slug is 404")
    func reach() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            try await t.org("faculty", parent: "root")
            try await t.org("lab", parent: "faculty")
            try await t.org("sibling", parent: "root")
            try await t.org("other")
            let rootAdmin = try await AdminBrowser.signIn(t, org: root, email: "root@uni.example")
            let faculty = try #require(try await Organizations.find(slug: "faculty", on: t.store.db))
            let facultyAdmin = try await AdminBrowser.signIn(t, org: faculty, email: "fac@uni.example")

            for slug in ["faculty", "lab", "sibling"] {
                let page = try await rootAdmin.get("/admin?org=\(slug)")
                #expect(page.status == .ok, "root admin on \(slug)")
                #expect(page.text.contains("<code>\(slug)</code>"))
            }
            #expect(try await facultyAdmin.get("/admin?org=lab").status == .ok)
            for slug in ["root", "sibling", "other", "nope", "", "%00", "lab%0d%0a"] {
                let page = try await facultyAdmin.get("/admin/keys?org=\(slug)")
                #expect(page.status == .notFound, "faculty admin on '\(slug)'")
            }
            // The org switcher lists exactly the reachable orgs, the dashboard the children.
            let home = try await facultyAdmin.get("/admin")
            #expect(home.text.contains("value=\"lab\"") && !home.text.contains("value=\"root\"") && !home.text.contains("value=\"sibling\""))
            #expect(home.text.contains("href=\"/admin?org=lab\""))
        }
    }

    @Test("API keys of a child org: created and revoked by the parent's admin; the child's admin cannot touch the parent's")
    func keysAcrossTheTree() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let (child, _) = try await t.org("child", parent: "root")
            let rootAdmin = try await AdminBrowser.signIn(t, org: root, email: "root@uni.example")
            let childAdmin = try await AdminBrowser.signIn(t, org: child, email: "child@uni.example")
            let childID = try child.requireID()

            let created = try await rootAdmin.post("/admin/keys?org=child", [("name", "from parent")])
            #expect(created.status == .ok)
            #expect(created.text.contains("from parent"))
            #expect(created.text.contains("action=\"/admin/keys/") && created.text.contains("?org=child"))
            let childKeys = try await Credentials.apiKeys(org: child, on: t.store.db)
            #expect(childKeys.filter { $0.name == "from parent" }.count == 1)
            let entry = try #require(try await AuditEntry.query(on: t.store.db).filter(\.$action == "apikey.create")
                .filter(\.$actor == "admin:root@uni.example").first())
            #expect(entry.orgID == childID)
            // (The in-memory tester has no client address; AdminAdminsTests checks `ip` over a socket.)

            // The child's admin: the parent's keys are out of reach, on the page and in every form.
            let before = try await t.count("api_keys")
            #expect(try await childAdmin.get("/admin/keys?org=root").status == .notFound)
            #expect(try await childAdmin.post("/admin/keys?org=root", [("name", "sneaky")]).status == .notFound)
            let rootKeys = try await Credentials.apiKeys(org: root, on: t.store.db)
            let rootPrefix = try #require(rootKeys.first?.prefix)
            #expect(try await childAdmin.post("/admin/keys/\(rootPrefix)/revoke?org=root").status == .notFound)
            // Without ?org the prefix is looked up in the child's own org: not found there.
            #expect(try await childAdmin.post("/admin/keys/\(rootPrefix)/revoke").status == .notFound)
            #expect(try await t.count("api_keys") == before)
            #expect(try await Credentials.apiKeys(org: root, on: t.store.db).allSatisfy { $0.revokedAt == nil })
        }
    }

    @Test("a form without csrf_token changes nothing; a page without the permission is 403 and changes nothing")
    func csrfAndPermission() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let reader = try await AdminBrowser.signIn(t, org: root, email: "reader@uni.example", permissions: [.manageUsers])
            let admin = try await AdminBrowser.signIn(t, org: root, email: "keys@uni.example", permissions: [.manageKeys])
            let before = try await t.count("api_keys")
            #expect(try await admin.post("/admin/keys", [("name", "no csrf")], csrf: false).status == .forbidden)
            #expect(try await admin.post("/admin/keys", [("name", "bad csrf"), ("csrf_token", String(repeating: "0", count: 32))], csrf: false).status == .forbidden)
            #expect(try await reader.post("/admin/keys", [("name", "no permission")]).status == .forbidden)
            #expect(try await reader.get("/admin/keys").status == .ok)
            #expect(try await t.count("api_keys") == before)
            // Another admin's session token is not this admin's.
            #expect(try await reader.post("/admin/keys", [("name", "x"), ("csrf_token", admin.csrf)], csrf: false).status == .forbidden)
            #expect(try await t.count("api_keys") == before)
        }
    }

    @Test("every admin page has the admin chrome, the security headers and no cache; the copy script is served")
    func chrome() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let admin = try await AdminBrowser.signIn(t, org: root, email: "root@uni.example")
            for path in ["/admin", "/admin/keys", "/admin/audit"] {
                let page = try await admin.get(path)
                #expect(page.status == .ok, "\(path)")
                let csp = page.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
                #expect(csp.contains("form-action 'self'"))
                #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(page.headers.first(name: "Referrer-Policy") != nil)
                #expect(page.headers.first(name: .cacheControl)?.contains("no-store") == true)
                for link in ["/admin/webhooks", "/admin/apps", "/admin/users", "/admin/settings", "/admin/orgs", "/admin/admins", "/admin/account"] {
                    #expect(page.text.contains("href=\"\(link)\""), "\(path) links \(link)")
                }
            }
            let script = try await t.send(.GET, "/static/copy.js")
            #expect(script.status == .ok)
            #expect(script.headers.contentType?.subType == "javascript")
            #expect(script.text.contains("clipboard"))
        }
    }

    @Test("human times carry their RFC 3339 value")
    func times() {
        let date = Date(timeIntervalSince1970: 1_796_226_360) // 2026-12-02T15:46:00Z
        #expect(Layout.humanTime(date) == "2 Dec 2026, 15:46 UTC")
        #expect(Layout.time(date).raw == "<time datetime=\"2026-12-02T15:46:00Z\" title=\"2026-12-02T15:46:00Z\">2 Dec 2026, 15:46 UTC</time>")
        #expect(Layout.time(nil).raw == "never")
        #expect(AdminLinks.link(.adminUsers, org: "a-b", query: [("q", "x&y=z +é")]) == "/admin/users?org=a-b&q=x%26y%3Dz%20%2B%C3%A9")
    }
}
