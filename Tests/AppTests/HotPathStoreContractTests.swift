@testable import App
import FluentKit
import Foundation
import PorticoCore
import SQLKit
import Testing

/// The same cases against the `HotPathStore` of the engine under test: the SQLite
/// C-API store by default, the PostgreSQL store with `TEST_DATABASE_URL` (`.ci/run`
/// runs both). Every rule these check is decided once, in PorticoCore.
@Suite("Hot-path store contract (both engines)")
struct HotPathStoreContractTests {
    /// An org, a user "u1" and a fresh single-use token for it (hash and clear).
    func fixture(_ t: TestApp, ttl: Int? = nil, singleUse: Bool = true) async throws -> (Organization, UserRecord, String) {
        let (org, _) = try await t.org("acme")
        if let ttl {
            _ = try await Organizations.update(slug: "acme", settings: .init(ssoTokenTTL: ttl), actor: "t", now: t.clock.now(), store: t.store)
        }
        let token = Secrets.hex()
        let result = try #require(try await t.portico.hotPaths.createOrRefreshUser(UserUpsert(
            orgID: org.requireID(), partnerID: "u1", tokenHash: Secrets.sha256Hex(token), tokenTTL: ttl ?? 3600,
            tokenSingleUse: singleUse, now: t.clock.now()
        )))
        return (org, result.user, token)
    }

    func redeem(_ t: TestApp, _ token: String) async throws -> SignIn.Outcome {
        try await t.portico.hotPaths.redeemSSOToken(.init(
            tokenHash: Secrets.sha256Hex(token), display: nil, returnURL: nil, previousSessionHash: nil, ip: "127.0.0.1", now: t.clock.now()
        ))
    }

    @Test("a single-use token is redeemed once under 12 parallel calls: one session, one event, one audit entry")
    func redeemOnce() async throws {
        try await TestApp.run { t in
            let (_, _, token) = try await fixture(t)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        switch try await redeem(t, token) {
                        case .signedIn: "signedIn"
                        case .used: "used"
                        case .expired: "expired"
                        case .unknown: "unknown"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == "signedIn" }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == "used" }.count == 11)
            #expect(try await t.count("sessions") == 1)
            #expect(try await t.count("events", where: "type = 'user.signed_in'") == 1)
            #expect(try await t.count("audit_entries", where: "action = 'sso.login'") == 1)
        }
    }

    @Test("a reusable token signs in every time; each sign-in replaces the browser's earlier session")
    func reusable() async throws {
        try await TestApp.run { t in
            let (_, _, token) = try await fixture(t, singleUse: false)
            guard case .signedIn(let first) = try await redeem(t, token) else { Issue.record("first"); return }
            let second = try await t.portico.hotPaths.redeemSSOToken(.init(
                tokenHash: Secrets.sha256Hex(token), display: 1, returnURL: nil,
                previousSessionHash: Secrets.sha256Hex(first.secret), ip: nil, now: t.clock.now()
            ))
            guard case .signedIn(let again) = second else { Issue.record("second: \(second)"); return }
            #expect(again.session.display == 1)
            #expect(try await t.count("sessions") == 1, "the first session was replaced")
        }
    }

    @Test("expiry edges with an injected clock: valid until the last second, expired at it; a used token says used")
    func expiryEdges() async throws {
        try await TestApp.run { t in
            let (_, _, token) = try await fixture(t, ttl: 60)
            t.clock.advance(by: 60)
            guard case .expired = try await redeem(t, token) else { Issue.record("at expiry: expired"); return }
            t.clock.advance(by: -1)
            guard case .signedIn = try await redeem(t, token) else { Issue.record("one second before: signed in"); return }
            guard case .used = try await redeem(t, token) else { Issue.record("then used"); return }
            guard case .unknown = try await redeem(t, Secrets.hex()) else { Issue.record("unknown"); return }
        }
    }

    @Test("an anonymous user's token never outlives the user, on both paths (create and refresh)")
    func anonymousExpiry() async throws {
        try await TestApp.run { t in
            let (org, _) = try await t.org("acme", anonymous: true)
            let now = t.clock.now()
            let userExpiry = now.addingTimeInterval(100)
            let created = try #require(try await t.portico.hotPaths.createOrRefreshUser(UserUpsert(
                orgID: org.requireID(), partnerID: "anon-x", anonymousExpiresAt: userExpiry, tokenHash: Secrets.sha256Hex(Secrets.hex()),
                tokenTTL: 3600, tokenSingleUse: true, now: now
            )))
            #expect(created.created)
            #expect(abs(created.tokenExpiresAt.timeIntervalSince(userExpiry)) < 0.001)
            t.clock.advance(by: 50)
            let refreshed = try #require(try await t.portico.hotPaths.createOrRefreshUser(UserUpsert(
                orgID: org.requireID(), partnerID: "anon-x", tokenHash: Secrets.sha256Hex(Secrets.hex()), tokenTTL: 3600, tokenSingleUse: true,
                now: t.clock.now()
            )))
            #expect(!refreshed.created)
            #expect(abs(refreshed.tokenExpiresAt.timeIntervalSince(userExpiry)) < 0.001)
            t.clock.advance(by: 60)
            let expired = try await t.portico.hotPaths.createOrRefreshUser(UserUpsert(
                orgID: org.requireID(), partnerID: "anon-x", tokenHash: Secrets.sha256Hex(Secrets.hex()), tokenTTL: 3600, tokenSingleUse: true,
                now: t.clock.now()
            ))
            #expect(expired == nil, "an expired anonymous user gets no token")
        }
    }

    @Test("event numbering: 24 parallel creates in one org number 1…24 without gaps or repeats")
    func numbering() async throws {
        try await TestApp.run { t in
            let (org, _) = try await t.org("acme")
            let orgID = try org.requireID()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<24 {
                    group.addTask {
                        _ = try await t.portico.hotPaths.createOrRefreshUser(UserUpsert(
                            orgID: orgID, partnerID: "p\(i)", tokenHash: Secrets.sha256Hex(Secrets.hex()), tokenTTL: 3600,
                            tokenSingleUse: true, now: t.clock.now()
                        ))
                    }
                }
                try await group.waitForAll()
            }
            let sequences = try await Event.query(on: t.store.db).filter(\.$orgID == orgID).sort(\.$sequence).all().map(\.sequence)
            #expect(sequences == Array(1...24))
            #expect(try await t.count("users") == 24)
        }
    }

    @Test("bulk events (benchmark seeding) continue the org's numbering, with their own time, type and payload")
    func bulkEvents() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            let orgID = try org.requireID()
            _ = try await t.token(key: key, partnerID: "u1")  // user.created is number 1
            let user = try #require(try await t.portico.hotPaths.user(orgID: orgID, partnerID: "u1", now: t.clock.now()))
            let at = t.clock.now().addingTimeInterval(-90 * 86_400)
            try await t.portico.hotPaths.insertEvents(try (0..<7).map { i in
                try Outbox.NewEvent(.userUpdated, orgID: orgID, userID: user.id, data: ["n": i], at: at.addingTimeInterval(Double(i)))
            })
            let events = try await Event.query(on: t.store.db).filter(\.$orgID == orgID).sort(\.$sequence).all()
            #expect(events.map(\.sequence) == Array(1...8))
            #expect(events.dropFirst().allSatisfy { $0.type == Outbox.EventType.userUpdated.rawValue && $0.userID == user.id })
            #expect(events.last?.payload == #"{"n":6}"#, "\(events.last?.payload ?? "")")
            #expect(abs((events.last?.createdAt ?? .distantPast).timeIntervalSince(at.addingTimeInterval(6))) < 0.001)
        }
    }

    @Test("idempotent create under 16 parallel identical calls: one user, one created, 16 tokens")
    func idempotentCreate() async throws {
        try await TestApp.run { t in
            let (org, _) = try await t.org("acme")
            let orgID = try org.requireID()
            let created = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try #require(try await t.portico.hotPaths.createOrRefreshUser(UserUpsert(
                            orgID: orgID, partnerID: "same", tokenHash: Secrets.sha256Hex(Secrets.hex()), tokenTTL: 3600,
                            tokenSingleUse: true, now: t.clock.now()
                        ))).created
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(created.filter { $0 }.count == 1)
            #expect(try await t.count("users") == 1)
            #expect(try await t.count("sso_tokens") == 16)
            #expect(try await t.count("events", where: "type = 'user.created'") == 1)
        }
    }

    @Test("a deleted user: tokens unknown, launches 'user doesn't exist', no user found")
    func deletedUser() async throws {
        try await TestApp.run { t in
            let (org, user, token) = try await fixture(t)
            let app = try await PartnerApps.create(org: org, slug: "lms", name: "LMS", launchURL: "https://lms.example.com/", actor: "t", now: t.clock.now(), store: t.store)
            let launchID = UUID.timeOrdered()
            try await t.portico.hotPaths.insertLaunch(id: launchID, appID: app.app.requireID(), userID: user.id, issuedAt: t.clock.now())
            try await Users.delete(user, actor: "t", ip: nil, now: t.clock.now(), store: t.store)
            guard case .unknown = try await redeem(t, token) else { Issue.record("token of a deleted user"); return }
            guard case .userGone = try await t.portico.hotPaths.redeemLaunch(id: launchID, appID: app.app.requireID(), userID: user.id, now: t.clock.now())
            else { Issue.record("launch of a deleted user"); return }
            #expect(try await t.portico.hotPaths.user(orgID: org.requireID(), partnerID: "u1", now: t.clock.now()) == nil)
        }
    }

    @Test("launches: redeemed once under 8 parallel calls; another app's, expired and unknown ones are not valid; a disabled app is unknown")
    func launches() async throws {
        try await TestApp.run { t in
            let (org, user, _) = try await fixture(t)
            let (app, key) = try await PartnerApps.create(org: org, slug: "lms", name: "LMS", launchURL: "https://lms.example.com/", actor: "t", now: t.clock.now(), store: t.store)
            let (other, _) = try await PartnerApps.create(org: org, slug: "other", name: "Other", launchURL: "https://o.example.com/", actor: "t", now: t.clock.now(), store: t.store)
            let appID = try app.requireID(), otherID = try other.requireID()
            let launchID = UUID.timeOrdered()
            try await t.portico.hotPaths.insertLaunch(id: launchID, appID: appID, userID: user.id, issuedAt: t.clock.now())
            guard case .notValid = try await t.portico.hotPaths.redeemLaunch(id: launchID, appID: otherID, userID: user.id, now: t.clock.now())
            else { Issue.record("another app's launch"); return }
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        if case .redeemed = try await t.portico.hotPaths.redeemLaunch(id: launchID, appID: appID, userID: user.id, now: t.clock.now()) { return true }
                        return false
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1, "\(results)")
            let late = UUID.timeOrdered()
            try await t.portico.hotPaths.insertLaunch(id: late, appID: appID, userID: user.id, issuedAt: t.clock.now())
            guard case .notValid = try await t.portico.hotPaths.redeemLaunch(id: late, appID: appID, userID: user.id, now: t.clock.now().addingTimeInterval(61))
            else { Issue.record("expired launch"); return }
            guard case .notValid = try await t.portico.hotPaths.redeemLaunch(id: UUID(), appID: appID, userID: user.id, now: t.clock.now())
            else { Issue.record("unknown launch"); return }
            #expect(try await t.portico.hotPaths.partnerApp(keyHash: Secrets.sha256Hex(key))?.id == appID)
            _ = try await PartnerApps.setEnabled(false, org: org, slug: "lms", actor: "t", now: t.clock.now(), store: t.store)
            #expect(try await t.portico.hotPaths.partnerApp(keyHash: Secrets.sha256Hex(key)) == nil, "a disabled app is no app")
        }
    }

    @Test("API keys: found by hash with their org's settings; unknown hashes are nil")
    func apiKeys() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme", anonymous: true)
            let context = try #require(try await t.portico.hotPaths.apiKey(hash: Secrets.sha256Hex(key)))
            #expect(context.orgID == org.id)
            #expect(context.anonymousUsersEnabled)
            #expect(context.ssoTokenTTL == 172_800)
            #expect(context.ssoTokenSingleUse)
            #expect(context.prefix == String(key.prefix(8)))
            #expect(try await t.portico.hotPaths.apiKey(hash: Secrets.sha256Hex(Secrets.hex())) == nil)
        }
    }
}
