@testable import App
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Partner API: keys and rate limits")
struct PartnerAPIAuthTests {
    @Test("401 for a missing, malformed, unknown, revoked or expired key")
    func rejectsBadKeys() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            let (revoked, _) = try await Credentials.createAPIKey(org: org, name: "old", createdBy: "test", now: t.clock.now(), store: t.store)
            _ = try await Credentials.revokeAPIKey(org: org, prefix: String(revoked.prefix(8)), actor: "test", now: t.clock.now(), store: t.store)
            let (expiring, record) = try await Credentials.createAPIKey(org: org, name: "exp", createdBy: "test", now: t.clock.now(), store: t.store)
            record.expiresAt = t.clock.now().addingTimeInterval(-1)
            try await record.save(on: t.store.db)

            let headers: [[(String, String)]] = [
                [],
                [("Authorization", "Bearer")],
                [("Authorization", "Bearer not-a-key")],
                [("Authorization", "Basic \(key)")],
                [("Authorization", "Bearer \(key.uppercased())")],
                [("Authorization", "Bearer \(String(repeating: "0", count: 32))")],
                [("Authorization", "Bearer \(revoked)")],
                [("Authorization", "Bearer \(expiring)")],
            ]
            for h in headers {
                let r = try await t.send(.GET, "/api/courses", headers: h)
                #expect(r.status == .unauthorized, "\(h)")
                #expect(r.errorCode == "unauthorized")
            }
        }
    }

    @Test("the three header forms are accepted and last_used_at is recorded")
    func headerForms() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            for value in ["Bearer \(key)", "Token \(key)", "Token token=\"\(key)\""] {
                let r = try await t.send(.GET, "/api/courses", headers: [("Authorization", value)])
                #expect(r.status == .ok, "\(value)")
            }
            let stored = try await APIKey.query(on: t.store.db).first()
            #expect(stored?.lastUsedAt == t.clock.now())
        }
    }

    @Test("over its limit a key gets 429 with Retry-After; another key is unaffected")
    func rateLimit() async throws {
        try await TestApp.run(adjust: { $0.rateLimit = .init(perSecond: 1, burst: 3) }) { t in
            let (_, key) = try await t.org("acme")
            let (_, other) = try await t.org("other")
            for _ in 0..<3 { #expect(try await t.send(.GET, "/api/courses", key: key).status == .ok) }
            let limited = try await t.send(.GET, "/api/courses", key: key)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "rate_limited")
            #expect(limited.headers.first(name: .retryAfter) == "1")
            #expect(try await t.send(.GET, "/api/courses", key: other).status == .ok)
            t.clock.advance(by: 1)
            #expect(try await t.send(.GET, "/api/courses", key: key).status == .ok)
        }
    }

    @Test("PORTICO_RATE_LIMIT parses its forms")
    func rateLimitParsing() {
        #expect(PorticoConfig.RateLimit.parse("50/s burst 200") == .some(.init(perSecond: 50, burst: 200)))
        #expect(PorticoConfig.RateLimit.parse("off") == .some(nil))
        #expect(PorticoConfig.RateLimit.parse("fast") == nil)
    }
}
