@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Events: the outbox, pulled with GET /api/events")
struct EventFeedTests {
    @Test("events come in sequence order without gaps, as webhook objects, per org")
    func pull() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let (_, otherKey) = try await t.org("other")
            for i in 1...5 { _ = try await t.send(.POST, "/api/users/u\(i)", key: key, body: #"{"email":"u\#(i)@x.example"}"#) }
            _ = try await t.send(.POST, "/api/users/theirs", key: otherKey)
            _ = try await t.send(.PATCH, "/api/users/u1", key: key, body: #"{"first_name":"Una"}"#)

            let all = try await t.send(.GET, "/api/events", key: key)
            #expect(all.status == .ok)
            let events = all.json["events"].array
            #expect(events.compactMap { $0["sequence"].int } == Array(1...6))
            #expect(events.compactMap { $0["type"].string } == Array(repeating: "user.created", count: 5) + ["user.updated"])
            #expect(events[0]["id"].string?.hasPrefix("evt_") == true)
            #expect(events[0]["created_at"].date != nil)
            #expect(events[0]["data"]["user"]["partner_id"].string == "u1")
            #expect(events[0]["data"]["user"]["token"].isNull, "no token in payloads")
            #expect(events[5]["data"]["user"]["first_name"].string == "Una")
            #expect(all.json["next_after_sequence"].int == 6)

            var seen: [Int] = []
            var after = 0
            for _ in 0..<5 {
                let page = try await t.send(.GET, "/api/events?after_sequence=\(after)&limit=4", key: key)
                let numbers = page.json["events"].array.compactMap { $0["sequence"].int }
                seen += numbers
                after = try #require(page.json["next_after_sequence"].int)
                if numbers.isEmpty { break }
            }
            #expect(seen == Array(1...6))
            #expect(after == 6, "an empty page repeats the request's after_sequence")

            let theirs = try await t.send(.GET, "/api/events", key: otherKey)
            #expect(theirs.json["events"].array.count == 1)
            for bad in ["limit=0", "limit=1001", "after_sequence=-1", "after_sequence=x"] {
                #expect(try await t.send(.GET, "/api/events?\(bad)", key: key).errorCode == "invalid_request", "\(bad)")
            }
        }
    }

    @Test("asking for purged events is 410 events_expired")
    func expired() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            for i in 1...3 { _ = try await t.send(.POST, "/api/users/u\(i)", key: key) }
            try await Event.query(on: t.store.db).filter(\.$orgID == org.id!).filter(\.$sequence <= 2).delete()
            let r = try await t.send(.GET, "/api/events?after_sequence=0", key: key)
            #expect(r.status == .gone)
            #expect(r.errorCode == "events_expired")
            #expect(try await t.send(.GET, "/api/events?after_sequence=2", key: key).status == .ok)
            try await Event.query(on: t.store.db).delete()
            #expect(try await t.send(.GET, "/api/events?after_sequence=1", key: key).status == .gone)
            #expect(try await t.send(.GET, "/api/events?after_sequence=3", key: key).json["events"].array.isEmpty)
        }
    }
}
