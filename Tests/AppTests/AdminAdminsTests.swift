@testable import App
import FluentKit
import Foundation
import PorticoCore
import SQLKit
import Testing
import Vapor

/// The admins page (`manage_org`) and the account page (any admin), SPEC §8.
@Suite("AdminAdminsTests")
struct AdminAdminsTests {
    static func admin(_ t: TestApp, _ email: String) async throws -> Admin? {
        try await Admin.find(email: email, on: t.store.db)
    }

    static func id(_ t: TestApp, _ email: String) async throws -> String {
        try #require(try await admin(t, email)?.id).uuidString.lowercased()
    }

    static func permissions(_ t: TestApp, _ email: String) async throws -> [String] {
        try await admin(t, email)?.permissions ?? []
    }

    /// An admin created directly (cheap bcrypt), not signed in.
    @discardableResult
    static func make(_ t: TestApp, org: Organization, _ email: String, _ permissions: [Admin.Permission]) async throws -> Admin {
        try await Credentials.createAdmin(
            org: org, email: email, passwordHash: try Bcrypt.hash(AdminBrowser.password, cost: 4), permissions: permissions,
            actor: "t", now: t.clock.now(), store: t.store
        )
    }

    /// A live SSO API access token of `admin`, stored as Authenticate stores one.
    static func token(_ t: TestApp, for admin: Admin) async throws {
        try await t.sql.raw("""
            INSERT INTO admin_access_tokens (id, token_hash, admin_id, created_at, expires_at) \
            VALUES (\(bind: UUID()), \(bind: Secrets.hex(byteCount: 32)), \(bind: admin.requireID()), \(bind: t.clock.now()), \
            \(bind: t.clock.now().addingTimeInterval(3600)))
            """).run()
    }

    /// A form post from the client address 127.0.0.1, for the audit log's address; a 303
    /// is followed as a browser would (GET of its location).
    static func livePost(_ t: TestApp, _ admin: AdminBrowser, _ path: String, _ fields: [(String, String)] = []) async throws -> TestResponse {
        let response = try await admin.post(path, fields, from: "127.0.0.1")
        guard response.status == .seeOther, let location = response.headers.first(name: .location) else { return response }
        return try await admin.get(location)
    }

    // MARK: - Admins page

    @Test("the list: the org's admins with permissions, tokens and forms; manage_org needed (403, nothing changes)")
    func listAndPermission() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (law, _) = try await t.org("law", parent: "uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let bob = try await AdminBrowser.signIn(t, org: uni, email: "bob@uni.example", permissions: [.manageKeys, .manageUsers])
            try await Self.make(t, org: law, "carol@law.example", [.manageOrg])
            try await Self.token(t, for: try #require(try await Self.admin(t, "bob@uni.example")))

            let page = try await ada.get("/admin/admins")
            #expect(page.status == .ok)
            #expect(page.text.contains("ada@uni.example (you)") && page.text.contains("bob@uni.example"))
            #expect(!page.text.contains("carol@law.example"), "a child org's admins are on the child's page")
            let bobID = try await Self.id(t, "bob@uni.example")
            #expect(page.text.contains("action=\"/admin/admins/\(bobID)/permissions\""))
            #expect(page.text.contains("action=\"/admin/admins/\(bobID)/remove\""))
            #expect(page.text.contains("1 live <form method=\"post\" action=\"/admin/admins/\(bobID)/revoke-tokens\""))
            #expect(page.text.contains("value=\"manage_users\" checked> manage_users"))
            #expect(page.text.contains("<time datetime="))

            // bob lacks manage_org: the page and every POST are 403, nothing changes.
            #expect(try await bob.get("/admin/admins").status == .forbidden)
            let adaID = try await Self.id(t, "ada@uni.example")
            let admins = try await t.count("admins")
            #expect(try await bob.post("/admin/admins", [("email", "x@uni.example"), ("password", "a very long password")]).status == .forbidden)
            #expect(try await bob.post("/admin/admins/\(adaID)/permissions", [("permissions", "manage_keys")]).status == .forbidden)
            #expect(try await bob.post("/admin/admins/\(adaID)/remove").status == .forbidden)
            #expect(try await bob.post("/admin/admins/\(bobID)/revoke-tokens").status == .forbidden)
            #expect(try await t.count("admins") == admins)
            #expect(try await Self.permissions(t, "ada@uni.example") == Admin.Permission.allCases.map(\.rawValue))
            #expect(try await t.count("admin_access_tokens", where: "revoked_at IS NULL") == 1)
            #expect(try await t.count("audit_entries", where: "action LIKE 'admin.%' AND action <> 'admin.login' AND actor LIKE 'admin:%'") == 0)
        }
    }

    @Test("create: a new admin who can sign in, audited with actor and ip; duplicate email (any case) next to the field")
    func create() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            // (`?org=uni`, the admin's own: the 303 goes to a different URL, no redirect loop for the client.)
            let created = try await Self.livePost(t, ada, "/admin/admins?org=uni", [
                ("email", " New@Uni.example "), ("password", "a long enough password"),
                ("permissions", "manage_keys"), ("permissions", "manage_users"),
            ])
            #expect(created.status == .ok && created.text.contains("new@uni.example"), "redirected to the list")
            let new = try #require(try await Self.admin(t, "new@uni.example"))
            #expect(new.orgID == uni.id && new.permissions == ["manage_keys", "manage_users"])
            #expect(new.passwordHash.hasPrefix("$2") && new.passwordHash.contains("$12$"), "bcrypt cost 12")
            #expect(try await ada.auditCount("admin.create") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'admin.create' AND target = 'new@uni.example' AND ip = '127.0.0.1'") == 1)
            #expect(try await AdminAreaTests.signIn(t, email: "new@uni.example", password: "a long enough password").0.status == .seeOther)

            let duplicate = try await ada.post("/admin/admins", [("email", "NEW@uni.EXAMPLE"), ("password", "another long password")])
            #expect(duplicate.status == .unprocessableEntity)
            #expect(duplicate.text.contains("An admin with this email already exists."))
            #expect(duplicate.text.contains("name=\"email\" type=\"email\" value=\"new@uni.example\""))
            #expect(try await t.count("admins") == 2)
        }
    }

    @Test("create: hostile and invalid input is a 422 with the error beside the field, nothing written")
    func createHostile() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let good = "a long enough password"
            let cases: [([(String, String)], String)] = [
                ([("email", ""), ("password", good)], "Enter an email address."),
                ([("email", "\"><script>alert(1)</script>"), ("password", good)], "This is not an email address."),
                ([("email", "a@b.example\r\nX: y"), ("password", good)], "This is not an email address."),
                ([("email", "a\u{7f}@b.example"), ("password", good)], "This is not an email address."),
                ([("email", String(repeating: "a", count: 10_000) + "@b.example"), ("password", good)], "This is not an email address."),
                ([("email", "z@uni.example"), ("password", "short")], "Use at least 12 characters."),
                ([("email", "z@uni.example"), ("password", String(repeating: "p", count: 10_000))], "Use at most 72 bytes"),
                ([("email", "z@uni.example"), ("password", "twelve chars\tand a tab")], "Use no control characters"),
                ([("email", "z@uni.example"), ("password", good), ("permissions", "9223372036854775808")], "Pick permissions from the list."),
                ([("email", "z@uni.example"), ("password", good), ("permissions", "-1")], "Pick permissions from the list."),
                ([("email", "z@uni.example"), ("password", good), ("permissions", "<script>x</script>")], "Pick permissions from the list."),
            ]
            for (fields, message) in cases {
                let r = try await ada.post("/admin/admins", fields)
                #expect(r.status == .unprocessableEntity, "\(message)")
                #expect(r.text.contains(message), "\(message)")
                #expect(r.text.contains("class=\"error\""), "\(message)")
                #expect(!r.text.contains("<script>alert(1)"), "escaped")
                #expect(!r.text.contains(good), "a password is never sent back")
            }
            // NUL never gets in (a 422 before any handler runs).
            #expect(try await ada.post("/admin/admins", [("email", "a\u{0}@b.example"), ("password", good)]).status == .unprocessableEntity)
            #expect(try await ada.post("/admin/admins", [("email", "n@b.example"), ("password", "twelve chars\u{0}and a NUL")]).status == .unprocessableEntity)
            #expect(try await t.count("admins") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'admin.create' AND actor LIKE 'admin:%'") == 0)

            // Only permissions the acting admin holds can be granted.
            let limited = try await AdminBrowser.signIn(t, org: uni, email: "lim@uni.example", permissions: [.manageOrg])
            let escalation = try await limited.post("/admin/admins", [("email", "z@uni.example"), ("password", good), ("permissions", "manage_keys")])
            #expect(escalation.status == .unprocessableEntity)
            #expect(escalation.text.contains("You can grant only permissions you hold yourself"))
            #expect(try await Self.admin(t, "z@uni.example") == nil)
        }
    }

    @Test("permissions: changed and audited; no one takes away their own manage_org; the last manage_org holder keeps it")
    func permissions() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (law, _) = try await t.org("law", parent: "uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            try await Self.make(t, org: uni, "bob@uni.example", [.manageUsers])
            let bobID = try await Self.id(t, "bob@uni.example")
            let adaID = try await Self.id(t, "ada@uni.example")

            let changed = try await Self.livePost(t, ada, "/admin/admins/\(bobID)/permissions", [("permissions", "manage_org"), ("permissions", "manage_keys")])
            #expect(changed.status == .ok && changed.text.contains("<h1>Admins of Uni</h1>"), "redirected to the list")
            #expect(try await Self.permissions(t, "bob@uni.example") == ["manage_keys", "manage_org"])
            #expect(try await ada.auditCount("admin.permissions") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'admin.permissions' AND target = 'bob@uni.example' AND ip = '127.0.0.1'") == 1)

            // Ada's own manage_org, even though bob holds it too.
            let own = try await ada.post("/admin/admins/\(adaID)/permissions", [("permissions", "manage_keys")])
            #expect(own.status == .unprocessableEntity)
            #expect(own.text.contains("You cannot take away your own manage_org permission."))
            #expect(try await Self.permissions(t, "ada@uni.example") == Admin.Permission.allCases.map(\.rawValue))
            #expect(try await ada.post("/admin/admins/\(adaID)/remove").status == .unprocessableEntity)
            #expect(try await Self.admin(t, "ada@uni.example") != nil)

            // Carol is the only manage_org admin of law: ada (of the parent) cannot take it or remove her.
            try await Self.make(t, org: law, "carol@law.example", [.manageOrg])
            let carolID = try await Self.id(t, "carol@law.example")
            let last = try await ada.post("/admin/admins/\(carolID)/permissions?org=law", [("permissions", "manage_keys")])
            #expect(last.status == .unprocessableEntity)
            #expect(last.text.contains("carol@law.example is the last admin with manage_org in &#39;law&#39;"))
            #expect(try await ada.post("/admin/admins/\(carolID)/remove?org=law").status == .unprocessableEntity)
            #expect(try await Self.permissions(t, "carol@law.example") == ["manage_org"])
            // ...but other permissions of hers can change, and with a second holder she can go.
            #expect(try await ada.post("/admin/admins/\(carolID)/permissions?org=law", [("permissions", "manage_org"), ("permissions", "manage_users")]).status == .seeOther)
            #expect(try await Self.permissions(t, "carol@law.example") == ["manage_users", "manage_org"])
            try await Self.make(t, org: law, "dan@law.example", [.manageOrg])
            let removed = try await ada.post("/admin/admins/\(carolID)/remove?org=law")
            #expect(removed.status == .seeOther)
            #expect(removed.headers.first(name: .location) == "/admin/admins?org=law")
            #expect(try await Self.admin(t, "carol@law.example") == nil)

            // Hostile permission values: 422, unchanged.
            for bad in ["9223372036854775808", "-1", "<b>x</b>", String(repeating: "m", count: 10_000)] {
                let r = try await ada.post("/admin/admins/\(bobID)/permissions", [("permissions", bad)])
                #expect(r.status == .unprocessableEntity)
                #expect(r.text.contains("Pick permissions from the list."))
            }
            #expect(try await Self.permissions(t, "bob@uni.example") == ["manage_keys", "manage_org"])
        }
    }

    @Test("remove: the admin goes, their sessions end and their access tokens with them; revoke-tokens revokes only")
    func removeAndRevoke() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let bob = try await AdminBrowser.signIn(t, org: uni, email: "bob@uni.example", permissions: [.useSSOAPI])
            let bobAdmin = try #require(try await Self.admin(t, "bob@uni.example"))
            let bobID = try await Self.id(t, "bob@uni.example")
            try await Self.token(t, for: bobAdmin)
            try await Self.token(t, for: bobAdmin)

            let revoked = try await Self.livePost(t, ada, "/admin/admins/\(bobID)/revoke-tokens")
            #expect(revoked.status == .ok)
            #expect(try await t.count("admin_access_tokens", where: "revoked_at IS NULL") == 0)
            #expect(try await t.count("admin_access_tokens") == 2)
            #expect(try await ada.auditCount("admin.tokens_revoked") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'admin.tokens_revoked' AND target = 'bob@uni.example' AND ip = '127.0.0.1'") == 1)
            #expect(try await bob.get("/admin").status == .ok, "revoking tokens leaves sessions alone")

            try await Self.token(t, for: bobAdmin)
            let removed = try await Self.livePost(t, ada, "/admin/admins/\(bobID)/remove")
            #expect(removed.status == .ok && !removed.text.contains("bob@uni.example"))
            #expect(try await Self.admin(t, "bob@uni.example") == nil)
            #expect(try await bob.get("/admin").status == .unauthorized)
            #expect(try await t.count("sessions", where: "admin_id IS NOT NULL") == 1, "only ada's")
            #expect(try await t.count("admin_access_tokens") == 0)
            #expect(try await ada.auditCount("admin.remove") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'admin.remove' AND target = 'bob@uni.example' AND ip = '127.0.0.1'") == 1)
            #expect(try await ada.post("/admin/admins/\(bobID)/remove").status == .notFound, "gone")
        }
    }

    @Test("tenancy: another tree, a child's admin on the parent, another org's admin id: 404, nothing changes; a parent manages a child")
    func tenancy() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (law, _) = try await t.org("law", parent: "uni")
            let (other, _) = try await t.org("other")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let carol = try await AdminBrowser.signIn(t, org: law, email: "carol@law.example")
            let eve = try await AdminBrowser.signIn(t, org: other, email: "eve@other.example")
            try await Self.make(t, org: law, "dan@law.example", [.manageUsers])
            let adaID = try await Self.id(t, "ada@uni.example")
            let danID = try await Self.id(t, "dan@law.example")

            #expect(try await eve.get("/admin/admins?org=uni").status == .notFound)
            #expect(try await carol.get("/admin/admins?org=uni").status == .notFound)
            #expect(try await eve.post("/admin/admins/\(adaID)/remove").status == .notFound)
            #expect(try await eve.post("/admin/admins/\(adaID)/remove?org=uni").status == .notFound)
            #expect(try await carol.post("/admin/admins/\(adaID)/permissions?org=uni", [("permissions", "manage_keys")]).status == .notFound)
            #expect(try await carol.post("/admin/admins/\(adaID)/permissions", [("permissions", "manage_keys")]).status == .notFound)
            #expect(try await carol.post("/admin/admins?org=uni", [("email", "x@uni.example"), ("password", "a long enough password")]).status == .notFound)
            // An id of the child org on the parent's page (no ?org=law), bad ids.
            #expect(try await ada.post("/admin/admins/\(danID)/permissions", [("permissions", "manage_keys")]).status == .notFound)
            #expect(try await ada.post("/admin/admins/not-a-uuid/remove").status == .notFound)
            #expect(try await ada.post("/admin/admins/9223372036854775808/remove").status == .notFound)
            #expect(try await Self.permissions(t, "ada@uni.example") == Admin.Permission.allCases.map(\.rawValue))
            #expect(try await Self.permissions(t, "dan@law.example") == ["manage_users"])
            #expect(try await t.count("admins") == 4)

            // The parent's admin manages the child's admins with ?org=law.
            let childPage = try await ada.get("/admin/admins?org=law")
            #expect(childPage.status == .ok)
            #expect(childPage.text.contains("dan@law.example") && !childPage.text.contains("ada@uni.example (you)"))
            #expect(childPage.text.contains("action=\"/admin/admins/\(danID)/permissions?org=law\""))
            let changed = try await ada.post("/admin/admins/\(danID)/permissions?org=law", [("permissions", "manage_keys")])
            #expect(changed.status == .seeOther)
            #expect(changed.headers.first(name: .location) == "/admin/admins?org=law")
            #expect(try await Self.permissions(t, "dan@law.example") == ["manage_keys"])
            #expect(try await ada.auditCount("admin.permissions") == 1)
        }
    }

    @Test("POSTs without csrf_token are refused (403) and change nothing")
    func csrf() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let bobAdmin = try await Self.make(t, org: uni, "bob@uni.example", [.manageUsers])
            try await Self.token(t, for: bobAdmin)
            let bobID = try await Self.id(t, "bob@uni.example")
            let hash = try #require(try await Self.admin(t, "ada@uni.example")).passwordHash
            #expect(try await ada.post("/admin/admins", [("email", "x@uni.example"), ("password", "a long enough password")], csrf: false).status == .forbidden)
            #expect(try await ada.post("/admin/admins/\(bobID)/permissions", [("permissions", "manage_keys")], csrf: false).status == .forbidden)
            #expect(try await ada.post("/admin/admins/\(bobID)/remove", csrf: false).status == .forbidden)
            #expect(try await ada.post("/admin/admins/\(bobID)/revoke-tokens", csrf: false).status == .forbidden)
            #expect(try await ada.post("/admin/account", [
                ("current_password", AdminBrowser.password), ("new_password", "a brand new password"), ("repeat_password", "a brand new password"),
            ], csrf: false).status == .forbidden)
            #expect(try await t.count("admins") == 2)
            #expect(try await Self.permissions(t, "bob@uni.example") == ["manage_users"])
            #expect(try await t.count("admin_access_tokens", where: "revoked_at IS NULL") == 1)
            #expect(try await Self.admin(t, "ada@uni.example")?.passwordHash == hash)
        }
    }

    @Test("the last two manage_org admins removing each other at once: exactly one removal succeeds")
    func concurrentRemovals() async throws {
        try await TestApp.run { t in
            for round in 0..<4 {
                let org = try await Organizations.create(
                    slug: "race-\(round)", name: "Race", parentSlug: nil, settings: .init(), actor: "t", now: t.clock.now(), store: t.store
                )
                let a = try await Self.make(t, org: org, "a\(round)@race.example", [.manageOrg])
                let b = try await Self.make(t, org: org, "b\(round)@race.example", [.manageOrg])
                let (aID, bID) = (try a.requireID(), try b.requireID())
                let now = t.clock.now()
                async let first: Bool = (try? await Credentials.removeAdmin(adminID: bID, in: org, by: aID, actor: "admin:a", now: now, store: t.store)) != nil
                async let second: Bool = (try? await Credentials.removeAdmin(adminID: aID, in: org, by: bID, actor: "admin:b", now: now, store: t.store)) != nil
                let outcomes = await [first, second]
                #expect(outcomes.filter { $0 }.count == 1, "round \(round)")
                let left = try await Credentials.admins(org: org, on: t.store.db)
                #expect(left.count == 1 && left[0].permissions == ["manage_org"], "round \(round)")

                // And two permission changes taking manage_org from the last two.
                let c = try await Self.make(t, org: org, "c\(round)@race.example", [.manageOrg])
                let survivor = try left[0].requireID()
                let cID = try c.requireID()
                async let third: Bool = (try? await Credentials.setPermissions(adminID: cID, in: org, permissions: [], by: survivor, actor: "x", now: now, store: t.store)) != nil
                async let fourth: Bool = (try? await Credentials.setPermissions(adminID: survivor, in: org, permissions: [], by: cID, actor: "y", now: now, store: t.store)) != nil
                let changes = await [third, fourth]
                #expect(changes.filter { $0 }.count == 1, "round \(round)")
                let holders = try await Credentials.admins(org: org, on: t.store.db).filter { $0.permissions.contains("manage_org") }
                #expect(holders.count == 1, "round \(round)")
            }
        }
    }

    // MARK: - Your account

    @Test("account: any admin sees it; a wrong current password is a 422 beside the field and changes nothing")
    func accountPageAndWrongPassword() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (law, _) = try await t.org("law", parent: "uni")
            let (other, _) = try await t.org("other")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [])
            let page = try await ada.get("/admin/account")
            #expect(page.status == .ok)
            #expect(page.text.contains("ada@uni.example") && page.text.contains("name=\"current_password\""))
            #expect(page.text.contains("action=\"/admin/account\""))
            #expect(try await ada.get("/admin/account?org=law").status == .ok)
            #expect(try await ada.get("/admin/account?org=other").status == .notFound)
            let carol = try await AdminBrowser.signIn(t, org: law, email: "carol@law.example", permissions: [])
            #expect(try await carol.get("/admin/account?org=uni").status == .notFound)
            #expect(try await carol.post("/admin/account?org=uni", [
                ("current_password", AdminBrowser.password), ("new_password", "a brand new password"), ("repeat_password", "a brand new password"),
            ]).status == .notFound)
            _ = other

            let hash = try #require(try await Self.admin(t, "ada@uni.example")).passwordHash
            let wrong = try await ada.post("/admin/account", [
                ("current_password", "not my password"), ("new_password", "a brand new password"), ("repeat_password", "a brand new password"),
            ])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("<small class=\"error\" id=\"f-current_password-error\">This is not your current password.</small>"))
            #expect(!wrong.text.contains("a brand new password") && !wrong.text.contains("not my password"), "passwords are never sent back")
            #expect(try await Self.admin(t, "ada@uni.example")?.passwordHash == hash)
            #expect(try await ada.auditCount("admin.password") == 0)

            let invalid: [([(String, String)], String)] = [
                ([("current_password", ""), ("new_password", "a brand new password"), ("repeat_password", "a brand new password")], "Enter your current password."),
                ([("current_password", AdminBrowser.password), ("new_password", "short"), ("repeat_password", "short")], "Use at least 12 characters."),
                ([("current_password", AdminBrowser.password), ("new_password", "a brand new password"), ("repeat_password", "another one!!")], "The two new passwords differ."),
                ([("current_password", AdminBrowser.password), ("new_password", String(repeating: "x", count: 10_000)), ("repeat_password", "")], "Use at most 72 bytes"),
                ([("current_password", AdminBrowser.password), ("new_password", "line\r\nbreak in it"), ("repeat_password", "line\r\nbreak in it")], "Use no control characters"),
                ([("current_password", "<script>x</script>"), ("new_password", "9223372036854775808"), ("repeat_password", "-1")], "The two new passwords differ."),
            ]
            for (fields, message) in invalid {
                let r = try await ada.post("/admin/account", fields)
                #expect(r.status == .unprocessableEntity, "\(message)")
                #expect(r.text.contains(message), "\(message)")
            }
            #expect(try await Self.admin(t, "ada@uni.example")?.passwordHash == hash)
        }
    }

    @Test("account: the new password works, the old does not; this session goes on, every other ends; audited")
    func changePassword() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [.manageKeys])
            let other = try #require(try await AdminAreaTests.signIn(t, email: "ada@uni.example").1)
            #expect(try await t.send(.GET, "/admin", headers: [("Cookie", other)]).status == .ok)

            let r = try await Self.livePost(t, ada, "/admin/account", [
                ("current_password", AdminBrowser.password), ("new_password", "a brand new password"), ("repeat_password", "a brand new password"),
            ])
            // The client followed the 303 to /admin/account?changed=1, on the same session.
            #expect(r.status == .ok && r.text.contains("Your password has been changed."))
            #expect(try await ada.get("/admin/account").status == .ok)
            #expect(try await t.send(.GET, "/admin", headers: [("Cookie", other)]).status == .unauthorized)
            #expect(try await ada.auditCount("admin.password") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'admin.password' AND actor = 'admin:ada@uni.example' AND target = 'ada@uni.example' AND ip = '127.0.0.1'") == 1)
            let hash = try #require(try await Self.admin(t, "ada@uni.example")).passwordHash
            #expect(hash.contains("$12$"))

            #expect(try await AdminAreaTests.signIn(t, email: "ada@uni.example").0.status == .unauthorized)
            #expect(try await AdminAreaTests.signIn(t, email: "ada@uni.example", password: "a brand new password").0.status == .seeOther)
        }
    }

    @Test("account: wrong current passwords count in the sign-in throttle (429 with Retry-After)")
    func accountThrottled() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let hash = try #require(try await Self.admin(t, "ada@uni.example")).passwordHash
            for _ in 0..<5 {
                let r = try await ada.post("/admin/account", [
                    ("current_password", "guess guess"), ("new_password", "a brand new password"), ("repeat_password", "a brand new password"),
                ])
                #expect(r.status == .unprocessableEntity)
            }
            let blocked = try await ada.post("/admin/account", [
                ("current_password", AdminBrowser.password), ("new_password", "a brand new password"), ("repeat_password", "a brand new password"),
            ])
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers.first(name: .retryAfter) ?? "") ?? 0 > 0)
            #expect(blocked.text.contains("Too many failed attempts."))
            #expect(try await Self.admin(t, "ada@uni.example")?.passwordHash == hash)
        }
    }

    // MARK: - Views

    @Test("views: the mocks render, hostile text comes out escaped")
    func views() {
        let admins = AdminAdmins.view(.mock).raw
        #expect(admins.contains("admin@demo.example (you)"))
        #expect(admins.contains("2 live <form method=\"post\" action=\"/admin/admins/00000000-0000-0000-0000-00000000000b/revoke-tokens\""))
        #expect(admins.contains("name=\"csrf_token\" value=\"\(Layout.Admin.mock.csrfToken)\""))
        let invalid = AdminAdmins.view(.mockInvalid).raw
        #expect(invalid.contains("value=\"ops@demo.example\"") && invalid.contains("An admin with this email already exists."))
        #expect(invalid.contains("<p class=\"error\" role=\"alert\">You cannot remove yourself.</p>"))
        #expect(invalid.contains("value=\"manage_keys\" checked>"))

        let account = AdminAccount.view(.mock).raw
        #expect(account.contains("<strong>admin@demo.example</strong>") && account.contains("name=\"repeat_password\""))
        #expect(AdminAccount.view(.mockChanged).raw.contains("Your password has been changed."))

        for html in [AdminAdmins.view(.mockHostile).raw, AdminAccount.view(.mockHostile).raw] {
            #expect(!html.contains("<script") && html.contains("&lt;script&gt;"))
            #expect(!html.contains("<b>") && !html.contains("<i>"))
        }
    }
}
