@testable import App
import FluentKit
import NIOCore
import Foundation
import PorticoCore
import Testing
import Vapor
import VaporTesting

@Suite("AdminAppsTests")
struct AdminAppsTests {
    static let launchURL = "https://tutor.example/launch?from=portico"

    /// The value of the first secret shown once on a page.
    static func secret(in page: TestResponse) throws -> String {
        let range = try #require(page.text.range(of: "<code class=\"secret\" data-copy>"))
        let rest = page.text[range.upperBound...]
        return String(rest[..<(try #require(rest.range(of: "</code>"))).lowerBound])
    }

    /// Creates an app through the admin area; returns its key.
    static func createApp(_ admin: AdminBrowser, slug: String, query: String = "") async throws -> String {
        let r = try await admin.post("/admin/apps\(query)", [("slug", slug), ("name", "Tutor \(slug)"), ("launch_url", launchURL)])
        #expect(r.status == .ok, "\(r.text)")
        return try secret(in: r)
    }

    /// What `/jsp/api/getUserId` says of `k`: "key is not correct" when no enabled app has it.
    static func keyRefused(_ t: TestApp, _ key: String) async throws -> Bool {
        let r = try await t.send(.GET, "/jsp/api/getUserId?t=abc&k=\(key)")
        return r.headers.first(name: "X-Error") == "key is not correct"
    }

    @Test("apps: create with the key shown once, errors beside the fields with the typed values kept, duplicates refused")
    func create() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")

            let empty = try await ada.get("/admin/apps")
            #expect(empty.status == .ok)
            #expect(empty.text.contains("No partner apps yet.") && empty.text.contains("name=\"launch_url\""))

            // Every field wrong: 422, each message next to its field, what was typed kept, nothing written.
            let refused = try await ada.post("/admin/apps", [("slug", "Bad Slug"), ("name", "  "), ("launch_url", "http://tutor.example/x")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("id=\"f-slug-error\">app slug must match"))
            #expect(refused.text.contains("id=\"f-name-error\">name must be 1-200 characters"))
            #expect(refused.text.contains("id=\"f-launch_url-error\">launch URL must be https"))
            #expect(refused.text.contains("value=\"Bad Slug\"") && refused.text.contains("value=\"http://tutor.example/x\""))
            #expect(try await t.count("partner_apps") == 0)
            #expect(try await ada.auditCount("app.create") == 0)

            let created = try await ada.post("/admin/apps", [("slug", "tutor"), ("name", "Tutor <Inc>"), ("launch_url", Self.launchURL)])
            #expect(created.status == .ok)
            #expect(created.headers.cacheControl?.noStore == true)
            let key = try Self.secret(in: created)
            #expect(Secrets.isHex32(key))
            #expect(created.text.contains("Tutor &lt;Inc&gt;") && !created.text.contains("Tutor <Inc>"))
            #expect(try await t.count("partner_apps", where: "slug = 'tutor' AND key_hash = '\(Secrets.sha256Hex(key))'") == 1)
            #expect(try await ada.auditCount("app.create") == 1)
            #expect(try await !Self.keyRefused(t, key), "the key shown works at /jsp/api/getUserId")

            let list = try await ada.get("/admin/apps")
            #expect(list.text.contains("href=\"/admin/apps/tutor\"") && list.text.contains("tutor.example/launch"))
            #expect(!list.text.contains(key), "the key is shown once")

            // The same slug again: the error is on the slug field.
            let twice = try await ada.post("/admin/apps", [("slug", "tutor"), ("name", "Again"), ("launch_url", Self.launchURL)])
            #expect(twice.status == .unprocessableEntity)
            #expect(twice.text.contains("id=\"f-slug-error\">") && twice.text.contains("already has an app"))
            #expect(try await t.count("partner_apps") == 1)
            #expect(try await ada.auditCount("app.create") == 1)
        }
    }

    @Test("one app: edit name and launch URL, rotate the key (shown once, old key dead), disable and enable; rotate-secret not yet")
    func appPage() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let key = try await Self.createApp(ada, slug: "tutor")

            let page = try await ada.get("/admin/apps/tutor")
            #expect(page.status == .ok)
            #expect(page.text.contains("value=\"Tutor tutor\"") && page.text.contains("enabled"))
            #expect(try await ada.get("/admin/apps/nope").status == .notFound)

            // Edit: a refused launch URL keeps what was typed, changes nothing.
            let bad = try await ada.post("/admin/apps/tutor", [("name", "New name"), ("launch_url", "ftp://x.example/")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("id=\"f-launch_url-error\">") && bad.text.contains("value=\"ftp://x.example/\""))
            #expect(try await t.count("partner_apps", where: "name = 'Tutor tutor'") == 1)
            let saved = try await ada.post("/admin/apps/tutor", [("name", "New name"), ("launch_url", "https://new.example/go")])
            #expect(saved.status == .seeOther)
            #expect(saved.headers.first(name: .location) == "/admin/apps/tutor")
            #expect(try await t.count("partner_apps", where: "name = 'New name' AND launch_url = 'https://new.example/go'") == 1)
            #expect(try await ada.auditCount("app.update") == 1)
            // The same values again change nothing and write nothing.
            _ = try await ada.post("/admin/apps/tutor", [("name", "New name"), ("launch_url", "https://new.example/go")])
            #expect(try await ada.auditCount("app.update") == 1)

            // Rotate: a new key, shown once; the old one refused.
            let rotated = try await ada.post("/admin/apps/tutor/rotate-key")
            #expect(rotated.status == .ok)
            let newKey = try Self.secret(in: rotated)
            #expect(Secrets.isHex32(newKey) && newKey != key)
            #expect(try await Self.keyRefused(t, key))
            #expect(try await !Self.keyRefused(t, newKey))
            #expect(try await ada.auditCount("app.rotate_key") == 1)
            #expect(!(try await ada.get("/admin/apps/tutor")).text.contains(newKey))

            // Disable, enable.
            let disabled = try await ada.post("/admin/apps/tutor/disable")
            #expect(disabled.status == .seeOther)
            #expect(try await Self.keyRefused(t, newKey))
            #expect((try await ada.get("/admin/apps/tutor")).text.contains("Enable app"))
            #expect(try await ada.post("/admin/apps/tutor/enable").status == .seeOther)
            #expect(try await !Self.keyRefused(t, newKey))
            #expect(try await ada.auditCount("app.disable") == 1)
            #expect(try await ada.auditCount("app.enable") == 1)

            // A launch-only app has no client secret to rotate.
            let secret = try await ada.post("/admin/apps/tutor/rotate-secret")
            #expect(secret.status == .unprocessableEntity)
            #expect(secret.text.contains("has no client secret"))
            #expect(try await ada.auditCount("app.rotate_secret") == 0)
        }
    }

    @Test("OpenID Connect in the admin area: create a client (secret shown once), refused URIs beside the field, lists edited, first redirect URI brings the secret, rotate-secret")
    func openIDConnectClients() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")

            let refused = try await ada.post("/admin/apps", [
                ("slug", "notes"), ("name", "Notes"), ("redirect_uris", "https://notes.example/cb\nhttp://notes.example/cb"),
            ])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("id=\"f-redirect_uris-error\">redirect URIs must be https"))
            #expect(refused.text.contains("http://notes.example/cb</textarea>"), "what was typed is kept")
            #expect(try await t.count("partner_apps") == 0)
            let neither = try await ada.post("/admin/apps", [("slug", "notes"), ("name", "Notes")])
            #expect(neither.status == .unprocessableEntity && neither.text.contains("a launch URL or a redirect URI"))

            let created = try await ada.post("/admin/apps", [
                ("slug", "notes"), ("name", "Notes"), ("redirect_uris", " https://notes.example/cb \r\n\r\nhttps://notes.example/cb2"),
                ("post_logout_redirect_uris", "https://notes.example/bye"),
            ])
            #expect(created.status == .ok, "\(created.text.components(separatedBy: "class=\"error\"").dropFirst().first?.prefix(200) ?? "")")
            let clientSecret = try #require(created.text.components(separatedBy: "<code class=\"secret\" data-copy>").dropFirst(2).first?
                .components(separatedBy: "</code>").first)
            #expect(OpenIDConnect.isSecretShape(clientSecret))
            let app = try #require(try await PartnerApps.find(org: uni, slug: "notes", on: t.store.db))
            #expect(app.redirectURIs == ["https://notes.example/cb", "https://notes.example/cb2"])
            #expect(app.postLogoutRedirectURIs == ["https://notes.example/bye"] && app.launchURLIfAny == nil && !app.hasKey)
            #expect(app.clientSecretHash == Secrets.sha256Hex(clientSecret))
            #expect(created.text.contains(app.clientID!))
            let page = try await ada.get("/admin/apps/notes")
            #expect(page.text.contains(app.clientID!) && !page.text.contains(clientSecret), "the secret is shown once")
            #expect(page.text.contains("OpenID Connect only"))
            #expect(page.text.contains("name=\"name\"") && !page.text.contains("name=\"launch_url\"") && !page.text.contains("Rotate key"))

            // Without a launch URL, the name alone is edited; a launch URL cannot be added to it.
            #expect(try await ada.post("/admin/apps/notes", [("name", "Notes 2")]).status == .seeOther)
            #expect(try await PartnerApps.find(org: uni, slug: "notes", on: t.store.db)?.name == "Notes 2")
            let addLaunch = try await ada.post("/admin/apps/notes", [("name", "Notes 3"), ("launch_url", "https://notes.example/launch")])
            #expect(addLaunch.status == .unprocessableEntity)
            let kept = try #require(try await PartnerApps.find(org: uni, slug: "notes", on: t.store.db))
            #expect(kept.name == "Notes 2" && kept.launchURLIfAny == nil && !kept.hasKey)
            #expect(try await ada.post("/admin/apps/notes/rotate-key").status == .unprocessableEntity)

            // Lists replace; a refused list is 422 with the typed text kept and nothing changed.
            let bad = try await ada.post("/admin/apps/notes/client", [("redirect_uris", "https://notes.example/cb#frag")])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("https://notes.example/cb#frag</textarea>"))
            #expect(try await PartnerApps.find(org: uni, slug: "notes", on: t.store.db)?.redirectURIs.count == 2)
            let saved = try await ada.post("/admin/apps/notes/client", [("redirect_uris", "https://notes.example/only"), ("post_logout_redirect_uris", "")])
            #expect(saved.status == .seeOther)
            let after = try #require(try await PartnerApps.find(org: uni, slug: "notes", on: t.store.db))
            #expect(after.redirectURIs == ["https://notes.example/only"] && after.postLogoutRedirectURIs.isEmpty)
            #expect(after.clientSecretHash == app.clientSecretHash, "editing lists keeps the secret")

            let rotated = try await ada.post("/admin/apps/notes/rotate-secret")
            #expect(rotated.status == .ok)
            let newSecret = try Self.secret(in: rotated)
            #expect(newSecret != clientSecret)
            #expect(try await PartnerApps.find(org: uni, slug: "notes", on: t.store.db)?.clientSecretHash == Secrets.sha256Hex(newSecret))
            #expect(try await ada.auditCount("app.rotate_secret") == 1)

            // A launch app that gets its first redirect URI gets its secret, shown once.
            _ = try await Self.createApp(ada, slug: "tutor")
            let first = try await ada.post("/admin/apps/tutor/client", [("redirect_uris", "https://tutor.example/cb")])
            #expect(first.status == .ok)
            let firstSecret = try Self.secret(in: first)
            #expect(try await PartnerApps.find(org: uni, slug: "tutor", on: t.store.db)?.clientSecretHash == Secrets.sha256Hex(firstSecret))
        }
    }

    @Test("apps need manage_org (403) and CSRF (403); other trees and parents are 404; nothing changes on a refusal")
    func authorization() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let (child, _) = try await t.org("child", parent: "root")
            let (other, _) = try await t.org("other")
            let boss = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")
            let key = try await Self.createApp(boss, slug: "tutor")
            let viewer = try await AdminBrowser.signIn(t, org: root, email: "viewer@root.example", permissions: [.manageUsers, .manageKeys, .manageWebhooks])
            let stranger = try await AdminBrowser.signIn(t, org: other, email: "x@other.example")
            let childAdmin = try await AdminBrowser.signIn(t, org: child, email: "kid@child.example")

            let app = "/admin/apps/tutor"
            let posts: [(String, [(String, String)])] = [
                ("/admin/apps", [("slug", "new-app"), ("name", "New"), ("launch_url", Self.launchURL)]),
                (app, [("name", "Changed"), ("launch_url", "https://changed.example/")]),
                (app + "/rotate-key", []), (app + "/disable", []), (app + "/enable", []), (app + "/rotate-secret", []),
            ]
            // Without manage_org: 403 on every page and action.
            #expect(try await viewer.get("/admin/apps").status == .forbidden)
            #expect(try await viewer.get(app).status == .forbidden)
            for (path, fields) in posts {
                #expect(try await viewer.post(path, fields).status == .forbidden, "\(path)")
            }
            // Without csrf_token: 403.
            for (path, fields) in posts {
                #expect(try await boss.post(path, fields, csrf: false).status == .forbidden, "\(path)")
            }
            // Another tree: the app does not exist there, and root is not theirs to pick.
            #expect(try await stranger.get(app).status == .notFound)
            #expect(try await stranger.get("/admin/apps?org=root").status == .notFound)
            #expect(try await stranger.get(app + "?org=root").status == .notFound)
            for (path, fields) in posts {
                #expect(try await stranger.post(path, fields).status == .notFound || path == "/admin/apps", "\(path)")
                #expect(try await stranger.post(path + "?org=root", fields).status == .notFound, "\(path)")
            }
            // A child's admin cannot reach the parent.
            #expect(try await childAdmin.get("/admin/apps?org=root").status == .notFound)
            #expect(try await childAdmin.get(app + "?org=root").status == .notFound)
            for (path, fields) in posts {
                #expect(try await childAdmin.post(path + "?org=root", fields).status == .notFound, "\(path)")
            }
            // Nothing changed in root (the stranger's create above went to their own org).
            #expect(try await PartnerApp.query(on: t.store.db).filter(\.$orgID == root.requireID()).count() == 1)
            let stored = try #require(try await PartnerApps.find(org: root, slug: "tutor", on: t.store.db))
            #expect(stored.name == "Tutor tutor" && stored.enabled && stored.launchURL == Self.launchURL)
            #expect(try await !Self.keyRefused(t, key))
            #expect(try await t.count("audit_entries", where: "action LIKE 'app.%' AND actor <> 'admin:boss@root.example' AND actor <> 'admin:x@other.example'") == 0)

            // The parent's admin manages the child through ?org=child; links keep it.
            let childKey = try await Self.createApp(boss, slug: "kid-app", query: "?org=child")
            let childList = try await boss.get("/admin/apps?org=child")
            #expect(childList.status == .ok && childList.text.contains("href=\"/admin/apps/kid-app?org=child\""))
            #expect(try await boss.get("/admin/apps/kid-app").status == .notFound, "the app is the child's, not root's")
            #expect(try await boss.post("/admin/apps/kid-app/disable?org=child").headers.first(name: .location) == "/admin/apps/kid-app?org=child")
            #expect(try await Self.keyRefused(t, childKey))
            #expect(try await PartnerApps.find(org: child, slug: "kid-app", on: t.store.db)?.enabled == false)
            #expect(try await AuditEntry.query(on: t.store.db).filter(\.$action == "app.disable").filter(\.$orgID == child.requireID()).count() == 1)
        }
    }

    @Test("hostile input: markup, quotes, CR/LF, NUL, 10 000 characters, empty and huge values give a 4xx, never a 5xx or a write")
    func hostileInput() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            _ = try await Self.createApp(ada, slug: "tutor")
            let long = String(repeating: "a", count: 10_000)
            let badSlugs = ["<script>alert(1)</script>", "\"'><b>", "a\r\nSet-Cookie: x=1", "a\u{0}b", long, "", "-1", "Tutor", "tutor"]
            let badNames = ["", "   ", "a\r\nSet-Cookie: x=1", "a\u{0}b", long, "tab\there"]
            let badURLs = ["<script>alert(1)</script>", "\"'><b>", "a\r\nSet-Cookie: x=1", "a\u{0}b", long, "", "9223372036854775808", "-1",
                           "javascript:alert(1)", "https://user:pw@e.example/", "https://e.example/#frag", "https://e.example/\r\nx",
                           "https://e.example/%0d%0aX", "http://e.example/", "https://" + long + ".example/"]
            var attempts: [[(String, String)]] = badSlugs.map { [("slug", $0), ("name", "N"), ("launch_url", Self.launchURL)] }
            attempts += badNames.map { [("slug", "ok-slug"), ("name", $0), ("launch_url", Self.launchURL)] }
            attempts += badURLs.map { [("slug", "ok-slug"), ("name", "N"), ("launch_url", $0)] }
            for fields in attempts {
                let r = try await ada.post("/admin/apps", fields)
                #expect((400..<500).contains(Int(r.status.code)), "\(fields.map { "\($0.0)=\($0.1.prefix(30))" }): \(r.status)")
                #expect(!r.text.contains("<script>alert(1)</script>"))
            }
            for value in badURLs {
                let edit = try await ada.post("/admin/apps/tutor", [("name", "Kept"), ("launch_url", value)])
                #expect((400..<500).contains(Int(edit.status.code)), "edit \(value.prefix(30)): \(edit.status)")
                #expect(!edit.text.contains("<script>alert(1)</script>"))
            }
            for value in badNames {
                let edit = try await ada.post("/admin/apps/tutor", [("name", value), ("launch_url", Self.launchURL)])
                #expect((400..<500).contains(Int(edit.status.code)), "edit name \(value.prefix(30)): \(edit.status)")
            }
            #expect(try await t.count("partner_apps") == 1)
            #expect(try await t.count("partner_apps", where: "name = 'Tutor tutor' AND launch_url = '\(Self.launchURL)'") == 1)
            #expect(try await ada.auditCount("app.create") == 1)
            #expect(try await ada.auditCount("app.update") == 0)

            // Markup in a name is stored as typed and shown escaped.
            let markup = try await ada.post("/admin/apps/tutor", [("name", "<script>alert(1)</script> & \"q\""), ("launch_url", Self.launchURL)])
            #expect(markup.status == .seeOther)
            let shown = try await ada.get("/admin/apps/tutor")
            #expect(shown.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;") && !shown.text.contains("<script>alert(1)"))

            // Slugs in the path that cannot be one: 404, never 5xx.
            for path in ["/admin/apps/%00", "/admin/apps/..%2F..", "/admin/apps/\(long)", "/admin/apps/TUTOR", "/admin/apps/%E2%80%AE"] {
                #expect(try await ada.get(path).status == .notFound, "\(path.prefix(40))")
                #expect(try await ada.post(path + "/rotate-key").status == .notFound, "\(path.prefix(40))")
            }
            #expect(try await ada.auditCount("app.rotate_key") == 0)
        }
    }

    @Test("each change is audited with the admin, the action, the target and the client address")
    func auditAddress() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            // Over a real socket, so the request has a client address.
            let statuses = try await Self.livePosts(t, ada, [
                ("/admin/apps", [("slug", "tutor"), ("name", "Tutor"), ("launch_url", Self.launchURL)]),
                ("/admin/apps/tutor/rotate-key", []), ("/admin/apps/tutor/disable", []), ("/admin/apps/tutor/enable", []),
                ("/admin/apps/tutor", [("name", "Tutor 2"), ("launch_url", Self.launchURL)]),
            ])
            #expect(statuses == [200, 200, 303, 303, 303])
            for action in ["app.create", "app.rotate_key", "app.disable", "app.enable", "app.update"] {
                #expect(try await t.count("audit_entries", where: """
                    action = '\(action)' AND actor = 'admin:ada@uni.example' AND target = 'tutor' AND ip = '127.0.0.1'
                    """) == 1, "\(action)")
            }
        }
    }

    /// Form posts from the client address 127.0.0.1; each answer's status.
    static func livePosts(_ t: TestApp, _ admin: AdminBrowser, _ posts: [(String, [(String, String)])]) async throws -> [Int] {
        var statuses: [Int] = []
        for (path, fields) in posts {
            statuses.append(Int(try await admin.post(path, fields, from: "127.0.0.1").status.code))
        }
        return statuses
    }

    @Test("views: mocks render, hostile text comes out escaped, the key once, forms carry csrf_token")
    func views() {
        for model in [AdminApps.Model.mock, .mockCreated, .mockInvalid, .mockHostile] {
            let html = AdminApps.view(model).raw
            #expect(html.contains("name=\"csrf_token\""))
            #expect(!html.contains("<script>alert") && !html.contains("<b onmouseover") && !html.contains("\"><script>"))
        }
        #expect(AdminApps.view(.mockCreated).raw.contains("a1b2c3d4e5f60718293a4b5c6d7e8f90"))
        #expect(!AdminApps.view(.mock).raw.contains("a1b2c3d4e5f60718293a4b5c6d7e8f90"))
        #expect(AdminApps.view(.mockInvalid).raw.contains("value=\"Bad Slug\""))
        #expect(AdminApps.view(.mockHostile).raw.contains("&lt;script&gt;alert(&#39;app&#39;)&lt;/script&gt;"))
        for model in [AdminApp.Model.mock, .mockRotated, .mockDisabled, .mockHostile] {
            let html = AdminApp.view(model).raw
            #expect(html.contains("name=\"csrf_token\"") && html.contains("/rotate-key"))
            #expect(!html.contains("<script>alert") && !html.contains("<script>name") && !html.contains("<script>secret") && !html.contains("<i>bad"))
        }
        #expect(AdminApp.view(.mockRotated).raw.contains("a1b2c3d4e5f60718293a4b5c6d7e8f90"))
        #expect(AdminApp.view(.mockDisabled).raw.contains("/enable\""))
        #expect(AdminApp.view(.mock).raw.contains("/disable\""))
    }
}
