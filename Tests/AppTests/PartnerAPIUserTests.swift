@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Partner API: users")
struct PartnerAPIUserTests {
    @Test("create answers 200 with created=true, then false; one user, a new token each time")
    func createIsIdempotent() async throws {
        try await TestApp.run { t in
            // setup
            let (org, key) = try await t.org("acme")
            // MUT
            let first = try await t.send(.POST, "/api/users/abc123", key: key, body: #"{"email":"ann@xyz.edu","first_name":"Ann","last_name":"Lee"}"#)
            let second = try await t.send(.POST, "/api/users/abc123", key: key, body: #"{"email":"other@xyz.edu","first_name":"Zed"}"#)
            // validate
            #expect(first.status == .ok)
            #expect(first.json["created"].bool == true)
            #expect(second.status == .ok)
            #expect(second.json["created"].bool == false)
            let user = second.json["user"]
            #expect(user["partner_id"].string == "abc123")
            #expect(user["email"].string == "ann@xyz.edu", "the body is ignored for an existing user")
            #expect(user["first_name"].string == "Ann")
            #expect(user["anonymous"].bool == false)
            #expect(user["expires_at"].isNull)
            #expect(user["org_id"].string == org.id!.uuidString.lowercased())
            #expect(user["id"].string == first.json["user"]["id"].string)
            #expect(user["subscription_id"].string != nil)
            let t1 = first.json["user"]["token"]["token"].string, t2 = user["token"]["token"].string
            #expect(t1 != nil && t2 != nil && t1 != t2)
            #expect(user["token"]["sso_url"].string == "http://127.0.0.1:8080/login/sso?token=\(t2!)")
            #expect(try await t.count("users") == 1)
            #expect(try await t.count("subscriptions") == 1)
            #expect(try await t.count("sso_tokens") == 2)
            #expect(try await t.eventTypes(org: org) == ["user.created"])
        }
    }

    @Test("20 concurrent identical creates make exactly one user")
    func concurrentCreates() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponseStatus, Bool?).self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let r = try await t.send(.POST, "/api/users/same-person", key: key, body: #"{"first_name":"Sam"}"#)
                        return (r.status, r.json["created"].bool)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0.0 == .ok })
            #expect(statuses.filter { $0.1 == true }.count == 1)
            #expect(try await t.count("users") == 1)
            #expect(try await t.count("subscriptions") == 1)
            #expect(try await t.count("sso_tokens") == 20)
            #expect(try await t.eventTypes(org: org) == ["user.created"])
        }
    }

    @Test("30 concurrent creates of different users: their events are numbered 1 to 30, none skipped or repeated")
    func concurrentCreatesNumberEvents() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for i in 0..<30 {
                    group.addTask { try await t.send(.POST, "/api/users/student-\(i)", key: key).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 30))
            let events = try await Event.query(on: t.store.db).filter(\.$orgID == org.requireID()).sort(\.$sequence).all()
            #expect(events.map(\.sequence) == Array(1...30))
            #expect(Set(events.compactMap(\.userID)).count == 30)
            #expect(try await t.count("subscriptions") == 30)
            #expect(try await t.count("sso_tokens") == 30)
        }
    }

    @Test("the token lives 48 hours and earlier tokens stay valid")
    func tokenExpiry() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let (_, key) = try await t.org("acme")
            let r = try await t.send(.POST, "/api/users/u1", key: key)
            #expect(r.json["user"]["token"]["expires_at"].date == Date(timeIntervalSince1970: (clock.now().timeIntervalSince1970 + 172_800).rounded(.down)))
            clock.advance(by: 60)
            _ = try await t.send(.POST, "/api/users/u1", key: key)
            #expect(try await t.count("sso_tokens", where: "consumed_at IS NULL") == 2)
        }
    }

    @Test("partner_id rules of the seed", arguments: [
        ("abc-DEF_123", HTTPResponseStatus.ok),
        (String(repeating: "a", count: 255), .ok),
        (String(repeating: "a", count: 256), .unprocessableEntity),
        ("has%20space", .unprocessableEntity),
        ("caf%C3%A9", .unprocessableEntity),
        ("..%2F", .unprocessableEntity),
        ("a%2Fb", .unprocessableEntity),
        ("a.b", .unprocessableEntity),
        ("a+b", .unprocessableEntity),
        ("%E2%9C%93", .unprocessableEntity),
    ])
    func partnerIDRules(partnerID: String, expected: HTTPResponseStatus) async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let r = try await t.send(.POST, "/api/users/\(partnerID)", key: key)
            #expect(r.status == expected, "\(partnerID)")
            if expected != .ok {
                #expect(r.errorCode == "invalid_partner_id")
                #expect(r.json["error"]["status"].int == 422)
                #expect(try await t.count("users") == 0)
            }
        }
    }

    @Test("an empty partner_id is invalid, and 'anonymous' is reserved")
    func emptyAndReserved() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let empty = try await t.send(.POST, "/api/users/", key: key)
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.errorCode == "invalid_partner_id")
            for method in [HTTPMethod.GET, .PATCH, .DELETE] {
                let r = try await t.send(method, "/api/users/anonymous", key: key, body: method == .PATCH ? "{}" : nil)
                #expect(r.status == .notFound, "\(method)")
                #expect(r.errorCode == "user_not_found")
            }
        }
    }

    @Test("get, update and delete a user, with their events")
    func getUpdateDelete() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            _ = try await t.send(.POST, "/api/users/u1", key: key, body: #"{"email":"a@b.example"}"#)
            let got = try await t.send(.GET, "/api/users/u1", key: key)
            #expect(got.status == .ok)
            #expect(got.json["user"]["email"].string == "a@b.example")
            #expect(got.json["user"]["token"].isNull, "GET carries no token")

            let patched = try await t.send(.PATCH, "/api/users/u1", key: key, body: #"{"first_name":"Bo","email":null}"#)
            #expect(patched.status == .ok)
            #expect(patched.json["user"]["first_name"].string == "Bo")
            #expect(patched.json["user"]["email"].isNull)
            let badEmail = try await t.send(.PATCH, "/api/users/u1", key: key, body: #"{"email":"not-an-email"}"#)
            #expect(badEmail.status == .unprocessableEntity)
            #expect(badEmail.errorCode == "invalid_request")

            // Things of theirs, to be deleted with them.
            _ = try await t.send(.POST, "/api/users/u1/enrollments", key: key, body: #"{"course_id":"resume-essentials"}"#)
            let deleted = try await t.send(.DELETE, "/api/users/u1", key: key)
            #expect(deleted.status == .noContent)
            #expect(try await t.send(.GET, "/api/users/u1", key: key).status == .notFound)
            for table in ["users", "subscriptions", "sso_tokens", "enrollments"] {
                #expect(try await t.count(table) == 0, "\(table)")
            }
            #expect(try await t.eventTypes(org: org) == ["user.created", "user.updated", "enrollment.created", "user.deleted"])
            let sequences = try await Event.query(on: t.store.db).sort(\.$sequence).all().map(\.sequence)
            #expect(sequences == [1, 2, 3, 4])
            #expect(try await t.count("audit_entries", where: "action = 'user.delete'") == 1)
        }
    }

    @Test("a key of org A never sees org B's user")
    func tenancy() async throws {
        try await TestApp.run { t in
            let (_, keyA) = try await t.org("org-a")
            let (orgB, keyB) = try await t.org("org-b")
            _ = try await t.send(.POST, "/api/users/shared", key: keyB, body: #"{"email":"b@b.example"}"#)
            let probes: [(HTTPMethod, String, String?)] = [
                (.GET, "/api/users/shared", nil),
                (.PATCH, "/api/users/shared", #"{"email":"x@a.example"}"#),
                (.DELETE, "/api/users/shared", nil),
                (.GET, "/api/users/shared/tracks", nil),
                (.GET, "/api/users/shared/interviews", nil),
                (.GET, "/api/users/shared/enrollments", nil),
                (.POST, "/api/users/shared/enrollments", #"{"course_id":"resume-essentials"}"#),
                (.POST, "/api/users/shared/subscriptions", #"{"org":"org-b"}"#),
            ]
            for (method, path, body) in probes {
                let r = try await t.send(method, path, key: keyA, body: body)
                #expect(r.status == .notFound, "\(method) \(path)")
            }
            // The same partner_id in org A is another person.
            let a = try await t.send(.POST, "/api/users/shared", key: keyA)
            #expect(a.json["created"].bool == true)
            let b = try await t.send(.GET, "/api/users/shared", key: keyB)
            #expect(b.json["user"]["email"].string == "b@b.example")
            #expect(b.json["user"]["org_id"].string == orgB.id!.uuidString.lowercased())
        }
    }

    @Test("malformed JSON, wrong types and huge bodies are 4xx in the error format, with nothing written")
    func badBodies() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            for body in ["{", "[1,2]", "\"text\"", #"{"email": 5}"#, #"{"first_name": ["x"]}"#, "nul"] {
                let r = try await t.send(.POST, "/api/users/u1", key: key, body: body)
                #expect(r.status == .badRequest, "\(body)")
                #expect(r.errorCode == "invalid_json", "\(body)")
                #expect(r.json["error"]["message"].string?.isEmpty == false)
            }
            let huge = #"{"email":""# + String(repeating: "x", count: 2 * 1024 * 1024) + #""}"#
            let r = try await t.send(.POST, "/api/users/u1", key: key, body: huge)
            #expect(r.status == .payloadTooLarge)
            #expect(r.errorCode == "payload_too_large")
            #expect(try await t.count("users") == 0)
            #expect(try await t.count("events") == 0)
        }
    }
}
