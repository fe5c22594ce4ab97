@testable import App
import Foundation
import PorticoCore
import Testing
import Vapor

/// Bounds under abuse (SPEC §9, issue 17): failed sign-ins and failed launch-code
/// exchanges are limited per client address, and every in-memory table keyed by what
/// a client sends has a hard size bound.
@Suite("Abuse bounds: per-address failure limits, bounded in-memory tables")
struct AbuseBoundsTests {
    static func strict(_ config: inout PorticoConfig) {
        config.failureLimit = .init(perSecond: 0.5, burst: 3)
    }

    @Test("failed sign-ins: an address past its limit gets 429 with Retry-After before any work; other addresses and time go on")
    func signInFailures() async throws {
        try await TestApp.run(adjust: Self.strict) { t in
            let (_, key) = try await t.org("uni")
            let created = try await t.send(.POST, "/api/users/ann", key: key, body: #"{"email":"ann@uni.example"}"#)
            let token = try #require(created.json["user"]["token"]["token"].string)
            let wrong = "/login/sso?token=" + String(repeating: "0", count: 32)

            for _ in 0..<3 { #expect(try await t.send(.GET, wrong, from: "198.51.100.7").status == .unauthorized) }
            let refused = try await t.send(.GET, wrong, from: "198.51.100.7")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: .retryAfter) == "2")
            #expect(refused.text.contains("Too many attempts"))
            // Refused before the work: a good token from that address is refused too, and stays unused.
            #expect(try await t.send(.GET, "/login/sso?token=\(token)", from: "198.51.100.7").status == .tooManyRequests)
            #expect(try await t.count("sso_tokens", where: "consumed_at IS NOT NULL") == 0)
            // Another address is not affected; a success takes nothing from its allowance.
            let ok = try await t.send(.GET, "/login/sso?token=\(token)", from: "198.51.100.8")
            #expect(ok.status == .seeOther && ok.headers[.setCookie].contains { $0.hasPrefix("portico_session=") })
            for _ in 0..<3 { #expect(try await t.send(.GET, wrong, from: "198.51.100.8").status == .unauthorized) }
            // The bucket refills: two seconds later one more attempt is admitted.
            t.clock.advance(by: 2)
            #expect(try await t.send(.GET, wrong, from: "198.51.100.7").status == .unauthorized)
            #expect(try await t.send(.GET, wrong, from: "198.51.100.7").status == .tooManyRequests)
        }
    }

    @Test("failed launch-code exchanges: 429 in the seed's error shape past the limit, per address")
    func launchFailures() async throws {
        try await TestApp.run(adjust: Self.strict) { t in
            let (org, key) = try await t.org("acme")
            _ = try await t.send(.POST, "/api/users/u1", key: key, body: #"{"first_name":"Ann"}"#)
            let (_, appKey) = try await PartnerApps.create(
                org: org, slug: "tutor", name: "Tutoring", launchURL: "https://partner.example/start", actor: "t", now: t.clock.now(), store: t.store
            )
            let bad = "/jsp/api/getUserId/?t=nonsense&k=\(appKey)"
            for _ in 0..<3 { #expect(try await t.send(.GET, bad, from: "203.0.113.9").status == .badRequest) }
            let refused = try await t.send(.GET, bad, from: "203.0.113.9")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: "X-Error") == "too many failed attempts")
            #expect(refused.json["error"].string == "too many failed attempts")
            #expect(refused.headers.first(name: .retryAfter) != nil)
            // Another address still exchanges a real code.
            let issued = try await t.send(.POST, "/api/users/u1/launch-codes", key: key, body: #"{"app":"tutor"}"#)
            let code = try #require(issued.json["code"].string)
            let ok = try await t.send(.GET, "/jsp/api/getUserId/?t=\(code)&k=\(appKey)", from: "203.0.113.10")
            #expect(ok.status == .ok && ok.json["username"].string == "u1")
        }
    }

    @Test("the limit is off with PORTICO_FAILURE_LIMIT=off, and the variable is validated")
    func configuration() throws {
        #expect(try PorticoConfig.from(environment: [:]).failureLimit == .init(perSecond: 1, burst: 100))
        #expect(try PorticoConfig.from(environment: ["PORTICO_FAILURE_LIMIT": "off"]).failureLimit == nil)
        #expect(try PorticoConfig.from(environment: ["PORTICO_FAILURE_LIMIT": "2/s burst 10"]).failureLimit == .init(perSecond: 2, burst: 10))
        for bad in ["lots", "1e400/s", "-1/s", "5/s burst 0"] {
            #expect(throws: PorticoConfig.Invalid.self, "\(bad)") { try PorticoConfig.from(environment: ["PORTICO_FAILURE_LIMIT": bad]) }
        }
    }

    @Test("a flood of distinct keys never grows a rate limiter past its bound, and a hot key stays limited")
    func rateLimiterFlood() {
        let limiter = RateLimiter<String>(limit: .init(perSecond: 1, burst: 2), maxKeys: 1_000)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(limiter.take(key: "hot", now: start) == nil)
        #expect(limiter.take(key: "hot", now: start) == nil)
        #expect(limiter.take(key: "hot", now: start) == 1)
        for i in 0..<50_000 {
            _ = limiter.take(key: "flood-\(i)", now: start.addingTimeInterval(Double(i) / 100_000))
            #expect(limiter.count <= 1_000)
        }
        #expect(limiter.count <= 1_000 && limiter.count > 0)
        // The flood ran for half a second: the hot key is still out of tokens, or was
        // dropped as least recently used (then it starts afresh, as any new key).
        let uuids = RateLimiter<UUID>(limit: .init(perSecond: 1, burst: 1), maxKeys: 100)
        for _ in 0..<10_000 { _ = uuids.take(key: UUID(), now: start) }
        #expect(uuids.count <= 100)
    }

    @Test("a flood of keys never grows the key-use memory past its bound")
    func keyUseFlood() {
        let throttle = KeyUseThrottle(maxKeys: 500)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for _ in 0..<20_000 { _ = throttle.shouldRecord(key: UUID(), storedLastUse: nil, now: now) }
        #expect(throttle.count <= 500)
        let key = UUID()
        #expect(throttle.shouldRecord(key: key, storedLastUse: nil, now: now))
        #expect(!throttle.shouldRecord(key: key, storedLastUse: nil, now: now.addingTimeInterval(1)))
    }

    @Test("a form of many fields is 413 before any decoding, on the sign-in form and an admin form; multipart is 415")
    func formFields() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let admin = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example")
            let flood = Array(repeating: ("events", "user.created"), count: 20_000)
            let started = Date()
            let refused = try await admin.post("/admin/webhooks", flood)
            #expect(refused.status == .payloadTooLarge)
            #expect(try await t.count("webhook_endpoints") == 0)
            let login = String(repeating: "a=1&", count: 120_000)
            let signIn = try await t.send(.POST, "/login/admin", body: login, headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(signIn.status == .payloadTooLarge)
            #expect(Date().timeIntervalSince(started) < 30, "refused without decoding")
            // Just under the bound is decoded as usual.
            let fine = try await admin.post("/admin/keys", [("name", "ok")] + Array(repeating: ("x", "1"), count: 900))
            #expect(fine.status == .ok)
            for nested in [Array(repeating: ("a" + String(repeating: "[x]", count: 200), "1"), count: 900), [("a" + String(repeating: "[x]", count: 60_000), "1")]] {
                #expect(try await admin.post("/admin/keys", nested).status == .payloadTooLarge)
            }
            #expect(InputGuardMiddleware.formTooComplex(Array("a=1&b=%5bx%5D&c=[y]".utf8)) == false)
            #expect(InputGuardMiddleware.formTooComplex(Array(String(repeating: "%5B", count: 65).utf8)) == true)
            #expect(try await t.count("api_keys", where: "name = 'ok'") == 1)
            let multipart = try await t.send(.POST, "/login/admin", body: "--b\r\n\r\n--b--", headers: [("Content-Type", "multipart/form-data; boundary=b")])
            #expect(multipart.status == .unsupportedMediaType)
        }
    }

    @Test("http launch URLs only for localhost and loopback address literals, never a name starting with 127.")
    func launchURLs() {
        for good in ["https://partner.example/l", "http://localhost:9/l", "http://127.0.0.1/l", "http://127.8.9.10:80/l", "http://[::1]:8/l"] {
            #expect(PartnerApps.isValidLaunchURL(good), "\(good)")
        }
        for bad in ["http://127.0.0.1.nip.io/l", "http://127.attacker.example/l", "http://partner.example/l", "http://[::2]/l",
                    "http://128.0.0.1/l", "https://partner.example/l#frag", "ftp://127.0.0.1/l"] {
            #expect(!PartnerApps.isValidLaunchURL(bad), "\(bad)")
        }
    }

    @Test("admin emails are printable ASCII: a full-width look-alike is refused, on the page and in the core")
    func lookAlikeAdminEmail() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let admin = try await AdminBrowser.signIn(t, org: uni, email: "admin@uni.example")
            let page = try await admin.post("/admin/admins", [("email", "\u{FF41}dmin@uni.example"), ("password", "a long password 123"), ("permissions", "manage_keys")])
            #expect(page.status == .unprocessableEntity)
            #expect(try await t.count("admins") == 1)
            await #expect(throws: PorticoError.self) {
                try await Credentials.createAdmin(org: uni, email: "\u{FF41}dmin@uni.example", passwordHash: "x", permissions: nil, actor: "t", now: t.clock.now(), store: t.store)
            }
            #expect(Credentials.isPlausibleEmail("jos\u{E9}@uni.example"), "members' emails may still be international")
        }
    }
}
