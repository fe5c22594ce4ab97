@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Launch codes: /launch, the Partner API, and /jsp/api/getUserId")
struct LaunchCodeTests {
    struct Fixture {
        var key: String
        var app: PartnerApp
        var appKey: String
    }

    static func fixture(_ t: TestApp, launchURL: String = "https://partner.example/start?src=portico") async throws -> Fixture {
        let (org, key) = try await t.org("acme")
        _ = try await t.send(.POST, "/api/users/u1", key: key, body: #"{"first_name":"Ann","last_name":"Lee"}"#)
        let (app, appKey) = try await PartnerApps.create(
            org: org, slug: "tutor", name: "Tutoring", launchURL: launchURL, actor: "t", now: t.clock.now(), store: t.store
        )
        return Fixture(key: key, app: app, appKey: appKey)
    }

    func code(_ t: TestApp, _ f: Fixture, partnerID: String = "u1") async throws -> String {
        let r = try await t.send(.POST, "/api/users/\(partnerID)/launch-codes", key: f.key, body: #"{"app":"tutor"}"#)
        guard let code = r.json["code"].string else { throw TestFailure("no code: \(r.text)") }
        return code
    }

    func exchange(_ t: TestApp, code: String?, key: String?, slash: Bool = true) async throws -> TestResponse {
        var items: [String] = []
        if let code { items.append("t=\(code.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") }
        if let key { items.append("k=\(key)") }
        return try await t.send(.GET, "/jsp/api/getUserId\(slash ? "/" : "")?" + items.joined(separator: "&"))
    }

    func expectFailure(_ r: TestResponse, _ failure: LaunchCodes.Failure, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status.code == UInt(failure.status), sourceLocation: sourceLocation)
        #expect(r.headers.first(name: "X-Error") == failure.rawValue, sourceLocation: sourceLocation)
        #expect(r.json["error"].string == failure.rawValue, sourceLocation: sourceLocation)
    }

    @Test("a code from the Partner API exchanges once for the seed's identity JSON, on both paths")
    func exchangeSucceeds() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let created = try await t.send(.POST, "/api/users/u1/launch-codes", key: f.key, body: #"{"app":"tutor"}"#)
            #expect(created.status == .ok)
            #expect(created.json["expires_in"].int == 60)
            let code = try #require(created.json["code"].string)
            #expect(created.json["url"].string == "https://partner.example/start?src=portico&t=\(code)")
            #expect(created.json["expires_at"].date != nil)
            #expect(!code.contains("=") && !code.contains("+") && !code.contains("/"), "base64url without padding")

            let r = try await exchange(t, code: code, key: f.appKey, slash: false)
            #expect(r.status == .ok)
            #expect(r.headers.first(name: "X-Error") == nil)
            #expect(r.json["username"].string == "u1")
            #expect(r.json["firstname"].string == "Ann" && r.json["lastname"].string == "Lee")
            #expect(r.json["displayName"].string == "Ann Lee")
            #expect(UUID(uuidString: r.json["userid"].string ?? "") != nil)

            let second = try await exchange(t, code: try await self.code(t, f), key: f.appKey, slash: true)
            #expect(second.status == .ok, "with the trailing slash, no redirect")
            _ = try await t.send(.POST, "/api/users/nameless", key: f.key)
            let nameless = try await exchange(t, code: try await self.code(t, f, partnerID: "nameless"), key: f.appKey)
            #expect(nameless.json["firstname"].string == "" && nameless.json["displayName"].string == "nameless")
        }
    }

    @Test("every error row of SPEC §6, with the seed's X-Error text")
    func errorRows() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let code = try await self.code(t, f)
            expectFailure(try await exchange(t, code: nil, key: f.appKey), .missingCode)
            expectFailure(try await exchange(t, code: "", key: f.appKey), .missingCode)
            expectFailure(try await exchange(t, code: code, key: nil), .missingKey)
            expectFailure(try await exchange(t, code: code, key: ""), .missingKey)
            expectFailure(try await exchange(t, code: code, key: Secrets.hex()), .wrongKey)
            expectFailure(try await exchange(t, code: code, key: "not-a-key"), .wrongKey)

            var chars = Array(code)
            let i = chars.count / 2
            chars[i] = chars[i] == "A" ? "B" : "A"
            expectFailure(try await exchange(t, code: String(chars), key: f.appKey), .undecryptable)
            expectFailure(try await exchange(t, code: String(code.dropLast(5)), key: f.appKey), .undecryptable)
            expectFailure(try await exchange(t, code: "!!!not base64!!!", key: f.appKey), .undecryptable)
            expectFailure(try await exchange(t, code: "aGVsbG8", key: f.appKey), .undecryptable)

            // A code issued for app A, presented with app B's key.
            let org = try #require(try await Organizations.find(slug: "acme", on: t.store.db))
            let (_, otherKey) = try await PartnerApps.create(
                org: org, slug: "other", name: "Other", launchURL: "https://other.example/", actor: "t", now: t.clock.now(), store: t.store
            )
            expectFailure(try await exchange(t, code: code, key: otherKey), .undecryptable)

            // Still unused: it works, then never again.
            #expect(try await exchange(t, code: code, key: f.appKey).status == .ok)
            expectFailure(try await exchange(t, code: code, key: f.appKey), .notValid)

            // A disabled app's key.
            let fresh = try await self.code(t, f)
            _ = try await PartnerApps.setEnabled(false, org: org, slug: "tutor", actor: "t", now: t.clock.now(), store: t.store)
            expectFailure(try await exchange(t, code: fresh, key: f.appKey), .wrongKey)
        }
    }

    @Test("a code lives 60 seconds: 59 s accepted, 61 s refused")
    func expiry() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let f = try await Self.fixture(t)
            let early = try await code(t, f)
            let late = try await code(t, f)
            clock.advance(by: 59)
            #expect(try await exchange(t, code: early, key: f.appKey).status == .ok)
            clock.advance(by: 2)
            expectFailure(try await exchange(t, code: late, key: f.appKey), .expired)
        }
    }

    @Test("a deleted user is reported as such, although their codes went with them")
    func deletedUser() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let code = try await code(t, f)
            #expect(try await t.send(.DELETE, "/api/users/u1", key: f.key).status == .noContent)
            #expect(try await t.count("launch_codes") == 0)
            expectFailure(try await exchange(t, code: code, key: f.appKey), .userGone)
        }
    }

    @Test("parallel redemptions of one code: exactly one 200")
    func parallel() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let code = try await code(t, f)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<12 { group.addTask { try await exchange(t, code: code, key: f.appKey).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .badRequest }.count == 11)
        }
    }

    @Test("rotating an app's key retires the old one")
    func rotation() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let org = try #require(try await Organizations.find(slug: "acme", on: t.store.db))
            let (_, newKey) = try await PartnerApps.rotateKey(org: org, slug: "tutor", actor: "t", now: t.clock.now(), store: t.store)
            let code = try await code(t, f)
            expectFailure(try await exchange(t, code: code, key: f.appKey), .wrongKey)
            #expect(try await exchange(t, code: code, key: newKey).status == .ok)
        }
    }

    @Test("the browser path: member → /launch/{slug} → the launch URL with t, which the exchange accepts")
    func browserPath() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let cookie = try await t.member(key: f.key, partnerID: "u1")
            let dashboard = try await t.page("/members/dashboard", cookie: cookie)
            #expect(dashboard.text.contains("href=\"/launch/tutor\""))
            let r = try await t.page("/launch/tutor", cookie: cookie)
            #expect(r.status == .seeOther)
            let location = try #require(r.headers.first(name: .location))
            #expect(location.hasPrefix("https://partner.example/start?src=portico&t="))
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "t" }?.value)
            let identity = try await exchange(t, code: code, key: f.appKey)
            #expect(identity.status == .ok && identity.json["username"].string == "u1")

            #expect(try await t.send(.GET, "/launch/tutor").status == .unauthorized, "members only")
            #expect(try await t.page("/launch/nope", cookie: cookie).status == .notFound)
        }
    }

    @Test("launch codes for unknown apps, other orgs' apps or other orgs' users are refused")
    func tenancy() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let (other, otherKey) = try await t.org("other")
            _ = try await PartnerApps.create(org: other, slug: "theirs", name: "Theirs", launchURL: "https://theirs.example/", actor: "t", now: t.clock.now(), store: t.store)
            #expect(try await t.send(.POST, "/api/users/u1/launch-codes", key: f.key, body: #"{"app":"theirs"}"#).status == .notFound)
            #expect(try await t.send(.POST, "/api/users/u1/launch-codes", key: otherKey, body: #"{"app":"tutor"}"#).status == .notFound)
            #expect(try await t.send(.POST, "/api/users/u1/launch-codes", key: f.key, body: "{}").status == .unprocessableEntity)
        }
    }

    @Test("launch URLs must be https, or http on loopback")
    func launchURLRule() {
        #expect(PartnerApps.isValidLaunchURL("https://partner.example/x?y=1"))
        #expect(PartnerApps.isValidLaunchURL("http://127.0.0.1:9000/launch"))
        #expect(PartnerApps.isValidLaunchURL("http://localhost/launch"))
        #expect(!PartnerApps.isValidLaunchURL("http://partner.example/"))
        #expect(!PartnerApps.isValidLaunchURL("javascript:alert(1)"))
        #expect(!PartnerApps.isValidLaunchURL("https://user@partner.example/"))
    }
}
