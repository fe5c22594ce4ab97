@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import NIOCore
import Vapor

@Suite("AdminSettingsTests")
struct AdminSettingsTests {
    /// A complete, valid settings form; `changes` replace fields by name.
    static func form(_ changes: [(String, String)] = []) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("anonymous_users", "on"), ("sso_token_ttl", "3600"), ("sso_token_single_use", "on"), ("sso_api_token_ttl", "120"),
            ("landing_url", "https://lms.uni.example/home"), ("invalid_token_url", ""), ("expired_token_url", "https://lms.uni.example/expired"),
            ("allowed_return_hosts", "lms.uni.example\n*.Uni.Example\n\n"), ("login_url", "https://lms.uni.example/login#top"),
        ]
        for (name, value) in changes {
            fields.removeAll { $0.0 == name }
            fields.append((name, value))
        }
        return fields
    }

    /// Posts a form as `admin` from a client at `ip`, so the audit entry's address can be checked.
    static func post(from ip: String, _ admin: AdminBrowser, _ path: String, _ fields: [(String, String)]) async throws -> TestResponse {
        try await admin.post(path, fields, from: ip)
    }

    static func org(_ t: TestApp, _ slug: String) async throws -> Organization {
        try #require(try await Organizations.find(slug: slug, on: t.store.db))
    }

    /// The org's settings as one comparable value.
    static func snapshot(_ t: TestApp, _ slug: String) async throws -> String {
        let o = try await org(t, slug)
        return "\(o.anonymousUsersEnabled)|\(o.ssoTokenTTL)|\(o.ssoTokenSingleUse)|\(o.ssoAPITokenTTL)|\(o.landingURL ?? "-")|"
            + "\(o.invalidTokenURL ?? "-")|\(o.expiredTokenURL ?? "-")|\(o.allowedReturnHosts)|\(o.loginURL ?? "-")"
    }

    @Test("settings: shown, saved as a whole (normalized), audited with actor and ip; empty URLs clear")
    func saveSettings() async throws {
        try await TestApp.run { t in
            // setup
            let (uni, _) = try await t.org("uni")
            let admin = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let page = try await admin.get("/admin/settings")
            #expect(page.status == .ok)
            #expect(page.text.contains("name=\"sso_token_ttl\" type=\"text\" value=\"172800\""))
            #expect(page.text.contains("No sign-in or redirect URL was refused"))
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)

            // MUT
            let saved = try await Self.post(from: "203.0.113.7", admin, "/admin/settings", Self.form())

            // validate
            #expect(saved.status == .seeOther)
            #expect(saved.headers.first(name: .location) == "/admin/settings")
            let o = try await Self.org(t, "uni")
            #expect(o.anonymousUsersEnabled && o.ssoTokenTTL == 3600 && o.ssoTokenSingleUse && o.ssoAPITokenTTL == 120)
            #expect(o.landingURL == "https://lms.uni.example/home" && o.invalidTokenURL == nil && o.expiredTokenURL == "https://lms.uni.example/expired")
            #expect(o.allowedReturnHosts == ["lms.uni.example", "*.uni.example"] && o.loginURL == "https://lms.uni.example/login#top")
            #expect(try await admin.auditCount("org.update") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'org.update' AND target = 'uni' AND ip = '203.0.113.7'") == 1)
            let shown = try await admin.get("/admin/settings")
            #expect(shown.text.contains("value=\"3600\"") && shown.text.contains("lms.uni.example\n*.uni.example</textarea>"))

            // unchecked boxes and empty URLs clear; an empty list empties the allowlist
            let cleared = try await admin.post("/admin/settings", Self.form().filter { !["anonymous_users", "sso_token_single_use"].contains($0.0) }
                .map { ["landing_url", "expired_token_url", "allowed_return_hosts", "login_url"].contains($0.0) ? ($0.0, "") : $0 })
            #expect(cleared.status == .seeOther)
            let c = try await Self.org(t, "uni")
            #expect(!c.anonymousUsersEnabled && !c.ssoTokenSingleUse && c.landingURL == nil && c.expiredTokenURL == nil && c.allowedReturnHosts.isEmpty)
            #expect(c.loginURL == nil)
            // The login URL's host must stay allowed: emptying the hosts under it is refused.
            _ = try await admin.post("/admin/settings", Self.form())
            let orphaned = try await admin.post("/admin/settings", Self.form([("allowed_return_hosts", "other.example")]))
            #expect(orphaned.status == .unprocessableEntity && orphaned.text.contains("id=\"f-login_url-error\""))
            #expect(try await Self.org(t, "uni").allowedReturnHosts == ["lms.uni.example", "*.uni.example"])
            #expect(try await admin.auditCount("org.update") == 3)
        }
    }

    @Test("hostile or out-of-range input: 422 with the error beside the field, typed values kept, nothing written", arguments: [
        ("sso_token_ttl", "9223372036854775808"), ("sso_token_ttl", "-1"), ("sso_token_ttl", "abc"), ("sso_token_ttl", "59"),
        ("sso_token_ttl", "2592001"), ("sso_token_ttl", ""), ("sso_api_token_ttl", "0"), ("sso_api_token_ttl", "-9223372036854775809"),
        ("landing_url", "javascript:alert(1)"), ("landing_url", "https://lms.uni.example/a b"), ("invalid_token_url", "https://x.example/\r\nSet-Cookie: a=b"),
        ("expired_token_url", "https://user@x.example/"), ("landing_url", "https://x.example/<NUL>"),
        ("landing_url", "https://x.example/" + String(repeating: "a", count: 10_000)),
        ("allowed_return_hosts", "*"), ("allowed_return_hosts", "ok.example\n<script>alert(1)</script>"),
        ("allowed_return_hosts", String(repeating: "a", count: 10_000) + ".example"), ("allowed_return_hosts", "https://x.example/"),
        ("allowed_return_hosts", "a<NUL>b.example"),
        ("login_url", "https://evil.example/login"), ("login_url", "https://lms.uni.example/login?return_to=/x"), ("login_url", "ftp://lms.uni.example/"),
    ] as [(String, String)])
    func refusals(field: String, value raw: String) async throws {
        // (NUL is spelled <NUL> in the arguments, which the test runner prints.)
        let value = raw.replacingOccurrences(of: "<NUL>", with: "\u{0}")
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let admin = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let before = try await Self.snapshot(t, "uni")

            // a valid change to another field rides along: it must not be written either
            let r = try await admin.post("/admin/settings", Self.form([(field, value)]))

            #expect(r.status == .unprocessableEntity, "\(field)=\(value.prefix(40))")
            #expect(!r.text.contains("<script>alert"))
            #expect(try await Self.snapshot(t, "uni") == before)
            #expect(try await t.count("audit_entries", where: "action = 'org.update'") == 0)
            // A NUL anywhere in a form is refused before any page sees it (a plain 422 page).
            if raw.contains("<NUL>") { return }
            #expect(r.text.contains("id=\"f-\(field)-error\"") || r.text.contains("aria-describedby=\"f-\(field)-error\""), "\(field)")
            #expect(r.text.contains("Nothing was saved"))
            let kept = field == "landing_url" ? "https://lms.uni.example/expired" : "https://lms.uni.example/home"
            #expect(r.text.contains(kept), "typed values kept")
            if !value.isEmpty, value.count < 100 {
                #expect(r.text.contains(HTML.escape(value)), "the refused value is shown again, escaped: \(r.text.replacingOccurrences(of: "\u{0}", with: "<NUL>").suffix(3000))")
            }
            #expect(!r.text.contains("<script>alert"))
            #expect(try await Self.snapshot(t, "uni") == before)
            #expect(try await t.count("audit_entries", where: "action = 'org.update'") == 0)
        }
    }

    @Test("manage_org, CSRF and the org tree guard the page and both forms; a parent admin manages a child")
    func access() async throws {
        try await TestApp.run { t in
            // setup
            let (root, _) = try await t.org("root")
            let (child, _) = try await t.org("child", parent: "root")
            let (other, _) = try await t.org("other")
            let parentAdmin = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")
            let noOrg = try await AdminBrowser.signIn(t, org: root, email: "keys@root.example", permissions: [.manageKeys, .manageWebhooks, .manageUsers])
            let childAdmin = try await AdminBrowser.signIn(t, org: child, email: "kid@child.example")
            let outsider = try await AdminBrowser.signIn(t, org: other, email: "x@other.example")
            let before = try await Self.snapshot(t, "root")
            let beforeChild = try await Self.snapshot(t, "child")
            await RefusedReturnHosts.record(["https://refused.example/"], orgID: try root.requireID(), now: t.clock.now(), store: t.store)

            // without manage_org: 403, nothing changes
            #expect(try await noOrg.get("/admin/settings").status == .forbidden)
            #expect(try await noOrg.post("/admin/settings", Self.form()).status == .forbidden)
            #expect(try await noOrg.post("/admin/settings/allow-host", [("host", "refused.example")]).status == .forbidden)
            // without csrf_token: 403
            #expect(try await parentAdmin.post("/admin/settings", Self.form(), csrf: false).status == .forbidden)
            #expect(try await parentAdmin.post("/admin/settings/allow-host", [("host", "refused.example")], csrf: false).status == .forbidden)
            // another tree: 404
            #expect(try await outsider.get("/admin/settings?org=root").status == .notFound)
            #expect(try await outsider.post("/admin/settings?org=root", Self.form()).status == .notFound)
            #expect(try await outsider.post("/admin/settings/allow-host?org=root", [("host", "refused.example")]).status == .notFound)
            #expect(try await parentAdmin.get("/admin/settings?org=other").status == .notFound)
            // the child's admin cannot reach the parent
            #expect(try await childAdmin.get("/admin/settings?org=root").status == .notFound)
            #expect(try await childAdmin.post("/admin/settings?org=root", Self.form()).status == .notFound)
            #expect(try await childAdmin.post("/admin/settings/allow-host?org=root", [("host", "refused.example")]).status == .notFound)
            #expect(try await Self.snapshot(t, "root") == before)
            #expect(try await Self.snapshot(t, "child") == beforeChild)
            #expect(try await t.count("refused_return_hosts") == 1)
            #expect(try await t.count("audit_entries", where: "action IN ('org.update', 'org.allow_return_host')") == 0)

            // the parent's admin manages the child; links keep ?org=child
            let page = try await parentAdmin.get("/admin/settings?org=child")
            #expect(page.status == .ok)
            #expect(page.text.contains("action=\"/admin/settings?org=child\""))
            let saved = try await parentAdmin.post("/admin/settings?org=child", Self.form([("sso_token_ttl", "7200")]))
            #expect(saved.status == .seeOther && saved.headers.first(name: .location) == "/admin/settings?org=child")
            #expect(try await Self.org(t, "child").ssoTokenTTL == 7200)
            #expect(try await Self.snapshot(t, "root") == before)
            #expect(try await t.count("audit_entries", where: "action = 'org.update' AND target = 'child' AND actor = 'admin:boss@root.example'") == 1)
        }
    }

    @Test("a refused return_url host is listed with its count; Allow adds it and the next sign-in's return_url is honoured")
    func refusedHostAllowed() async throws {
        try await TestApp.run { t in
            // setup
            let (acme, key) = try await t.org("acme", returnHosts: ["allowed.example"])
            let admin = try await AdminBrowser.signIn(t, org: acme, email: "ada@acme.example")
            let url = "https://LMS.Partner.example:8443/bye?x=1"
            let encoded = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!

            // MUT: two sign-ins ask for a host that is not allowed; malformed URLs are not recorded
            let first = try await t.member(key: key, partnerID: "u1", query: "&return_url=\(encoded)")
            #expect(try await t.send(.GET, "/logout", headers: [("Cookie", first)]).headers.first(name: .location) == "http://127.0.0.1:8080/signed-out")
            _ = try await t.member(key: key, partnerID: "u1", query: "&return_url=\(encoded)")
            for bad in ["javascript:alert(1)", "https://user@evil.example/", "ftp://ftp.example/", "https://evil.example/%0d%0a", "https://allowed.example/ok"] {
                _ = try await t.member(key: key, partnerID: "u1", query: "&return_url=\(bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            }

            // validate: one row, host lowercased without port, count 2
            #expect(try await t.count("refused_return_hosts") == 1)
            let entries = try await RefusedReturnHosts.recent(orgID: acme.requireID(), since: .distantPast, on: t.store.db)
            #expect(entries.map(\.host) == ["lms.partner.example"] && entries.first?.count == 2)
            let page = try await admin.get("/admin/settings")
            #expect(page.text.contains("<code>lms.partner.example</code></td><td>2</td><td><time datetime="))
            #expect(page.text.contains("name=\"host\" value=\"lms.partner.example\""))
            #expect(page.text.contains("action=\"/admin/settings/allow-host\""))

            // Allow
            let allowed = try await Self.post(from: "203.0.113.8", admin, "/admin/settings/allow-host", [("host", "lms.partner.example")])
            #expect(allowed.status == .seeOther && allowed.headers.first(name: .location) == "/admin/settings")
            #expect(try await Self.org(t, "acme").allowedReturnHosts == ["allowed.example", "lms.partner.example"])
            #expect(try await t.count("refused_return_hosts") == 0)
            #expect(try await admin.auditCount("org.allow_return_host") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'org.allow_return_host' AND target = 'lms.partner.example' AND ip = '203.0.113.8'") == 1)
            #expect(try await admin.get("/admin/settings").text.contains("No sign-in or redirect URL was refused"))

            // the next sign-in with it is honoured
            let next = try await t.member(key: key, partnerID: "u1", query: "&return_url=\(encoded)")
            #expect(try await t.send(.GET, "/logout", headers: [("Cookie", next)]).headers.first(name: .location) == "https://lms.partner.example:8443/bye?x=1")
            #expect(try await t.count("refused_return_hosts") == 0)

            // a host that is not a host name is refused with 422 and nothing changes
            for bad in ["*", "<script>", "", "*.partner.example", String(repeating: "a", count: 10_000)] {
                let r = try await admin.post("/admin/settings/allow-host", [("host", bad)])
                #expect(r.status == .unprocessableEntity, "\(bad.prefix(20))")
                #expect(!r.text.contains("<script>"))
            }
            #expect(try await Self.org(t, "acme").allowedReturnHosts == ["allowed.example", "lms.partner.example"])
            #expect(try await admin.auditCount("org.allow_return_host") == 1)
        }
    }

    @Test("SSO API redirect entity URLs on hosts not allowed are recorded for the subscription's org")
    func refusedRedirectEntity() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni", returnHosts: ["lms.example.edu"])
            try await SSOAPITests.admin(t, org: uni, email: "api@uni.example")
            let user = try await t.send(.POST, "/api/users/u1", key: key)
            let subscriptionID = try #require(user.json["user"]["subscription_id"].string)
            let access = try await SSOAPITests.accessToken(t, email: "api@uni.example")
            let r = try await t.send(.POST, "/api/v1/SsoApi/SignIn?access_token=\(access)", body: #"""
                {"subscription_id":"\#(subscriptionID)","redirect_entity_request":{"logout_url":"https://lms.example.edu/bye",
                "invalid_token_url":"https://Portal.Evil.example/used","expired_token_url":"not a url"}}
                """#)
            #expect(r.status == .ok)
            let entries = try await RefusedReturnHosts.recent(orgID: uni.requireID(), since: .distantPast, on: t.store.db)
            #expect(entries.map(\.host) == ["portal.evil.example"])
        }
    }

    @Test("recording is bounded (hosts per org, host length), counts concurrent refusals once each, and old rows go")
    func recordingBounds() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let (acme, _) = try await t.org("acme")
            let (other, _) = try await t.org("other")
            let acmeID = try acme.requireID()
            let store = t.store

            // concurrent refusals of one host: one row, every one counted
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { await RefusedReturnHosts.record(["https://race.example/x"], orgID: acmeID, now: clock.now(), store: store) }
                }
                try await group.waitForAll()
            }
            #expect(try await RefusedReturnHosts.recent(orgID: acmeID, since: .distantPast, on: t.store.db).first?.count == 8)

            // a host longer than a DNS name is not recorded
            let long = String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63)
                + "." + String(repeating: "d", count: 63) + ".example"
            await RefusedReturnHosts.record(["https://\(long)/"], orgID: acmeID, now: clock.now(), store: t.store)
            #expect(try await t.count("refused_return_hosts") == 1)

            // at most maxHostsPerOrg hosts per org: new ones beyond are dropped, known ones still counted
            let many = (1..<RefusedReturnHosts.maxHostsPerOrg).map { "https://h\($0).example/" }
            await RefusedReturnHosts.record(many, orgID: acmeID, now: clock.now(), store: t.store)
            #expect(try await t.count("refused_return_hosts") == RefusedReturnHosts.maxHostsPerOrg)
            await RefusedReturnHosts.record(["https://one-too-many.example/", "https://race.example/y"], orgID: acmeID, now: clock.now(), store: t.store)
            #expect(try await t.count("refused_return_hosts", where: "host = 'one-too-many.example'") == 0)
            #expect(try await t.count("refused_return_hosts", where: "host = 'race.example' AND count = 9") == 1)
            // another org has its own budget
            await RefusedReturnHosts.record(["https://one-too-many.example/"], orgID: try other.requireID(), now: clock.now(), store: t.store)
            #expect(try await t.count("refused_return_hosts", where: "host = 'one-too-many.example'") == 1)

            // the page shows the last 30 days; the retention job deletes older rows
            clock.advance(by: 31 * 86_400)
            let since = clock.now().addingTimeInterval(-RefusedReturnHosts.window)
            #expect(try await RefusedReturnHosts.recent(orgID: acmeID, since: since, on: t.store.db).isEmpty)
            try await BackgroundJobs.purgeExpired(t.portico)
            #expect(try await t.count("refused_return_hosts") == 0)
            await RefusedReturnHosts.record(["https://fresh.example/"], orgID: acmeID, now: clock.now(), store: t.store)
            #expect(try await RefusedReturnHosts.recent(orgID: acmeID, since: since, on: t.store.db).map(\.host) == ["fresh.example"])
        }
    }

    @Test("mock models render; hostile text comes out escaped")
    func rendering() {
        let plain = AdminSettings.view(.mock).raw
        #expect(plain.contains("<code>lms.demo-staging.example</code>") && plain.contains("<time datetime="))
        #expect(plain.contains("lms.demo.example\n*.demo.example</textarea>"))
        let hostile = AdminSettings.view(.mockHostile).raw
        #expect(!hostile.contains("<script>") && !hostile.contains("</textarea><script"))
        #expect(!hostile.contains("<b>bad") && !hostile.contains("<i>root"))
        #expect(hostile.contains("&lt;/textarea&gt;&lt;script&gt;alert(&#39;hosts&#39;)&lt;/script&gt;</textarea>"))
        #expect(hostile.contains("value=\"&quot;&gt;&lt;script&gt;ttl&lt;/script&gt;\""))
        #expect(hostile.contains("name=\"anonymous_users\" value=\"on\" checked"))
    }
}
