@testable import App
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Partner API: anonymous users")
struct AnonymousUserTests {
    @Test("403 anonymous_users_disabled when the org has not enabled them")
    func disabled() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let r = try await t.send(.POST, "/api/users/anonymous", key: key)
            #expect(r.status == .forbidden)
            #expect(r.errorCode == "anonymous_users_disabled")
            #expect(try await t.count("users") == 0)
        }
    }

    @Test("an anonymous user lives 24 hours, is usable everywhere, then is 404 and deleted by the job")
    func lifecycle() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let (org, key) = try await t.org("acme", anonymous: true)
            let r = try await t.send(.POST, "/api/users/anonymous", key: key)
            #expect(r.status == .ok)
            #expect(r.json["created"].bool == true)
            let user = r.json["user"]
            let partnerID = try #require(user["partner_id"].string)
            #expect(partnerID.hasPrefix("anon-") && partnerID.count == 25)
            #expect(PartnerID(partnerID) != nil)
            #expect(user["anonymous"].bool == true)
            let expiresAt = try #require(user["expires_at"].date)
            #expect(expiresAt == Date(timeIntervalSince1970: (clock.now().timeIntervalSince1970 + 86_400).rounded(.down)))
            #expect(user["token"]["expires_at"].date == expiresAt, "the token never outlives the user")

            // Usable everywhere a partner_id is.
            #expect(try await t.send(.GET, "/api/users/\(partnerID)", key: key).status == .ok)
            #expect(try await t.send(.GET, "/api/users/\(partnerID)/tracks", key: key).status == .ok)
            let refreshed = try await t.send(.POST, "/api/users/\(partnerID)", key: key)
            #expect(refreshed.json["created"].bool == false)
            #expect(refreshed.json["user"]["expires_at"].date == expiresAt, "refreshing never extends its life")
            #expect(refreshed.json["user"]["token"]["expires_at"].date == expiresAt, "nor does a refreshed token outlive it")

            // The job leaves it alone before its time.
            clock.advance(by: 86_399)
            #expect(try await Users.expireAnonymous(now: clock.now(), store: t.store) == 0)

            // Past its time it is gone everywhere, even before the job runs.
            clock.advance(by: 2)
            #expect(try await t.send(.GET, "/api/users/\(partnerID)", key: key).errorCode == "user_not_found")
            #expect(try await t.send(.POST, "/api/users/\(partnerID)", key: key).status == .notFound)
            #expect(try await t.send(.GET, "/api/users/\(partnerID)/tracks", key: key).status == .notFound)

            #expect(try await Users.expireAnonymous(now: clock.now(), store: t.store) == 1)
            #expect(try await t.count("users") == 0)
            #expect(try await t.count("sso_tokens") == 0)
            #expect(try await t.eventTypes(org: org) == ["user.created", "user.expired"])
        }
    }
}
