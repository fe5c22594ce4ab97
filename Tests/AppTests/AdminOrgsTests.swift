@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("AdminOrgsTests")
struct AdminOrgsTests {
    @Test("lists the descendants with a link to open each; creates a child audited with actor and ip")
    func listAndCreate() async throws {
        try await TestApp.run { t in
            // setup
            let (root, _) = try await t.org("root")
            try await t.org("uni", parent: "root")
            try await t.org("law", parent: "uni")
            try await t.org("other")
            let admin = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")

            // validate the list
            let page = try await admin.get("/admin/orgs")
            #expect(page.status == .ok)
            #expect(page.text.contains("href=\"/admin?org=uni\"") && page.text.contains("href=\"/admin?org=law\""))
            #expect(page.text.contains("href=\"/admin/settings?org=law\""))
            #expect(page.text.contains("<td><code>uni</code></td><td><time"), "law's parent is shown")
            #expect(!page.text.contains("org=other") && !page.text.contains("org=root\""))
            #expect(page.text.contains("name=\"csrf_token\""))

            // MUT
            let created = try await AdminSettingsTests.post(from: "203.0.113.9", admin, "/admin/orgs", [("slug", "new-school"), ("name", "  New School  ")])

            // validate
            #expect(created.status == .seeOther && created.headers.first(name: .location) == "/admin/orgs")
            let org = try #require(try await Organizations.find(slug: "new-school", on: t.store.db))
            #expect(org.parentID == root.id && org.name == "New School")
            #expect(try await admin.auditCount("org.create") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'org.create' AND target = 'new-school' AND ip = '203.0.113.9'") == 1)
            #expect(try await admin.get("/admin/orgs").text.contains("href=\"/admin?org=new-school\""))

            // below a descendant, via ?org=uni
            let below = try await admin.post("/admin/orgs?org=uni", [("slug", "uni-med"), ("name", "Medicine")])
            #expect(below.status == .seeOther && below.headers.first(name: .location) == "/admin/orgs?org=uni")
            let uni = try #require(try await Organizations.find(slug: "uni", on: t.store.db))
            #expect(try await Organizations.find(slug: "uni-med", on: t.store.db)?.parentID == uni.id)
            let uniPage = try await admin.get("/admin/orgs?org=uni")
            #expect(uniPage.text.contains("org=uni-med") && uniPage.text.contains("org=law") && !uniPage.text.contains("org=new-school"))
        }
    }

    @Test("a parent's admin creates a child, opens it and changes its settings; the child's admin cannot reach the parent")
    func parentManagesChild() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let admin = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")
            #expect(try await admin.post("/admin/orgs", [("slug", "campus"), ("name", "Campus")]).status == .seeOther)

            // open it
            let opened = try await admin.get("/admin?org=campus")
            #expect(opened.status == .ok && opened.text.contains("<code>campus</code>"))
            // change its settings
            let saved = try await admin.post("/admin/settings?org=campus", AdminSettingsTests.form([("sso_token_ttl", "900")]))
            #expect(saved.status == .seeOther)
            let campus = try #require(try await Organizations.find(slug: "campus", on: t.store.db))
            #expect(campus.ssoTokenTTL == 900 && campus.allowedReturnHosts == ["lms.uni.example", "*.uni.example"])
            #expect(try await Organizations.find(slug: "root", on: t.store.db)?.ssoTokenTTL == Organization.defaultSSOTokenTTL)

            // the child's own admin reaches the child, not the parent
            let kid = try await AdminBrowser.signIn(t, org: campus, email: "kid@campus.example")
            #expect(try await kid.get("/admin/settings").status == .ok)
            #expect(try await kid.get("/admin/settings?org=root").status == .notFound)
            #expect(try await kid.post("/admin/settings?org=root", AdminSettingsTests.form()).status == .notFound)
            #expect(try await kid.get("/admin/orgs?org=root").status == .notFound)
            #expect(try await kid.post("/admin/orgs?org=root", [("slug", "sneaky"), ("name", "Sneaky")]).status == .notFound)
            #expect(try await Organizations.find(slug: "sneaky", on: t.store.db) == nil)
            #expect(try await Organizations.find(slug: "root", on: t.store.db)?.ssoTokenTTL == Organization.defaultSSOTokenTTL)
            #expect(!(try await kid.get("/admin/orgs").text.contains("org=root")))
        }
    }

    @Test("manage_org, CSRF and the org tree guard the page and the form; nothing is created on a refusal")
    func access() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let (child, _) = try await t.org("child", parent: "root")
            let (other, _) = try await t.org("other")
            let boss = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")
            let noOrg = try await AdminBrowser.signIn(t, org: root, email: "keys@root.example", permissions: [.manageKeys, .manageUsers, .manageWebhooks, .useSSOAPI])
            let kid = try await AdminBrowser.signIn(t, org: child, email: "kid@child.example")
            let outsider = try await AdminBrowser.signIn(t, org: other, email: "x@other.example")
            let before = try await t.count("organizations")

            #expect(try await noOrg.get("/admin/orgs").status == .forbidden)
            #expect(try await noOrg.post("/admin/orgs", [("slug", "a1"), ("name", "A")]).status == .forbidden)
            #expect(try await boss.post("/admin/orgs", [("slug", "a2"), ("name", "A")], csrf: false).status == .forbidden)
            #expect(try await outsider.get("/admin/orgs?org=root").status == .notFound)
            #expect(try await outsider.post("/admin/orgs?org=root", [("slug", "a3"), ("name", "A")]).status == .notFound)
            #expect(try await boss.get("/admin/orgs?org=other").status == .notFound)
            #expect(try await boss.post("/admin/orgs?org=other", [("slug", "a4"), ("name", "A")]).status == .notFound)
            #expect(try await kid.get("/admin/orgs?org=root").status == .notFound)
            #expect(try await t.count("organizations") == before)
            #expect(try await t.count("audit_entries", where: "action = 'org.create' AND actor LIKE 'admin:%'") == 0)

            // the parent's admin manages the child's children
            #expect(try await boss.get("/admin/orgs?org=child").status == .ok)
            #expect(try await boss.post("/admin/orgs?org=child", [("slug", "grandchild"), ("name", "G")]).status == .seeOther)
            #expect(try await Organizations.find(slug: "grandchild", on: t.store.db)?.parentID == child.id)
        }
    }

    @Test("bad slugs and names: 422 beside the field, typed values kept and escaped; a taken slug: 409; nothing created", arguments: [
        ("", "Name", "slug"), ("A", "Name", "slug"), ("Uni", "Name", "slug"), ("-x", "Name", "slug"), ("a b", "Name", "slug"),
        ("<script>x</script>", "Name", "slug"), (String(repeating: "a", count: 10_000), "Name", "slug"), ("ab<NUL>c", "Name", "slug"),
        ("a\r\nb", "Name", "slug"), ("9223372036854775808", "", "name"), ("good-slug", "   ", "name"),
        ("good-slug", String(repeating: "n", count: 201), "name"), ("good-slug", String(repeating: "<b>", count: 10_000), "name"),
    ] as [(String, String, String)])
    func refusals(slug raw: String, name: String, field: String) async throws {
        // (NUL is spelled <NUL> in the arguments, which the test runner prints.)
        let slug = raw.replacingOccurrences(of: "<NUL>", with: "\u{0}")
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let admin = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")
            let before = try await t.count("organizations")

            let r = try await admin.post("/admin/orgs", [("slug", slug), ("name", name)])

            #expect(r.status == .unprocessableEntity)
            #expect(try await t.count("organizations") == before)
            // A NUL anywhere in a form is refused before any page sees it (a plain 422 page).
            if raw.contains("<NUL>") { return }
            #expect(r.text.contains("id=\"f-\(field)-error\""))
            #expect(!r.text.contains("<script>x") && !r.text.contains("<b><b>"))
            if slug.count < 100 { #expect(r.text.contains("value=\"\(HTML.escape(slug))\""), "\(r.text.replacingOccurrences(of: "\u{0}", with: "<NUL>").suffix(1500))") }
            #expect(try await t.count("organizations") == before)
            #expect(try await t.count("audit_entries", where: "action = 'org.create' AND actor LIKE 'admin:%'") == 0)
        }
    }

    @Test("a slug taken anywhere (another tree too) is a 409 with the error beside the slug field")
    func duplicateSlug() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            try await t.org("other")
            let admin = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")
            let before = try await t.count("organizations")
            let r = try await admin.post("/admin/orgs", [("slug", "other"), ("name", "Mine")])
            #expect(r.status == .conflict)
            #expect(r.text.contains("id=\"f-slug-error\"") && r.text.contains("already exists"))
            #expect(r.text.contains("value=\"Mine\""))
            #expect(try await t.count("organizations") == before)
            #expect(try await Organizations.find(slug: "other", on: t.store.db)?.parentID == nil)
        }
    }

    @Test("mock models render; hostile text comes out escaped")
    func rendering() {
        let plain = AdminOrgs.view(.mock).raw
        #expect(plain.contains("href=\"/admin?org=demo-law-clinic\"") && plain.contains("— <a href"))
        let hostile = AdminOrgs.view(.mockHostile).raw
        #expect(!hostile.contains("<script>") && !hostile.contains("<img") && !hostile.contains("<b>slug"))
        #expect(hostile.contains("href=\"/admin?org=x%22%3E%3Cscript%3E\""))
        #expect(hostile.contains("value=\"&#39;&gt;&lt;img src=x onerror=alert(1)&gt;\""))
    }
}
