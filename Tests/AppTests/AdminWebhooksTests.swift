@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

/// The admin area's webhook pages (SPEC §7, §8; `manage_webhooks`): endpoints, their
/// state, the signing key shown once, the delivery log with real attempts against a
/// receiver on 127.0.0.1, and re-sending.
@Suite("AdminWebhooksTests")
struct AdminWebhooksTests {
    /// Private targets allowed (the receiver is on loopback), a short retry schedule.
    static func config(_ c: inout PorticoConfig) {
        c.webhookAllowPrivate = true
        c.webhookRetrySchedule = [10, 20]
        c.webhookTimeout = 2
    }

    static func drain(_ t: TestApp) async throws {
        try await t.portico.webhookWorker(logger: t.app.logger).drain()
    }

    /// An endpoint made through the core, as another surface would.
    @discardableResult
    static func endpoint(_ t: TestApp, org: Organization, url: String = "http://127.0.0.1:9/hook", events: [String]? = nil) async throws -> WebhookEndpoint {
        try await Webhooks.create(orgID: org.requireID(), url: url, events: events, actor: "t", ip: nil, now: t.clock.now(), store: t.store)
    }

    static func reload(_ t: TestApp, _ endpoint: WebhookEndpoint) async throws -> WebhookEndpoint? {
        try await WebhookEndpoint.find(endpoint.requireID(), on: t.store.db)
    }

    /// Rows of the delivery log on an endpoint page.
    static func logRows(_ page: TestResponse) -> Int {
        page.text.components(separatedBy: "<tr><td><code>evt_").count - 1
    }

    static func path(_ endpoint: WebhookEndpoint, _ tail: String = "") -> String {
        "/admin/webhooks/\(endpoint.id!.uuidString.lowercased())\(tail)"
    }

    // MARK: - Register, list, key shown once

    @Test("register: every event type a checkbox; the key and its whsec_ form shown once; the list shows state, queue, last success and failure")
    func register() async throws {
        try await TestApp.run(adjust: Self.config) { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")

            let empty = try await ada.get("/admin/webhooks")
            #expect(empty.status == .ok)
            for type in Webhooks.eventTypes {
                #expect(empty.text.contains("name=\"events\" value=\"\(type)\""), "\(type) has a checkbox")
            }
            #expect(empty.text.contains("No endpoints yet"))

            // MUT: two event types checked
            let created = try await ada.post("/admin/webhooks", [
                ("url", "http://127.0.0.1:9/hook"), ("events", "user.created"), ("events", "user.deleted"),
            ])
            #expect(created.status == .ok, "\(created.text)")
            let endpoint = try #require(try await WebhookEndpoint.query(on: t.store.db).first())
            #expect(endpoint.url == "http://127.0.0.1:9/hook")
            #expect(endpoint.events == ["user.created", "user.deleted"])
            #expect(endpoint.orgID == uni.id)
            #expect(created.text.contains(endpoint.key))
            #expect(created.text.contains(WebhookSignature.whsec(endpoint.key)))
            #expect(created.text.contains("whsec_" + Data(endpoint.key.utf8).base64EncodedString()))
            #expect(created.text.contains("/static/copy.js"), "a copy button")
            #expect(try await ada.auditCount("webhook.create") == 1)

            // None checked: all events.
            #expect(try await ada.post("/admin/webhooks", [("url", "http://127.0.0.1:9/all")]).status == .ok)
            let all = try #require(try await WebhookEndpoint.query(on: t.store.db).filter(\.$url == "http://127.0.0.1:9/all").first())
            #expect(all.events == nil)

            // The list: never a key again; state, queue, last success / failure.
            try await t.sql.raw("UPDATE webhook_endpoints SET enabled = \(bind: false), disabled_reason = 'the receiver answered 410 Gone' WHERE id = \(bind: all.id!)").run()
            let list = try await ada.get("/admin/webhooks")
            #expect(list.status == .ok)
            #expect(!list.text.contains(endpoint.key) && !list.text.contains(all.key))
            #expect(!list.text.contains("whsec_"))
            #expect(list.text.contains("http://127.0.0.1:9/hook") && list.text.contains("http://127.0.0.1:9/all"))
            #expect(list.text.contains("state-ok\">enabled") && list.text.contains("state-bad\">disabled"))
            #expect(list.text.contains("the receiver answered 410 Gone"))
            #expect(list.text.contains("<th>Queue</th>") && list.text.contains("<th>Last success</th>") && list.text.contains("<th>Last failure</th>"))
            #expect(list.text.contains("href=\"\(Self.path(endpoint))\""))
            #expect(list.text.contains("all events"))
        }
    }

    @Test("SSRF and hostile input: 422 with the error beside the URL field, typed values kept, nothing created")
    func refusedRegistrations() async throws {
        try await TestApp.run { t in   // private targets NOT allowed
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")

            let loopback = try await ada.post("/admin/webhooks", [("url", "http://127.0.0.1/"), ("events", "user.created")])
            #expect(loopback.status == .unprocessableEntity)
            #expect(loopback.text.contains("id=\"f-url-error\""), "the error beside the field")
            #expect(loopback.text.contains("value=\"http://127.0.0.1/\""), "the typed URL kept")
            #expect(loopback.text.contains("value=\"user.created\" checked"), "the checked box kept")
            let https = try await ada.post("/admin/webhooks", [("url", "https://127.0.0.1/hook")])
            #expect(https.status == .unprocessableEntity)
            #expect(https.text.contains("loopback, private or reserved"))
            for url in ["https://10.0.0.1/x", "https://2130706433/x", "https://0x7f.1/x", "https://[::1]/x", "https://169.254.169.254/latest"] {
                let r = try await ada.post("/admin/webhooks", [("url", url)])
                #expect(r.status == .unprocessableEntity, "\(url)")
                #expect(r.text.contains("id=\"f-url-error\""), "\(url)")
            }

            let hostile = [
                "https://93.184.216.34/\r\nX-Evil: 1", "https://93.184.216.34/\n", "https://93.184.216.34/\u{0}", "https://93.184.216.34/a\u{0}b",
                "https://93.184.216.34/" + String(repeating: "a", count: 10_000), "", "   ", "<script>alert(1)</script>", "javascript:alert(1)",
                "ftp://93.184.216.34/",
                "9223372036854775808", "-1",
            ]
            for url in hostile {
                let r = try await ada.post("/admin/webhooks", [("url", url)])
                #expect(r.status == .unprocessableEntity, "\(url.prefix(40).debugDescription): \(r.status)")
                #expect(!r.text.contains("<script>alert(1)"), "escaped")
                #expect(!r.text.contains("\u{0}") && !r.text.contains("\r\nX-Evil"))
            }
            #expect(try await t.count("webhook_endpoints") == 0)
            // Markup in a public URL's path: stored normalized (escaped in the URL), shown escaped.
            let markup = try await ada.post("/admin/webhooks", [("url", "https://93.184.216.34/\"><script>alert(1)</script>")])
            #expect(markup.status == .ok || markup.status == .unprocessableEntity)
            #expect(!markup.text.contains("<script>alert(1)"))
            if let stored = try await WebhookEndpoint.query(on: t.store.db).first() {
                #expect(!stored.url.contains("<") && !stored.url.contains("\""), "\(stored.url)")
                #expect(!(try await ada.get("/admin/webhooks").text.contains("<script>alert(1)")))
                try await Webhooks.delete(orgID: uni.requireID(), id: stored.requireID(), actor: "t", ip: nil, now: t.clock.now(), store: t.store)
                try await t.sql.raw("DELETE FROM audit_entries WHERE action LIKE 'webhook.%'").run()
            }
            // A known good URL with hostile events.
            for events in [["<script>x</script>"], ["user.created", "user.exploded"], [String(repeating: "e", count: 10_000)]] {
                let r = try await ada.post("/admin/webhooks", [("url", "https://93.184.216.34/x")] + events.map { ("events", $0) })
                #expect(r.status == .unprocessableEntity)
                #expect(r.text.contains("id=\"f-events-error\""))
                #expect(!r.text.contains("<script>x"))
            }
            #expect(try await t.count("webhook_endpoints") == 0)
            #expect(try await t.count("audit_entries", where: "action = 'webhook.create'") == 0)
        }
    }

    // MARK: - Who may do what

    @Test("manage_webhooks needed; another tree and a parent are 404; no csrf_token is 403; nothing changes on a refusal")
    func access() async throws {
        try await TestApp.run(adjust: Self.config) { t in
            let (root, _) = try await t.org("root")
            let (uni, _) = try await t.org("uni", parent: "root")
            let (other, _) = try await t.org("other")
            let endpoint = try await Self.endpoint(t, org: uni)
            let otherEndpoint = try await Self.endpoint(t, org: other, url: "http://127.0.0.1:9/other")
            let event = try await Webhooks.sendTest(orgID: uni.requireID(), id: endpoint.requireID(), now: t.clock.now(), store: t.store)
            let eventID = try #require(event.id)

            let keysOnly = try await AdminBrowser.signIn(t, org: uni, email: "kim@uni.example", permissions: [.manageKeys, .manageUsers, .manageOrg])
            let eve = try await AdminBrowser.signIn(t, org: other, email: "eve@other.example")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let boss = try await AdminBrowser.signIn(t, org: root, email: "boss@root.example")

            let posts: [(String, [(String, String)])] = [
                ("/admin/webhooks", [("url", "http://127.0.0.1:9/new")]),
                (Self.path(endpoint), [("url", "http://127.0.0.1:9/changed")]),
                (Self.path(endpoint, "/enable"), []), (Self.path(endpoint, "/disable"), []), (Self.path(endpoint, "/delete"), []),
                (Self.path(endpoint, "/test"), []), (Self.path(endpoint, "/rotate-key"), []),
                (Self.path(endpoint, "/redeliver-failed"), [("since", "2000-01-01T00:00:00Z")]),
                (Self.path(endpoint, "/events/\(eventID)/redeliver"), []),
            ]
            let snapshot = { () async throws -> [String] in
                let e = try #require(try await Self.reload(t, endpoint))
                return [e.url, e.key, String(e.enabled), "\(e.events ?? [])", String(try await t.count("webhook_endpoints")),
                        String(try await t.count("events")), String(try await t.count("webhook_deliveries", where: "status <> 'pending' OR attempt <> 0"))]
            }
            let before = try await snapshot()
            let audits = try await t.count("audit_entries")

            // Without manage_webhooks: 403 for the pages and every form.
            #expect(try await keysOnly.get("/admin/webhooks").status == .forbidden)
            #expect(try await keysOnly.get(Self.path(endpoint)).status == .forbidden)
            for (path, fields) in posts {
                #expect(try await keysOnly.post(path, fields).status == .forbidden, "\(path)")
            }
            // Another tree: its org and its endpoints do not exist.
            #expect(try await eve.get("/admin/webhooks?org=uni").status == .notFound)
            #expect(try await eve.get(Self.path(endpoint)).status == .notFound)
            #expect(try await eve.get(Self.path(endpoint) + "?org=uni").status == .notFound)
            for (path, fields) in posts where path != "/admin/webhooks" {
                #expect(try await eve.post(path, fields).status == .notFound, "\(path)")
            }
            #expect(try await eve.post("/admin/webhooks?org=uni", [("url", "http://127.0.0.1:9/x")]).status == .notFound)
            // A child's admin cannot reach the parent.
            #expect(try await ada.get("/admin/webhooks?org=root").status == .notFound)
            #expect(try await ada.post("/admin/webhooks?org=root", [("url", "http://127.0.0.1:9/x")]).status == .notFound)
            // Another org's endpoint or event through one's own org: 404.
            #expect(try await ada.get(Self.path(otherEndpoint)).status == .notFound)
            #expect(try await ada.post(Self.path(otherEndpoint, "/disable")).status == .notFound)
            #expect(try await ada.get("/admin/webhooks/not-a-uuid").status == .notFound)
            #expect(try await ada.post("/admin/webhooks/not-a-uuid/test").status == .notFound)
            // A parent admin without ?org= is on the parent: the child's endpoint is not there.
            #expect(try await boss.get(Self.path(endpoint)).status == .notFound)
            // No csrf_token: refused.
            for (path, fields) in posts {
                #expect(try await ada.post(path, fields, csrf: false).status == .forbidden, "\(path)")
            }
            #expect(try await snapshot() == before)
            #expect(try await t.count("audit_entries") == audits)
            #expect(try await WebhookEndpoint.query(on: t.store.db).filter(\.$orgID == other.requireID()).count() == 1)

            // The parent's admin manages the child through ?org=uni; links keep it.
            let list = try await boss.get("/admin/webhooks?org=uni")
            #expect(list.status == .ok)
            #expect(list.text.contains("href=\"\(Self.path(endpoint))?org=uni\""))
            let page = try await boss.get(Self.path(endpoint) + "?org=uni")
            #expect(page.status == .ok)
            #expect(page.text.contains("action=\"\(Self.path(endpoint, "/disable"))?org=uni\""))
            #expect(page.text.contains("name=\"org\" value=\"uni\""), "the log's GET filter keeps the org")
            let disabled = try await boss.post(Self.path(endpoint, "/disable") + "?org=uni")
            #expect(disabled.status == .seeOther)
            #expect(disabled.headers.first(name: .location) == Self.path(endpoint) + "?org=uni&done=disabled")
            #expect(try await Self.reload(t, endpoint)?.enabled == false)
            #expect(try await boss.auditCount("webhook.update") == 1)
            let created = try await boss.post("/admin/webhooks?org=uni", [("url", "http://127.0.0.1:9/by-boss")])
            #expect(created.status == .ok)
            #expect(try await WebhookEndpoint.query(on: t.store.db).filter(\.$url == "http://127.0.0.1:9/by-boss").first()?.orgID == uni.id)
        }
    }

    // MARK: - Changes

    @Test("edit URL and filter, disable, enable, rotate the key (shown once), send a test, delete; each audited")
    func changes() async throws {
        try await TestApp.run(adjust: Self.config) { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let endpoint = try await Self.endpoint(t, org: uni, events: ["user.created"])

            let page = try await ada.get(Self.path(endpoint))
            #expect(page.status == .ok)
            #expect(page.text.contains("value=\"http://127.0.0.1:9/hook\""))
            #expect(page.text.contains("value=\"user.created\" checked"))
            #expect(!page.text.contains(endpoint.key), "the key is not on the page")
            for action in ["disable", "test", "rotate-key", "delete", "redeliver-failed"] {
                #expect(page.text.contains("action=\"\(Self.path(endpoint, "/" + action))\""), "\(action)")
            }

            // Edit: a refused URL keeps the endpoint as it was.
            let refused = try await ada.post(Self.path(endpoint), [("url", "ftp://127.0.0.1/x"), ("events", "user.deleted")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("id=\"f-url-error\"") && refused.text.contains("value=\"ftp://127.0.0.1/x\""))
            #expect(try await Self.reload(t, endpoint)?.url == "http://127.0.0.1:9/hook")
            #expect(try await Self.reload(t, endpoint)?.events == ["user.created"])
            let edited = try await ada.post(Self.path(endpoint), [("url", "http://127.0.0.1:9/new"), ("events", "user.deleted"), ("events", "track.completed")])
            #expect(edited.status == .seeOther)
            #expect(try await Self.reload(t, endpoint)?.url == "http://127.0.0.1:9/new")
            #expect(try await Self.reload(t, endpoint)?.events == ["user.deleted", "track.completed"])
            #expect(try await ada.get(edited.headers.first(name: .location) ?? "").text.contains("Saved."))
            #expect(try await ada.post(Self.path(endpoint), [("url", "http://127.0.0.1:9/new")]).status == .seeOther)
            #expect(try await Self.reload(t, endpoint)?.events == nil, "none checked: all events")

            #expect(try await ada.post(Self.path(endpoint, "/disable")).status == .seeOther)
            var stored = try #require(try await Self.reload(t, endpoint))
            #expect(!stored.enabled && stored.disabledReason == "disabled by admin:ada@uni.example")
            #expect(try await ada.get(Self.path(endpoint)).text.contains("disabled by admin:ada@uni.example"))
            #expect(try await ada.post(Self.path(endpoint, "/enable")).status == .seeOther)
            stored = try #require(try await Self.reload(t, endpoint))
            #expect(stored.enabled && stored.disabledReason == nil)
            #expect(try await ada.auditCount("webhook.update") == 4)

            let rotated = try await ada.post(Self.path(endpoint, "/rotate-key"))
            #expect(rotated.status == .ok)
            stored = try #require(try await Self.reload(t, endpoint))
            #expect(stored.key != endpoint.key && stored.previousKey == endpoint.key)
            #expect(rotated.text.contains(stored.key) && rotated.text.contains(WebhookSignature.whsec(stored.key)))
            #expect(rotated.text.contains("The previous key also signs"))
            #expect(!(try await ada.get(Self.path(endpoint)).text.contains(stored.key)), "shown once")
            #expect(try await ada.auditCount("webhook.rotate_key") == 1)

            let test = try await ada.post(Self.path(endpoint, "/test"))
            #expect(test.status == .seeOther)
            #expect(try await t.eventTypes(org: uni) == ["webhook.test"])
            #expect(try await t.count("webhook_deliveries", where: "status = 'pending'") == 1)
            #expect(try await ada.auditCount("webhook.test") == 1)
            let queued = try await ada.get(test.headers.first(name: .location) ?? "")
            #expect(queued.text.contains("A webhook.test event was queued"))
            #expect(queued.text.contains("webhook.test") && queued.text.contains("no attempt yet"))
            #expect(Self.logRows(queued) == 1)

            let deleted = try await ada.post(Self.path(endpoint, "/delete"))
            #expect(deleted.status == .seeOther)
            #expect(deleted.headers.first(name: .location) == "/admin/webhooks")
            #expect(try await t.count("webhook_endpoints") == 0)
            #expect(try await t.count("webhook_deliveries") == 0)
            #expect(try await ada.auditCount("webhook.delete") == 1)
            #expect(try await ada.get(Self.path(endpoint)).status == .notFound)
        }
    }

    @Test("every change's audit entry has the admin, the action and the client address")
    func auditAddress() async throws {
        try await TestApp.run(adjust: Self.config) { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            // From a client address (the in-memory tester has none); a 303 is not followed.
            func post(_ path: String, _ fields: [(String, String)] = []) async throws -> HTTPStatus {
                try await ada.post(path, fields, from: "127.0.0.1").status
            }
            #expect(try await post("/admin/webhooks", [("url", "http://127.0.0.1:9/hook")]) == .ok)
            let endpoint = try #require(try await WebhookEndpoint.query(on: t.store.db).first())
            let event = try await Webhooks.sendTest(orgID: uni.requireID(), id: endpoint.requireID(), now: t.clock.now(), store: t.store)
            #expect(try await post(Self.path(endpoint), [("url", "http://127.0.0.1:9/x")]) == .seeOther)
            #expect(try await post(Self.path(endpoint, "/disable")) == .seeOther)
            #expect(try await post(Self.path(endpoint, "/enable")) == .seeOther)
            #expect(try await post(Self.path(endpoint, "/rotate-key")) == .ok)
            #expect(try await post(Self.path(endpoint, "/test")) == .seeOther)
            #expect(try await post(Self.path(endpoint, "/events/\(event.id!)/redeliver")) == .seeOther)
            #expect(try await post(Self.path(endpoint, "/redeliver-failed"), [("since", "2000-01-01T00:00")]) == .seeOther)
            #expect(try await post(Self.path(endpoint, "/delete")) == .seeOther)
            let entries = try await AuditEntry.query(on: t.store.db).filter(\.$actor == "admin:ada@uni.example").all()
                .filter { $0.action != "admin.login" }
            #expect(entries.map(\.action).sorted() == [
                "event.redeliver", "event.redeliver_failed", "webhook.create", "webhook.delete", "webhook.rotate_key",
                "webhook.test", "webhook.update", "webhook.update", "webhook.update",
            ])
            #expect(entries.allSatisfy { $0.ip == "127.0.0.1" }, "\(entries.map(\.ip))")
            #expect(entries.allSatisfy { $0.orgID == uni.id })
            #expect(entries.filter { $0.action.hasPrefix("webhook.") }.allSatisfy { $0.target == endpoint.id!.uuidString })
        }
    }

    // MARK: - The delivery log with real attempts

    @Test("delivery log: a real failed attempt (receiver answering 500) shows; re-sending gives a real success")
    func deliveryLog() async throws {
        try await Receiver.with({ _, _ in Receiver.Answer(status: .internalServerError) }) { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (uni, key) = try await t.org("uni")
                let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
                #expect(try await ada.post("/admin/webhooks", [("url", receiver.url())]).status == .ok)
                let endpoint = try #require(try await WebhookEndpoint.query(on: t.store.db).first())
                let start = t.clock.now()
                _ = try await t.send(.POST, "/api/users/ann", key: key)
                try await Self.drain(t)
                #expect(receiver.hits.count == 1)
                let eventID = try #require(receiver.hits.first?.webhookID)

                // The first attempt: 500, pending a retry.
                var page = try await ada.get(Self.path(endpoint))
                #expect(page.status == .ok)
                #expect(page.text.contains(eventID) && page.text.contains("user.created"))
                #expect(page.text.contains("HTTP 500"))
                #expect(page.text.contains("pending"))
                #expect(page.text.contains(" ms"))
                #expect(page.text.contains("title=\"\(RFC3339.string(from: start))\""), "the attempt's time, RFC 3339 in title")
                #expect(try await ada.get("/admin/webhooks").text.contains("<td>1</td>"), "queue depth 1")

                // Retries used up: failed.
                t.clock.advance(by: 10)
                try await Self.drain(t)
                t.clock.advance(by: 20)
                try await Self.drain(t)
                #expect(receiver.hits.count == 3)
                page = try await ada.get(Self.path(endpoint, "?status=failed"))
                #expect(Self.logRows(page) == 1)
                #expect(page.text.components(separatedBy: "HTTP 500 ·").count - 1 == 3, "every attempt listed")
                #expect(page.text.contains("state-bad\">failed"))
                #expect(Self.logRows(try await ada.get(Self.path(endpoint, "?status=succeeded"))) == 0)
                let list = try await ada.get("/admin/webhooks")
                #expect(list.text.contains("<td>0</td>"), "nothing queued")
                #expect(list.text.contains("title=\"\(RFC3339.string(from: t.clock.now()))\""), "last failure")

                // Re-send the one event, receiver now healthy.
                receiver.answer { _, _ in Receiver.Answer(status: .ok) }
                let resent = try await ada.post(Self.path(endpoint, "/events/\(eventID)/redeliver"))
                #expect(resent.status == .seeOther)
                #expect(try await ada.auditCount("event.redeliver") == 1)
                try await Self.drain(t)
                #expect(receiver.hits.count == 4)
                page = try await ada.get(Self.path(endpoint, "?status=succeeded"))
                #expect(Self.logRows(page) == 1)
                #expect(page.text.contains("HTTP 200") && page.text.contains("state-ok\">succeeded"))
                #expect(page.text.components(separatedBy: "HTTP 500 ·").count - 1 == 3, "the failed attempts stay in the history")
                #expect(Self.logRows(try await ada.get(Self.path(endpoint, "?status=failed"))) == 0)

                // Every failed delivery since a time: a second event fails, then is re-sent.
                receiver.answer { _, _ in Receiver.Answer(status: .internalServerError) }
                let failedAt = t.clock.now()
                _ = try await t.send(.POST, "/api/users/bob", key: key)
                try await Self.drain(t)
                t.clock.advance(by: 10)
                try await Self.drain(t)
                t.clock.advance(by: 20)
                try await Self.drain(t)
                #expect(try await t.count("webhook_deliveries", where: "status = 'failed'") == 1)
                receiver.answer { _, _ in Receiver.Answer(status: .ok) }
                let bad = try await ada.post(Self.path(endpoint, "/redeliver-failed"), [("since", "yesterday")])
                #expect(bad.status == .unprocessableEntity)
                #expect(bad.text.contains("id=\"f-since-error\"") && bad.text.contains("value=\"yesterday\""))
                let future = try await ada.post(Self.path(endpoint, "/redeliver-failed"), [("since", RFC3339.string(from: t.clock.now().addingTimeInterval(3600)))])
                #expect(future.status == .seeOther)
                #expect(try await ada.get(future.headers.first(name: .location) ?? "").text.contains("0 failed deliveries were queued again."))
                #expect(try await t.count("webhook_deliveries", where: "status = 'failed'") == 1)
                let all = try await ada.post(Self.path(endpoint, "/redeliver-failed"), [("since", Self.local(failedAt))])
                #expect(all.status == .seeOther)
                #expect(try await ada.get(all.headers.first(name: .location) ?? "").text.contains("1 failed delivery was queued again."))
                #expect(try await ada.auditCount("event.redeliver_failed") == 2)
                try await Self.drain(t)
                #expect(try await t.count("webhook_deliveries", where: "status = 'succeeded'") == 2)
                #expect(Self.logRows(try await ada.get(Self.path(endpoint, "?status=succeeded"))) == 2)
            }
        }
    }

    /// `2026-11-23T09:00` (UTC), as a browser's datetime field sends it.
    static func local(_ date: Date) -> String { String(RFC3339.string(from: date).prefix(16)) }

    @Test("log filters, paging and re-send: validated (4xx, never 5xx), newest first, 50 a page")
    func logQueries() async throws {
        try await TestApp.run(adjust: Self.config) { t in
            let (uni, _) = try await t.org("uni")
            let (other, _) = try await t.org("other")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let endpoint = try await Self.endpoint(t, org: uni)
            let otherEndpoint = try await Self.endpoint(t, org: other)
            var ids: [String] = []
            for _ in 0..<55 {
                ids.append(try await Webhooks.sendTest(orgID: uni.requireID(), id: endpoint.requireID(), now: t.clock.now(), store: t.store).id!)
            }
            let foreign = try await Webhooks.sendTest(orgID: other.requireID(), id: otherEndpoint.requireID(), now: t.clock.now(), store: t.store).id!

            let first = try await ada.get(Self.path(endpoint))
            #expect(Self.logRows(first) == 50)
            let newest = try #require(first.text.range(of: ids[54]))
            let older = try #require(first.text.range(of: ids[10]))
            #expect(newest.lowerBound < older.lowerBound, "newest first")
            #expect(!first.text.contains(ids[4]))
            #expect(first.text.contains("before=6\""), "an Older link to the rest")
            let second = try await ada.get(Self.path(endpoint, "?before=6"))
            #expect(Self.logRows(second) == 5)
            #expect(second.text.contains(ids[0]) && second.text.contains(ids[4]))
            #expect(!second.text.contains("before=1\""))
            #expect(Self.logRows(try await ada.get(Self.path(endpoint, "?type=webhook.test&status=pending"))) == 50)
            #expect(Self.logRows(try await ada.get(Self.path(endpoint, "?type=user.created"))) == 0)
            #expect(Self.logRows(try await ada.get(Self.path(endpoint, "?type=&status=&event=&before="))) == 50, "empty = any")
            let one = try await ada.get(Self.path(endpoint, "?event=\(ids[3])"))
            #expect(Self.logRows(one) == 1 && one.text.contains(ids[3]))
            #expect(Self.logRows(try await ada.get(Self.path(endpoint, "?event=\(foreign)"))) == 0)

            for query in ["status=bogus", "status=FAILED", "type=%3Cscript%3E", "type=user.exploded", "before=-1", "before=0", "before=abc",
                          "before=9223372036854775808", "before=99999999999999999999999", "event=%3Cscript%3Ealert(1)%3C/script%3E",
                          "event=evt_" + String(repeating: "a", count: 10_000), "event=%00", "status=%0D%0A"] {
                let r = try await ada.get(Self.path(endpoint, "?" + query))
                #expect(r.status == .unprocessableEntity || r.status == .badRequest, "\(query.prefix(60)): \(r.status)")
                #expect(!r.text.contains("<script>alert(1)"))
            }
            #expect(try await ada.get(Self.path(endpoint, "?before=9223372036854775807")).status == .ok)

            // Re-send: only this org's events.
            let deliveries = try await t.count("webhook_deliveries")
            #expect(try await ada.post(Self.path(endpoint, "/events/\(foreign)/redeliver")).status == .notFound)
            #expect(try await ada.post(Self.path(endpoint, "/events/evt_doesnotexist000000000000/redeliver")).status == .notFound)
            #expect(try await ada.post(Self.path(endpoint, "/events/%3Cscript%3E/redeliver")).status == .notFound)
            #expect(try await t.count("webhook_deliveries") == deliveries)
            #expect(try await ada.auditCount("event.redeliver") == 0)
            for since in ["", "-1", "9223372036854775808", "2026-13-45T99:99", "<script>", String(repeating: "9", count: 10_000), "2026-01-01T00:00\r\n"] {
                let r = try await ada.post(Self.path(endpoint, "/redeliver-failed"), [("since", since)])
                #expect(r.status == .unprocessableEntity, "\(since.prefix(30).debugDescription)")
            }
            #expect(try await ada.auditCount("event.redeliver_failed") == 0)
        }
    }

    // MARK: - Views

    @Test("the views: mocks render every part, and hostile text comes out escaped")
    func views() throws {
        let list = AdminWebhooks.view(.mock).raw
        #expect(list.contains("https://lms.demo.example/hooks/portico") && list.contains("all events"))
        #expect(list.contains("the receiver answered 410 Gone"))
        #expect(list.components(separatedBy: "type=\"checkbox\" name=\"events\"").count - 1 == Webhooks.eventTypes.count)
        let created = AdminWebhooks.view(.mockCreated).raw
        #expect(created.contains("a1b2c3d4e5f60718293a4b5c6d7e8f90") && created.contains(WebhookSignature.whsec("a1b2c3d4e5f60718293a4b5c6d7e8f90")))
        let invalid = AdminWebhooks.view(.mockInvalid).raw
        #expect(invalid.contains("class=\"error\" id=\"f-url-error\"") && invalid.contains("value=\"http://127.0.0.1/hook\""))

        let page = AdminWebhook.view(.mock).raw
        #expect(page.contains("HTTP 500") && page.contains("HTTP 200") && page.contains("84 ms") && page.contains("no answer"))
        #expect(page.contains("/events/evt_4f9Qx2LmN8pR5sT1vW3yZ6aB/redeliver"))
        #expect(page.contains("before=41"))
        #expect(page.contains("<time datetime=\"2026-01-01T00:00:00Z\" title=\"2026-01-01T00:00:00Z\">"))
        #expect(AdminWebhook.view(.mockRotated).raw.contains(WebhookSignature.whsec("a1b2c3d4e5f60718293a4b5c6d7e8f90")))
        #expect(AdminWebhook.view(.mockInvalid).raw.contains("id=\"f-since-error\""))

        for html in [AdminWebhooks.view(.mockHostile).raw, AdminWebhook.view(.mockHostile).raw] {
            #expect(!html.contains("<script>alert("), "nothing hostile comes out as markup")
            #expect(!html.contains("\"><script"))
            #expect(html.contains("&lt;script&gt;alert("))
        }
    }
}
