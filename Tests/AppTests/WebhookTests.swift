@testable import App
import Crypto
import FluentKit
import Foundation
import PorticoCore
import SQLKit
import Testing
import Vapor

/// Webhooks end to end: registered through the API, delivered by the worker to a
/// real receiver on 127.0.0.1, signed, retried, re-sent.
@Suite("Webhooks: endpoints, signed delivery, retries, re-sending")
struct WebhookTests {
    /// Private targets allowed (the receiver is on loopback), a short schedule and timeout.
    static func config(_ c: inout PorticoConfig) {
        c.webhookAllowPrivate = true
        c.webhookRetrySchedule = [10, 20]
        c.webhookTimeout = 2
    }

    /// The Standard Webhooks signature, computed here independently of the app's code.
    static func expectedSignature(id: String, timestamp: String, body: String, key: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(key.utf8)))
        return "v1," + Data(mac).base64EncodedString()
    }

    static func register(_ t: TestApp, key: String, url: String, events: String = "null") async throws -> (id: String, key: String) {
        let r = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url": "\#(url)", "events": \#(events)}"#)
        #expect(r.status == .created, "\(r.text)")
        return (try #require(r.json["webhook"]["id"].string), try #require(r.json["webhook"]["key"].string))
    }

    static func drain(_ t: TestApp) async throws {
        try await t.portico.webhookWorker(logger: t.app.logger).drain()
    }

    /// `count` user.updated events of the org, numbered in their payload, in one transaction.
    static func appendEvents(_ t: TestApp, org: Organization, count: Int) async throws {
        try await t.store.write { db in
            for i in 0..<count {
                try await Outbox.append(.userUpdated, orgID: org.id!, userID: nil, data: ["n": i], at: t.clock.now(), on: db)
            }
        }
    }

    static func delivery(_ t: TestApp, event: String) async throws -> WebhookDelivery {
        try #require(try await WebhookDelivery.query(on: t.store.db).filter(\.$eventID == event).first())
    }

    @Test("register, list, show, change and delete endpoints; keys shown only when made; other orgs see nothing")
    func management() async throws {
        try await TestApp.run(adjust: Self.config) { t in
            let (_, key) = try await t.org("acme")
            let (_, otherKey) = try await t.org("other")
            let created = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url": "http://127.0.0.1:9/hook", "events": ["user.created", "user.deleted"]}"#)
            #expect(created.status == .created)
            let webhook = created.json["webhook"]
            let id = try #require(webhook["id"].string)
            #expect(webhook["key"].string.map(Secrets.isHex32) == true)
            #expect(webhook["events"].array.compactMap(\.string) == ["user.created", "user.deleted"])
            #expect(webhook["enabled"].bool == true)
            #expect(webhook["created_at"].date != nil)

            let all = try await Self.register(t, key: key, url: "http://127.0.0.1:9/all")
            #expect(try await t.send(.GET, "/api/webhooks/\(all.id)", key: key).json["webhook"]["events"].isNull, "null = all events")

            let list = try await t.send(.GET, "/api/webhooks", key: key)
            #expect(list.status == .ok)
            #expect(list.json["webhooks"].array.count == 2)
            #expect(list.json["webhooks"].array.allSatisfy { !$0.keys.contains("key") }, "lists never show keys")
            let shown = try await t.send(.GET, "/api/webhooks/\(id)", key: key)
            #expect(shown.json["webhook"]["url"].string == "http://127.0.0.1:9/hook")
            #expect(!shown.json["webhook"].keys.contains("key"))

            let patched = try await t.send(.PATCH, "/api/webhooks/\(id)", key: key, body: #"{"events": null, "enabled": false}"#)
            #expect(patched.status == .ok)
            #expect(patched.json["webhook"]["events"].isNull)
            #expect(patched.json["webhook"]["enabled"].bool == false)
            #expect(try await t.send(.PATCH, "/api/webhooks/\(id)", key: key, body: #"{"url": "http://127.0.0.1:9/new"}"#).json["webhook"]["url"].string == "http://127.0.0.1:9/new")

            // Bad input: 4xx in the API's error format, nothing written.
            let before = try await t.count("webhook_endpoints")
            for body in [#"{}"#, #"{"url": "ftp://127.0.0.1/x"}"#, #"{"url": "not a url"}"#, #"{"url": "http://127.0.0.1/x", "events": []}"#,
                         #"{"url": "http://127.0.0.1/x", "events": ["user.exploded"]}"#] {
                let r = try await t.send(.POST, "/api/webhooks", key: key, body: body)
                #expect(r.status == .unprocessableEntity, "\(body): \(r.text)")
                #expect(r.errorCode == "invalid_request")
            }
            for body in [#"{"url": 5}"#, #"{"url": "http://127.0.0.1/x", "events": "user.created"}"#, #"["x"]"#, "{"] {
                #expect(try await t.send(.POST, "/api/webhooks", key: key, body: body).errorCode == "invalid_json", "\(body)")
            }
            #expect(try await t.count("webhook_endpoints") == before)
            #expect(try await t.send(.GET, "/api/webhooks/not-a-uuid", key: key).status == .notFound)

            // Another org's key: 404 for everything, its list is empty.
            #expect(try await t.send(.GET, "/api/webhooks", key: otherKey).json["webhooks"].array.isEmpty)
            for (method, path) in [(HTTPMethod.GET, "/api/webhooks/\(id)"), (.PATCH, "/api/webhooks/\(id)"), (.DELETE, "/api/webhooks/\(id)"),
                                   (.POST, "/api/webhooks/\(id)/rotate-key"), (.POST, "/api/webhooks/\(id)/test")] {
                let r = try await t.send(method, path, key: otherKey, body: "{}")
                #expect(r.status == .notFound, "\(method) \(path)")
                #expect(r.errorCode == "not_found")
            }
            #expect(try await t.send(.GET, "/api/webhooks").status == .unauthorized)

            #expect(try await t.send(.DELETE, "/api/webhooks/\(id)", key: key).status == .noContent)
            #expect(try await t.send(.GET, "/api/webhooks/\(id)", key: key).status == .notFound)
            #expect(try await t.count("webhook_endpoints") == 1)
        }
    }

    @Test("a delivery: body, Standard Webhooks headers, a signature that an independent HMAC verifies, recorded as succeeded")
    func delivery() async throws {
        try await Receiver.with { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (org, key) = try await t.org("acme")
                let endpoint = try await Self.register(t, key: key, url: receiver.url())
                _ = try await t.send(.POST, "/api/users/ann", key: key, body: #"{"email": "ann@x.example", "first_name": "Ann"}"#)
                try await Self.drain(t)

                let hits = receiver.hits
                try #require(hits.count == 1)
                let hit = hits[0]
                let event = try #require(try await Event.query(on: t.store.db).filter(\.$orgID == org.id!).first())
                #expect(hit.json.keys == ["webhook"])
                let webhook = hit.json["webhook"]
                #expect(webhook.keys == ["id", "type", "created_at", "sequence", "data"])
                #expect(webhook["id"].string == event.id)
                #expect(webhook["type"].string == "user.created")
                #expect(webhook["sequence"].int == 1)
                #expect(webhook["data"]["user"]["partner_id"].string == "ann")
                #expect(webhook["data"]["user"]["email"].string == "ann@x.example")
                #expect(!webhook["data"]["user"].keys.contains("token") || webhook["data"]["user"]["token"].isNull)

                #expect(hit.headers.first(name: "webhook-id") == event.id)
                let timestamp = try #require(hit.headers.first(name: "webhook-timestamp"))
                #expect(Int(timestamp) == Int(t.clock.now().timeIntervalSince1970))
                #expect(hit.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
                let signature = try #require(hit.headers.first(name: "webhook-signature"))
                #expect(signature == Self.expectedSignature(id: event.id!, timestamp: timestamp, body: hit.body, key: endpoint.key))

                let delivery = try await Self.delivery(t, event: event.id!)
                #expect(delivery.status == .succeeded)
                #expect(delivery.attempt == 1)
                #expect(delivery.responseStatus == 200)
                #expect(try await t.count("webhook_attempts") == 1)

                // Nothing more to do: a second drain sends nothing again.
                try await Self.drain(t)
                #expect(receiver.hits.count == 1)

                let metrics = try await t.send(.GET, "/metrics")
                #expect(metrics.text.contains(#"portico_webhook_deliveries_total{outcome="succeeded"} 1"#))
            }
        }
    }

    @Test("failure then success: retried on the schedule with the same webhook-id and a new timestamp and signature")
    func retries() async throws {
        try await Receiver.with({ index, _ in Receiver.Answer(status: index < 2 ? .internalServerError : .ok) }) { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (_, key) = try await t.org("acme")
                let endpoint = try await Self.register(t, key: key, url: receiver.url())
                _ = try await t.send(.POST, "/api/users/ann", key: key)
                try await Self.drain(t)
                #expect(receiver.hits.count == 1)
                let eventID = try #require(receiver.hits[0].webhookID)
                var delivery = try await Self.delivery(t, event: eventID)
                #expect(delivery.status == .pending)
                #expect(delivery.attempt == 1)
                #expect(delivery.responseStatus == 500)
                #expect(delivery.nextAttemptAt == t.clock.now().addingTimeInterval(10))

                t.clock.advance(by: 9)
                try await Self.drain(t)
                #expect(receiver.hits.count == 1, "not due yet")
                t.clock.advance(by: 1)
                try await Self.drain(t)
                #expect(receiver.hits.count == 2)
                t.clock.advance(by: 20)
                try await Self.drain(t)
                #expect(receiver.hits.count == 3)

                let hits = receiver.hits
                #expect(Set(hits.compactMap(\.webhookID)) == [eventID], "the same webhook-id on every attempt")
                #expect(Set(hits.compactMap { $0.headers.first(name: "webhook-timestamp") }).count == 3, "each attempt has its own timestamp")
                for hit in hits {
                    let ts = hit.headers.first(name: "webhook-timestamp")!
                    #expect(hit.headers.first(name: "webhook-signature") == Self.expectedSignature(id: eventID, timestamp: ts, body: hit.body, key: endpoint.key))
                }
                delivery = try await Self.delivery(t, event: eventID)
                #expect(delivery.status == .succeeded)
                #expect(delivery.attempt == 3)
                #expect(try await t.count("webhook_attempts") == 3)
            }
        }
    }

    @Test("all attempts failing: failed, visible; re-sent by the command's function and by the API, then delivered")
    func failedThenResent() async throws {
        try await Receiver.with({ _, _ in Receiver.Answer(status: .badGateway) }) { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (org, key) = try await t.org("acme")
                _ = try await Self.register(t, key: key, url: receiver.url())
                let start = t.clock.now()
                _ = try await t.send(.POST, "/api/users/ann", key: key)
                _ = try await t.send(.POST, "/api/users/bob", key: key)
                try await Self.drain(t)
                t.clock.advance(by: 10)
                try await Self.drain(t)
                t.clock.advance(by: 20)
                try await Self.drain(t)
                #expect(receiver.hits.count == 6, "3 attempts (schedule of 2 retries) for each of 2 events")
                let failed = try await WebhookDelivery.query(on: t.store.db).filter(\.$status == .failed).all()
                #expect(failed.count == 2)
                #expect(failed.allSatisfy { $0.attempt == 3 && $0.nextAttemptAt == nil && $0.error == "HTTP 502" })
                t.clock.advance(by: 3600)
                try await Self.drain(t)
                #expect(receiver.hits.count == 6, "failed deliveries are not retried on their own")

                receiver.answer { _, _ in Receiver.Answer(status: .ok) }
                // The CLI's `webhook redeliver --failed-since` runs this function.
                let queued = try await Webhooks.redeliverFailed(
                    orgID: org.id!, since: start, endpointID: nil, actor: "cli", ip: nil, now: t.clock.now(), store: t.store
                )
                #expect(queued == 2)
                try await Self.drain(t)
                #expect(receiver.hits.count == 8)
                #expect(try await t.count("webhook_deliveries", where: "status = 'succeeded'") == 2)

                // One event through the API.
                let eventID = try #require(receiver.hits[0].webhookID)
                let one = try await t.send(.POST, "/api/events/\(eventID)/redeliver", key: key)
                #expect(one.status == .accepted)
                #expect(one.json["queued"].int == 1)
                try await Self.drain(t)
                #expect(receiver.hits.count == 9)
                #expect(receiver.hits[8].webhookID == eventID)
                #expect(try await t.send(.POST, "/api/events/evt_nope/redeliver", key: key).status == .notFound)

                // All failed since a time, through the API.
                receiver.answer { _, _ in Receiver.Answer(status: .internalServerError) }
                _ = try await t.send(.POST, "/api/users/cy", key: key)
                for _ in 0..<3 {
                    try await Self.drain(t)
                    t.clock.advance(by: 30)
                }
                #expect(try await t.count("webhook_deliveries", where: "status = 'failed'") == 1)
                receiver.answer { _, _ in Receiver.Answer(status: .noContent) }
                let bad = try await t.send(.POST, "/api/events/redeliver-failed", key: key, body: #"{"since": "yesterday"}"#)
                #expect(bad.errorCode == "invalid_request")
                let all = try await t.send(.POST, "/api/events/redeliver-failed", key: key, body: #"{"since": "\#(RFC3339.string(from: start))"}"#)
                #expect(all.status == .accepted)
                #expect(all.json["queued"].int == 1)
                try await Self.drain(t)
                #expect(try await t.count("webhook_deliveries", where: "status = 'failed'") == 0)
                #expect(receiver.hits.last?.json["webhook"]["data"]["user"]["partner_id"].string == "cy")
            }
        }
    }

    @Test("a receiver slower than the timeout (head or body) is a failure; a huge body is cut short; 3xx is a failure; 429 Retry-After sets the next attempt; 410 disables")
    func answers() async throws {
        try await Receiver.with { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (_, key) = try await t.org("acme")
                let endpoint = try await Self.register(t, key: key, url: receiver.url())

                receiver.answer { _, _ in Receiver.Answer(delay: .seconds(4)) }
                _ = try await t.send(.POST, "/api/users/slow", key: key)
                try await Self.drain(t)
                var delivery = try await Self.delivery(t, event: try #require(receiver.hits.last?.webhookID))
                #expect(delivery.status == .pending)
                #expect(delivery.error?.contains("within 2 s") == true, "\(delivery.error ?? "")")
                #expect(delivery.responseStatus == nil)
                try await WebhookDelivery.query(on: t.store.db).delete()

                // A 200 whose body trickles in past the timeout: the whole exchange has 2 s.
                receiver.answer { _, _ in Receiver.Answer(trickle: .milliseconds(100)) }
                _ = try await t.send(.POST, "/api/users/trickle", key: key)
                let started = ContinuousClock.now
                try await Self.drain(t)
                // The trickle lasts 60 s; the 2 s timeout cuts it short (room for a busy machine).
                #expect(ContinuousClock.now - started < .seconds(20))
                delivery = try await Self.delivery(t, event: try #require(receiver.hits.last?.webhookID))
                #expect(delivery.status == .pending)
                #expect(delivery.error?.contains("within 2 s") == true, "\(delivery.error ?? "")")
                try await WebhookDelivery.query(on: t.store.db).delete()

                // A 2xx with a 1 MiB body: read up to 64 KiB, then the answer counts.
                receiver.answer { _, _ in Receiver.Answer(bodyBytes: 1 << 20) }
                _ = try await t.send(.POST, "/api/users/big", key: key)
                try await Self.drain(t)
                delivery = try await Self.delivery(t, event: try #require(receiver.hits.last?.webhookID))
                #expect(delivery.status == .succeeded && delivery.responseStatus == 200, "\(delivery.error ?? "")")
                try await WebhookDelivery.query(on: t.store.db).delete()

                receiver.answer { _, _ in Receiver.Answer(status: .found, headers: [("location", "http://127.0.0.1:1/")]) }
                _ = try await t.send(.POST, "/api/users/moved", key: key)
                try await Self.drain(t)
                #expect(receiver.hits.count == 4, "the redirect is not followed")
                delivery = try await Self.delivery(t, event: try #require(receiver.hits.last?.webhookID))
                #expect(delivery.status == .pending)
                #expect(delivery.responseStatus == 302)
                try await WebhookDelivery.query(on: t.store.db).delete()

                receiver.answer { _, _ in Receiver.Answer(status: .tooManyRequests, headers: [("retry-after", "120")]) }
                _ = try await t.send(.POST, "/api/users/busy", key: key)
                try await Self.drain(t)
                delivery = try await Self.delivery(t, event: try #require(receiver.hits.last?.webhookID))
                #expect(delivery.nextAttemptAt == t.clock.now().addingTimeInterval(120))
                receiver.answer { _, _ in Receiver.Answer(status: .serviceUnavailable, headers: [("retry-after", "99999")]) }
                t.clock.advance(by: 120)
                try await Self.drain(t)
                delivery = try await Self.delivery(t, event: delivery.eventID)
                #expect(delivery.nextAttemptAt == t.clock.now().addingTimeInterval(3600), "Retry-After is capped at an hour")
                try await WebhookDelivery.query(on: t.store.db).delete()

                receiver.answer { _, _ in Receiver.Answer(status: .gone) }
                _ = try await t.send(.POST, "/api/users/gone", key: key)
                try await Self.drain(t)
                let shown = try await t.send(.GET, "/api/webhooks/\(endpoint.id)", key: key)
                #expect(shown.json["webhook"]["enabled"].bool == false)
                #expect(shown.json["webhook"]["disabled_reason"].string?.contains("410") == true)
                let count = receiver.hits.count
                _ = try await t.send(.POST, "/api/users/after", key: key)
                try await Self.drain(t)
                #expect(receiver.hits.count == count, "a disabled endpoint gets nothing")
                #expect(try await t.count("audit_entries", where: "action = 'webhook.disabled_gone'") == 1)
            }
        }
    }

    @Test("per endpoint: first attempts in sequence order, a retrying event does not hold back later ones")
    func ordering() async throws {
        try await Receiver.with({ index, _ in Receiver.Answer(status: index == 0 ? .internalServerError : .ok) }) { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (_, key) = try await t.org("acme")
                _ = try await Self.register(t, key: key, url: receiver.url())
                for name in ["a", "b", "c", "d"] { _ = try await t.send(.POST, "/api/users/\(name)", key: key) }
                try await Self.drain(t)
                #expect(receiver.hits.compactMap { $0.json["webhook"]["sequence"].int } == [1, 2, 3, 4])
                t.clock.advance(by: 10)
                try await Self.drain(t)
                #expect(receiver.hits.compactMap { $0.json["webhook"]["sequence"].int } == [1, 2, 3, 4, 1])
            }
        }
    }

    @Test("batches overlap their recording: 250 events, one request in flight, in order; one failure mid-stream is retried once")
    func pipelinedBatches() async throws {
        // The 150th request fails once; the worker reads each batch while the one before is sent.
        try await Receiver.with({ index, _ in Receiver.Answer(status: index == 149 ? .internalServerError : .ok) }) { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (org, key) = try await t.org("acme")
                _ = try await Self.register(t, key: key, url: receiver.url())
                try await Self.appendEvents(t, org: org, count: 250)
                try await Self.drain(t)
                let first = receiver.hits.compactMap { $0.json["webhook"]["sequence"].int }
                #expect(first == Array(1...250), "every first attempt once, in order across batches")
                #expect(receiver.mostInFlight == 1)
                #expect(try await t.count("webhook_deliveries", where: "status = 'succeeded'") == 249)
                #expect(try await t.count("webhook_deliveries", where: "status = 'pending' AND attempt = 1 AND sequence = 150") == 1)
                #expect(try await t.count("webhook_attempts") == 250, "every outcome recorded, the last batch's too")
                t.clock.advance(by: 10)
                try await Self.drain(t)
                #expect(receiver.hits.compactMap { $0.json["webhook"]["sequence"].int }.dropFirst(250) == [150])
                #expect(try await t.count("webhook_deliveries", where: "status = 'succeeded'") == 250)
                #expect(receiver.mostInFlight == 1)
            }
        }
    }

    @Test("a worker that is stopped mid-batch stops at once: the cut-off exchange is no attempt, the rest stays pending")
    func stopMidBatch() async throws {
        // Each answer takes 6 s: stopping well under that is not waiting for the exchange
        // under way, nor for the batch (20 × 6 s), with room for a busy machine.
        try await Receiver.with({ _, _ in Receiver.Answer(delay: .seconds(6)) }) { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (org, key) = try await t.org("acme")
                _ = try await Self.register(t, key: key, url: receiver.url())
                try await Self.appendEvents(t, org: org, count: 20)
                let worker = t.portico.webhookWorker(logger: t.app.logger)
                let running = Task { await worker.run() }
                while receiver.hits.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                let stopping = ContinuousClock.now
                running.cancel()
                await running.value
                #expect(ContinuousClock.now - stopping < .seconds(3), "not after the exchange under way (6 s)")
                #expect(try await t.count("webhook_attempts") == 0, "the exchange cut off is not an attempt")
                #expect(try await t.count("webhook_deliveries", where: "status = 'pending' AND attempt = 0") == 20)
                #expect(try await t.count("webhook_endpoints", where: "lease_owner IS NULL") == 1, "the endpoint is given back")
            }
        }
    }

    @Test("filters, the test event, and key rotation: both signatures verify during the overlap, only the new one after")
    func filterTestAndRotation() async throws {
        try await Receiver.with { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (_, key) = try await t.org("acme")
                let endpoint = try await Self.register(t, key: key, url: receiver.url(), events: #"["user.deleted"]"#)
                _ = try await t.send(.POST, "/api/users/ann", key: key)
                _ = try await t.send(.DELETE, "/api/users/ann", key: key)
                try await Self.drain(t)
                #expect(receiver.hits.compactMap { $0.json["webhook"]["type"].string } == ["user.deleted"])

                let test = try await t.send(.POST, "/api/webhooks/\(endpoint.id)/test", key: key)
                #expect(test.status == .accepted)
                #expect(test.json["event"]["type"].string == "webhook.test")
                try await Self.drain(t)
                let testHit = try #require(receiver.hits.last)
                #expect(testHit.json["webhook"]["type"].string == "webhook.test")
                #expect(testHit.json["webhook"]["data"].keys.isEmpty)

                let rotated = try await t.send(.POST, "/api/webhooks/\(endpoint.id)/rotate-key", key: key)
                #expect(rotated.status == .ok)
                let newKey = try #require(rotated.json["webhook"]["key"].string)
                #expect(newKey != endpoint.key && Secrets.isHex32(newKey))
                #expect(rotated.json["webhook"]["previous_key_expires_at"].date == t.clock.now().addingTimeInterval(24 * 3600))
                _ = try await t.send(.POST, "/api/webhooks/\(endpoint.id)/test", key: key)
                try await Self.drain(t)
                var hit = try #require(receiver.hits.last)
                var ts = hit.headers.first(name: "webhook-timestamp")!
                let signatures = (hit.headers.first(name: "webhook-signature") ?? "").split(separator: " ").map(String.init)
                #expect(signatures == [
                    Self.expectedSignature(id: hit.webhookID!, timestamp: ts, body: hit.body, key: newKey),
                    Self.expectedSignature(id: hit.webhookID!, timestamp: ts, body: hit.body, key: endpoint.key),
                ])

                t.clock.advance(by: 24 * 3600 + 1)
                _ = try await t.send(.POST, "/api/webhooks/\(endpoint.id)/test", key: key)
                try await Self.drain(t)
                hit = try #require(receiver.hits.last)
                ts = hit.headers.first(name: "webhook-timestamp")!
                #expect(hit.headers.first(name: "webhook-signature") == Self.expectedSignature(id: hit.webhookID!, timestamp: ts, body: hit.body, key: newKey))
            }
        }
    }

    @Test("events committed while no worker ran are delivered by a new instance on the same database")
    func restartDurability() async throws {
        try await Receiver.with { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (_, key) = try await t.org("acme")
                _ = try await Self.register(t, key: key, url: receiver.url())
                for i in 1...5 { _ = try await t.send(.POST, "/api/users/u\(i)", key: key) }
                #expect(receiver.hits.isEmpty)

                let second = try await Application.make(.testing)
                do {
                    try await configure(second, config: t.portico.config, clock: t.clock)
                    try await second.portico.webhookWorker(logger: second.logger).drain()
                } catch {
                    try? await second.asyncShutdown()
                    throw error
                }
                try await second.asyncShutdown()
                #expect(receiver.hits.compactMap { $0.json["webhook"]["sequence"].int } == [1, 2, 3, 4, 5])
            }
        }
    }

    @Test("two workers on one database, 1,000 events to two endpoints: every delivery made exactly once")
    func twoWorkers() async throws {
        try await Receiver.with { receiver in
            try await TestApp.run(adjust: Self.config) { t in
                let (org, key) = try await t.org("acme")
                _ = try await Self.register(t, key: key, url: receiver.url("/one"))
                _ = try await Self.register(t, key: key, url: receiver.url("/two"))
                try await Self.appendEvents(t, org: org, count: 1000)

                let second = try await Application.make(.testing)
                do {
                    try await configure(second, config: t.portico.config, clock: t.clock)
                    let a = t.portico.webhookWorker(logger: t.app.logger)
                    let b = second.portico.webhookWorker(logger: second.logger)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for worker in [a, a, b, b] { group.addTask { try await worker.drain() } }
                        try await group.waitForAll()
                    }
                } catch {
                    try? await second.asyncShutdown()
                    throw error
                }
                try await second.asyncShutdown()

                let hits = receiver.hits
                #expect(hits.count == 2000, "no attempt made twice")
                for path in ["/one", "/two"] {
                    let ids = hits.filter { $0.path == path }.compactMap(\.webhookID)
                    #expect(ids.count == 1000)
                    #expect(Set(ids).count == 1000)
                    let sequences = hits.filter { $0.path == path }.compactMap { $0.json["webhook"]["sequence"].int }
                    #expect(sequences == Array(1...1000), "in sequence order per endpoint")
                }
                #expect(try await t.count("webhook_deliveries", where: "status = 'succeeded'") == 2000)
            }
        }
    }

    @Test("SSRF: private, loopback and special targets are refused at registration and at delivery; a public one is accepted")
    func ssrf() async throws {
        try await TestApp.run(adjust: { $0.webhookAllowPrivate = false }) { t in
            let (org, key) = try await t.org("acme")
            let refused = [
                "http://93.184.216.34/hook",  // http needs the flag
                "https://127.0.0.1/hook", "https://127.255.0.1/", "https://0.0.0.0/", "https://10.1.2.3/", "https://100.64.0.1/",
                "https://169.254.169.254/latest", "https://172.16.0.1/", "https://172.31.255.255/", "https://192.168.1.1/",
                "https://198.18.0.1/", "https://224.0.0.1/", "https://255.255.255.255/",
                "https://[::1]/", "https://[::]/", "https://[fc00::1]/", "https://[fd12:3456::1]/", "https://[fe80::1]/",
                "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/", "https://[64:ff9b::a00:1]/",
                "https://2130706433/", "https://0x7f.1/", "https://0177.0.0.1/", "https://127.1/",
                "https://localhost/", "https://localhost./", "https://user:pass@93.184.216.34/",
            ]
            for url in refused {
                let r = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url": "\#(url)"}"#)
                #expect(r.status == .unprocessableEntity, "\(url) must be refused: \(r.text)")
                #expect(r.errorCode == "invalid_request")
            }
            #expect(try await t.count("webhook_endpoints") == 0)
            let accepted = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url": "https://93.184.216.34/hook"}"#)
            #expect(accepted.status == .created, "\(accepted.text)")
            let id = try #require(accepted.json["webhook"]["id"].string)
            #expect(try await t.send(.PATCH, "/api/webhooks/\(id)", key: key, body: #"{"url": "https://10.0.0.1/"}"#).status == .unprocessableEntity)

            // At delivery too: a target that became private (here written straight to the row) is not contacted.
            try await t.sql.raw("UPDATE webhook_endpoints SET url = 'https://127.0.0.1:9/hook'").run()
            _ = try await t.send(.POST, "/api/users/ann", key: key)
            try await Self.drain(t)
            let delivery = try #require(try await WebhookDelivery.query(on: t.store.db).filter(\.$orgID == org.id!).first())
            #expect(delivery.status == .pending)
            #expect(delivery.attempt == 1)
            #expect(delivery.responseStatus == nil)
            #expect(delivery.error?.contains("loopback") == true, "\(delivery.error ?? "")")
        }
    }

    @Test("retention purges old events with their deliveries; deleting a user scrubs their personal data from stored events")
    func retentionAndPrivacy() async throws {
        try await TestApp.run(adjust: Self.config) { t in
            let (org, key) = try await t.org("acme")
            _ = try await Self.register(t, key: key, url: "http://127.0.0.1:9/hook")
            _ = try await t.send(.POST, "/api/users/ann", key: key, body: #"{"email": "ann@x.example", "first_name": "Ann", "last_name": "Lee"}"#)
            _ = try await t.send(.PATCH, "/api/users/ann", key: key, body: #"{"email": "ann.lee@x.example"}"#)
            _ = try await t.send(.POST, "/api/users/bob", key: key, body: #"{"email": "bob@x.example"}"#)
            _ = try await t.send(.DELETE, "/api/users/ann", key: key)

            let feed = try await t.send(.GET, "/api/events", key: key)
            #expect(!feed.text.contains("ann@x.example") && !feed.text.contains("ann.lee@x.example") && !feed.text.contains("Ann") && !feed.text.contains("Lee"))
            #expect(feed.text.contains("bob@x.example"), "other users keep theirs")
            let events = feed.json["events"].array
            #expect(events.compactMap { $0["type"].string } == ["user.created", "user.updated", "user.created", "user.deleted"])
            #expect(events[0]["data"]["user"]["partner_id"].string == "ann", "ids stay")
            #expect(events[0]["data"]["user"]["email"].isNull)
            #expect(events[3]["data"]["user"]["id"].string == events[0]["data"]["user"]["id"].string)

            // Fan out so deliveries exist, then age the first two events past the window.
            try await Self.drain(t)
            #expect(try await t.count("webhook_deliveries") == 4)
            t.clock.advance(by: 31 * 86400)
            _ = try await t.send(.POST, "/api/users/cy", key: key)
            let purged = try await BackgroundJobs.purgeExpired(t.portico)  // PORTICO_EVENT_RETENTION_DAYS 30
            #expect(purged.deleted["events"] == 4)
            #expect(try await t.eventTypes(org: org) == ["user.created"])
            #expect(try await t.count("webhook_deliveries", where: "sequence <= 4") == 0)
            #expect(try await t.count("webhook_attempts") == 0)
            #expect(try await t.send(.GET, "/api/events?after_sequence=0", key: key).errorCode == "events_expired")
            #expect(try await t.send(.GET, "/api/events?after_sequence=4", key: key).json["events"].array.count == 1)
        }
    }
}
