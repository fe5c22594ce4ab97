@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor
import VaporTesting

@Suite("AdminUsersTests")
struct AdminUsersTests {
    /// Creates a user through the Partner API (with an email, when given).
    @discardableResult
    static func user(_ t: TestApp, key: String, _ partnerID: String, email: String? = nil) async throws -> TestResponse {
        let body = email.map { "{\"email\": \"\($0)\", \"first_name\": \"First\", \"last_name\": \"Last\"}" }
        let r = try await t.send(.POST, "/api/users/\(partnerID)", key: key, body: body)
        #expect(r.status == .ok, "\(r.text)")
        return r
    }

    /// The partner_ids a users page links to, in page order.
    static func listed(_ page: TestResponse) -> [String] {
        page.text.components(separatedBy: "<tr><td><a href=\"/admin/users/").dropFirst().map { String($0.prefix { $0 != "\"" && $0 != "?" }) }
    }

    static func record(_ t: TestApp, org: Organization, _ partnerID: String) async throws -> UserRecord? {
        try await t.portico.hotPaths.user(orgID: org.requireID(), partnerID: partnerID, now: t.clock.now())
    }

    @Test("search: partner_id prefix case-sensitive, email prefix case-insensitive, % and _ literal, newest first without q, other orgs never")
    func searchRules() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            let (_, otherKey) = try await t.org("other")
            try await Self.user(t, key: key, "Ann-1", email: "Ann.Lee@Example.edu")
            t.clock.advance(by: 1)
            try await Self.user(t, key: key, "ann-2", email: "bob@x.edu")
            t.clock.advance(by: 1)
            try await Self.user(t, key: key, "a_b", email: "c%d@x.edu")
            t.clock.advance(by: 1)
            try await Self.user(t, key: key, "axb", email: "cxd@x.edu")
            t.clock.advance(by: 1)
            try await Self.user(t, key: key, "zed", email: "ANN@other.edu")
            t.clock.advance(by: 1)
            try await Self.user(t, key: otherKey, "ann-other", email: "ann@other.edu")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])

            func search(_ q: String) async throws -> [String] {
                let r = try await ada.get("/admin/users?q=\(AdminBrowser.encode(q))")
                #expect(r.status == .ok, "\(q): \(r.status)")
                return Self.listed(r)
            }
            #expect(try await search("") == ["zed", "axb", "a_b", "ann-2", "Ann-1"], "newest first")
            #expect(try await search("ann") == ["Ann-1", "ann-2", "zed"], "ann-2 by partner_id; Ann-1 and zed by email in any case")
            #expect(try await search("Ann") == ["Ann-1", "zed"], "partner_id is case-sensitive: not ann-2")
            #expect(try await search("ANN@") == ["zed"])
            #expect(try await search("a_") == ["a_b"], "_ is literal, not any character")
            #expect(try await search("a_b") == ["a_b"])
            #expect(try await search("c%") == ["a_b"], "% is literal")
            #expect(try await search("c%d@X.EDU") == ["a_b"])
            #expect(try await search("%").isEmpty)
            #expect(try await search("_").isEmpty)
            #expect(try await search("\\").isEmpty)
            #expect(try await search("ann-other").isEmpty, "another org's user")
            #expect(try await search("  ann-2 ") == ["ann-2"], "surrounding spaces are ignored")
            #expect(try await search("nobody").isEmpty)
            #expect((try await ada.get("/admin/users?q=nobody")).text.contains("No users found."))
        }
    }

    @Test("search paging: 50 a page with a next link; bad page numbers and bad search text are 4xx pages, never 5xx")
    func paging() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            for n in 0..<52 {
                try await Self.user(t, key: key, String(format: "u%03d", n))
                t.clock.advance(by: 1)
            }
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            let first = try await ada.get("/admin/users")
            #expect(Self.listed(first).count == 50)
            #expect(Self.listed(first).first == "u051")
            #expect(first.text.contains("href=\"/admin/users?page=2\""))
            let second = try await ada.get("/admin/users?page=2")
            #expect(Self.listed(second) == ["u001", "u000"])
            #expect(!second.text.contains("page=3") && second.text.contains("href=\"/admin/users\">← Previous"))
            let searched = try await ada.get("/admin/users?q=u0&page=2")
            #expect(Self.listed(searched) == ["u050", "u051"])
            #expect(Self.listed(try await ada.get("/admin/users?page=3")).isEmpty)

            for bad in ["0", "-1", "abc", "9223372036854775808", "1e3", "10001", "%00", "1%0a", String(repeating: "9", count: 10_000)] {
                let r = try await ada.get("/admin/users?page=\(bad)")
                #expect((400..<500).contains(Int(r.status.code)), "page=\(bad.prefix(20)): \(r.status)")
            }
            for bad in ["%00", "a%00b", "a%0d%0ab", String(repeating: "a", count: 10_000)] {
                let r = try await ada.get("/admin/users?q=\(bad)")
                #expect(r.status == .unprocessableEntity, "q=\(bad.prefix(20)): \(r.status)")
                #expect(r.text.contains("id=\"f-q-error\""))
            }
            let markup = try await ada.get("/admin/users?q=\(AdminBrowser.encode("<script>alert(1)</script>\"'"))")
            #expect(markup.status == .ok)
            #expect(!markup.text.contains("<script>alert(1)") && markup.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"))
        }
    }

    @Test("the user page shows the same track numbers as the Partner API's tracks endpoint")
    func trackNumbers() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            try await Self.user(t, key: key, "ann", email: "ann@uni.example")
            let user = try #require(try await Self.record(t, org: uni, "ann"))
            let curriculum = t.portico.curriculum
            let second = try #require(curriculum.tracks.dropFirst().first)
            for number in [1, 3] + second.chapters.map(\.number) {
                try await Learning.completeChapter(number, user: user, curriculum: curriculum, now: t.clock.now(), store: t.store)
                t.clock.advance(by: 60)
            }
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            let page = try await ada.get("/admin/users/ann")
            #expect(page.status == .ok)
            let api = try await t.send(.GET, "/api/users/ann/tracks", key: key)
            let tracks = api.json["tracks"].array
            #expect(tracks.count == curriculum.tracks.count)
            #expect(tracks.contains { $0["chapters_completed"].int == 2 } && tracks.contains { $0["percent_complete"].int == 100 })
            for track in tracks {
                let id = try #require(track["id"].string)
                let line = "\(try #require(track["chapters_completed"].int)) of \(try #require(track["chapters_total"].int)) chapters · \(try #require(track["percent_complete"].int))%"
                let item = try #require(page.text.components(separatedBy: "data-track=\"\(id)\"").dropFirst().first)
                #expect(item.prefix(while: { $0 != "\n" }).contains(line), "\(id): \(line)")
            }
            // The page's model is built from the same numbers.
            let model = try await AdminUser.Model.query(user: user, admin: .mock, curriculum: curriculum, signInLink: nil, on: t.store.db)
            #expect(model.tracks.map(\.chaptersCompleted) == tracks.map { $0["chapters_completed"].int ?? -1 })
            #expect(model.tracks.map(\.percentComplete) == tracks.map { $0["percent_complete"].int ?? -1 })
            #expect(model.tracks.map(\.completedAt) == tracks.map { $0["completed_at"].date })
        }
    }

    @Test("the user page: profile, subscriptions, interviews, enrollments and the user's own sign-ins, newest first")
    func userPage() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            try await t.org("dept", parent: "uni")
            try await Self.user(t, key: key, "ann", email: "ann@uni.example")
            try await Self.user(t, key: key, "bob", email: "bob@uni.example")
            #expect(try await t.send(.POST, "/api/users/ann/subscriptions", key: key, body: "{\"org\": \"dept\"}").status == .ok)
            let course = try #require(t.portico.curriculum.courses.first)
            #expect(try await t.send(.POST, "/api/users/ann/enrollments", key: key, body: "{\"course_id\": \"\(course.id)\"}").status == .ok)
            let ann = try #require(try await Self.record(t, org: uni, "ann"))
            let set = try #require(t.portico.curriculum.questionSets.first)
            _ = try await Learning.startInterview(user: ann, questionSet: set, now: t.clock.now(), store: t.store)
            _ = try await t.member(key: key, partnerID: "ann")
            t.clock.advance(by: 3600)
            _ = try await t.member(key: key, partnerID: "ann")
            _ = try await t.member(key: key, partnerID: "bob")

            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            let page = try await ada.get("/admin/users/ann")
            #expect(page.status == .ok)
            let text = page.text
            #expect(text.contains("ann@uni.example") && text.contains(ann.id.uuidString.lowercased()))
            #expect(text.contains("<code>uni</code>") && text.contains("<code>dept</code>"), "both subscriptions")
            #expect(text.contains(course.title) && text.contains(set.title))
            let signIns = try #require(text.components(separatedBy: "<h2>Sign-ins</h2>").last)
            #expect(signIns.components(separatedBy: "<time").count - 1 == 2, "ann's two sign-ins, not bob's")
            let times = signIns.components(separatedBy: "datetime=\"").dropFirst().map { String($0.prefix(20)) }
            #expect(times == times.sorted(by: >), "newest first")
            #expect(text.contains("title=\""), "times carry their RFC 3339 value")
        }
    }

    @Test("sign-in link: shown once as the full /login/sso URL, single use, audited")
    func signInLink() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            try await Self.user(t, key: key, "ann", email: "ann@uni.example")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            let r = try await ada.post("/admin/users/ann/sign-in-link")
            #expect(r.status == .ok)
            let url = try AdminAppsTests.secret(in: r)
            #expect(url.hasPrefix("http://127.0.0.1:8080/login/sso?token="))
            let token = String(url.dropFirst("http://127.0.0.1:8080/login/sso?token=".count))
            #expect(Secrets.isHex32(token))
            #expect(try await ada.auditCount("user.sign_in_link") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'user.sign_in_link' AND target = 'ann'") == 1)
            #expect(!(try await ada.get("/admin/users/ann")).text.contains(token), "shown once")

            let (first, cookie) = try await t.signIn(token: token)
            #expect(first.status == .seeOther && cookie != nil)
            let (again, _) = try await t.signIn(token: token)
            #expect(again.status == .unauthorized, "one-off")
            #expect((try await ada.get("/admin/users/ann")).text.components(separatedBy: "<h2>Sign-ins</h2>").last?.contains("<time") == true)
        }
    }

    @Test("delete: a confirmation page, then the same effect and outbox event as the Partner API's DELETE")
    func delete() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            try await Self.user(t, key: key, "ann", email: "ann@uni.example")
            try await Self.user(t, key: key, "bob", email: "bob@uni.example")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            let ann = try #require(try await Self.record(t, org: uni, "ann"))

            let confirm = try await ada.get("/admin/users/ann/delete")
            #expect(confirm.status == .ok)
            #expect(confirm.text.contains("action=\"/admin/users/ann/delete\"") && confirm.text.contains("name=\"csrf_token\""))
            #expect(try await Self.record(t, org: uni, "ann") != nil, "the confirmation page deletes nothing")

            let deleted = try await ada.post("/admin/users/ann/delete")
            #expect(deleted.status == .seeOther)
            #expect(deleted.headers.first(name: .location) == "/admin/users")
            #expect(try await Self.record(t, org: uni, "ann") == nil)
            #expect(try await t.count("subscriptions", where: "1 = 1") == 1, "only bob's is left")
            #expect(try await ada.get("/admin/users/ann").status == .notFound)
            #expect(try await t.send(.GET, "/api/users/ann", key: key).status == .notFound)
            #expect(try await ada.auditCount("user.delete") == 1)

            #expect(try await t.send(.DELETE, "/api/users/bob", key: key).status == .noContent)
            let events = try await Event.query(on: t.store.db).filter(\.$orgID == uni.requireID()).sort(\.$sequence).all()
            let deletions = events.filter { $0.type.hasSuffix("deleted") }
            #expect(deletions.count == 2)
            #expect(deletions.map(\.type) == ["user.deleted", "user.deleted"], "the admin area and the API emit the same event")
            #expect(deletions.first?.payload.lowercased().contains(ann.id.uuidString.lowercased()) == true)
            #expect(events.allSatisfy { !$0.payload.contains("@uni.example") }, "no personal data left in the events")
        }
    }

    @Test("users need manage_users (403) and CSRF (403); other trees and parents are 404; nothing changes on a refusal")
    func authorization() async throws {
        try await TestApp.run { t in
            let (root, rootKey) = try await t.org("root")
            let (child, childKey) = try await t.org("child", parent: "root")
            let (other, _) = try await t.org("other")
            try await Self.user(t, key: rootKey, "ann", email: "ann@root.example")
            try await Self.user(t, key: childKey, "kid", email: "kid@child.example")
            let boss = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")
            let noUsers = try await AdminBrowser.signIn(t, org: root, email: "keys@root.example", permissions: [.manageKeys, .manageOrg, .manageWebhooks])
            let stranger = try await AdminBrowser.signIn(t, org: other, email: "x@other.example")
            let childAdmin = try await AdminBrowser.signIn(t, org: child, email: "c@child.example")
            let tokensBefore = try await t.count("sso_tokens")

            let pages = ["/admin/users", "/admin/users?q=ann", "/admin/users/ann", "/admin/users/ann/delete"]
            let posts = ["/admin/users/ann/delete", "/admin/users/ann/sign-in-link"]
            for page in pages { #expect(try await noUsers.get(page).status == .forbidden, "\(page)") }
            for post in posts { #expect(try await noUsers.post(post).status == .forbidden, "\(post)") }
            for post in posts { #expect(try await boss.post(post, csrf: false).status == .forbidden, "\(post)") }
            for page in pages.dropFirst(2) { #expect(try await stranger.get(page).status == .notFound, "\(page)") }
            for page in pages { #expect(try await stranger.get(page + (page.contains("?") ? "&" : "?") + "org=root").status == .notFound, "\(page)") }
            for post in posts {
                #expect(try await stranger.post(post).status == .notFound, "\(post)")
                #expect(try await stranger.post(post + "?org=root").status == .notFound, "\(post)")
                #expect(try await childAdmin.post(post + "?org=root").status == .notFound, "\(post)")
            }
            for page in pages { #expect(try await childAdmin.get(page + (page.contains("?") ? "&" : "?") + "org=root").status == .notFound, "\(page)") }
            #expect(try await childAdmin.get("/admin/users/ann").status == .notFound, "ann is root's, not child's")
            // Nothing changed.
            #expect(try await Self.record(t, org: root, "ann") != nil)
            #expect(try await t.count("sso_tokens") == tokensBefore)
            #expect(try await t.count("audit_entries", where: "action IN ('user.delete', 'user.sign_in_link')") == 0)

            // The parent's admin manages the child's users through ?org=child.
            let list = try await boss.get("/admin/users?org=child")
            #expect(Self.listed(list) == ["kid"])
            #expect(list.text.contains("href=\"/admin/users/kid?org=child\"") && list.text.contains("name=\"org\" value=\"child\""))
            #expect(Self.listed(try await boss.get("/admin/users")) == ["ann"], "root's own list has only root's users")
            #expect(try await boss.get("/admin/users/kid").status == .notFound)
            #expect(try await boss.get("/admin/users/kid?org=child").status == .ok)
            #expect(try await boss.post("/admin/users/kid/sign-in-link?org=child").status == .ok)
            let gone = try await boss.post("/admin/users/kid/delete?org=child")
            #expect(gone.status == .seeOther && gone.headers.first(name: .location) == "/admin/users?org=child")
            #expect(try await Self.record(t, org: child, "kid") == nil)
            #expect(try await AuditEntry.query(on: t.store.db).filter(\.$action == "user.delete").filter(\.$orgID == child.requireID()).count() == 1)
        }
    }

    @Test("odd partner_ids in the path (percent-encoded, .., NUL, too long, reserved) are 404 pages, never 5xx")
    func oddPartnerIDs() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            try await Self.user(t, key: key, "ann")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            let odd = ["%2E%2E", "..", "a%00b", "%00", "ann%2F..", "a%20b", "ann%0d%0a", "anonymous", "ANN", "%61nn%25",
                       String(repeating: "a", count: 256), "%E2%80%AE", "<script>", "ann%3Cscript%3E", "9223372036854775808x%FF"]
            for id in odd {
                for path in ["/admin/users/\(id)", "/admin/users/\(id)/delete"] {
                    let r = try await ada.get(path)
                    #expect((400..<500).contains(Int(r.status.code)), "GET \(path.prefix(40)): \(r.status)")
                }
                for path in ["/admin/users/\(id)/delete", "/admin/users/\(id)/sign-in-link"] {
                    let r = try await ada.post(path)
                    #expect((400..<500).contains(Int(r.status.code)), "POST \(path.prefix(40)): \(r.status)")
                }
            }
            #expect(try await ada.get("/admin/users/a%00b").status == .notFound)
            #expect(try await ada.get("/admin/users/%2E%2E").status == .notFound)
            #expect(try await Self.record(t, org: uni, "ann") != nil)
            #expect(try await t.count("audit_entries", where: "action IN ('user.delete', 'user.sign_in_link')") == 0)
        }
    }

    @Test("each change is audited with the admin, the action, the target and the client address")
    func auditAddress() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            try await Self.user(t, key: key, "ann")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageUsers])
            let statuses = try await AdminAppsTests.livePosts(t, ada, [("/admin/users/ann/sign-in-link", []), ("/admin/users/ann/delete", [])])
            #expect(statuses == [200, 303])
            for action in ["user.sign_in_link", "user.delete"] {
                #expect(try await t.count("audit_entries", where: """
                    action = '\(action)' AND actor = 'admin:ada@uni.example' AND target = 'ann' AND ip = '127.0.0.1'
                    """) == 1, "\(action)")
            }
        }
    }

    @Test("views: mocks render, hostile text comes out escaped, forms carry csrf_token")
    func views() {
        for model in [AdminUsers.Model.mock, .mockEmpty, .mockHostile, .mockInvalid] {
            let html = AdminUsers.view(model).raw
            #expect(!html.contains("<script>q") && !html.contains("<script>error") && !html.contains("<script>alert") && !html.contains("<b>O'Neil"))
        }
        #expect(AdminUsers.view(.mock).raw.contains("href=\"/admin/users?page=2\""))
        #expect(AdminUsers.view(.mockHostile).raw.contains("&lt;script&gt;alert(&#39;mail&#39;)&lt;/script&gt;"))
        #expect(AdminUsers.view(.mockInvalid).raw.contains("id=\"f-q-error\">&lt;script&gt;error&lt;/script&gt;"))
        for model in [AdminUser.Model.mock, .mockWithLink, .mockHostile] {
            let html = AdminUser.view(model).raw
            #expect(html.contains("name=\"csrf_token\"") && html.contains("/sign-in-link"))
            for raw in ["<script>first", "<script>org", "<script>track", "<script>chapter", "<script>interview", "<script>course",
                        "<script>ip", "<script>link", "<script>alert", "<b>\"", "<i>"] {
                #expect(!html.contains(raw), "\(raw)")
            }
        }
        #expect(AdminUser.view(.mockWithLink).raw.contains("http://127.0.0.1:8080/login/sso?token=a1b2c3d4e5f60718293a4b5c6d7e8f90"))
        #expect(AdminUser.view(.mock).raw.contains("2 of 6 chapters · 33%"))
        for model in [AdminUserDelete.Model.mock, .mockHostile] {
            let html = AdminUserDelete.view(model).raw
            #expect(html.contains("name=\"csrf_token\"") && html.contains("/delete\""))
            #expect(!html.contains("<script>"))
        }
    }
}
