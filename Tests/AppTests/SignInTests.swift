@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Browser sign-in: /login/sso and /logout")
struct SignInTests {
    static let dashboard = "http://127.0.0.1:8080/members/dashboard"

    @Test("a valid token signs in: 303 to the dashboard, a fresh session cookie, the token consumed, user.signed_in")
    func signsIn() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            let token = try await t.token(key: key, partnerID: "u1")
            let (r, cookie) = try await t.signIn(token: token)
            #expect(r.status == .seeOther)
            #expect(r.headers.first(name: .location) == Self.dashboard)
            #expect(r.headers.first(name: .cacheControl) == "no-store")
            #expect(r.headers.first(name: "Referrer-Policy") == "no-referrer")
            let setCookie = try #require(r.headers.first(name: .setCookie))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/"))
            #expect(!setCookie.contains("Secure"), "http public URL: no Secure")
            #expect(try await t.count("sso_tokens", where: "consumed_at IS NOT NULL") == 1)
            #expect(try await t.eventTypes(org: org) == ["user.created", "user.signed_in"])
            let dashboard = try await t.page("/members/dashboard", cookie: try #require(cookie))
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("<header") && dashboard.text.contains("<nav"))
        }
    }

    @Test("https public URL: Secure; display=1 over https: SameSite=None; Secure; Partitioned")
    func cookieOverHTTPS() async throws {
        try await TestApp.run(adjust: { $0.publicURL = "https://portico.example" }) { t in
            let (_, key) = try await t.org("acme")
            let (normal, _) = try await t.signIn(token: try await t.token(key: key, partnerID: "u1"))
            let normalCookie = try #require(normal.headers.first(name: .setCookie))
            #expect(normalCookie.contains("Secure") && normalCookie.contains("SameSite=Lax"))
            let (embedded, _) = try await t.signIn(token: try await t.token(key: key, partnerID: "u1"), query: "&display=1")
            let embeddedCookie = try #require(embedded.headers.first(name: .setCookie))
            #expect(embeddedCookie.contains("SameSite=None") && embeddedCookie.contains("Secure") && embeddedCookie.contains("Partitioned"))
        }
    }

    @Test("a new sign-in replaces the browser's session with a new id")
    func newSessionEachSignIn() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let first = try await t.member(key: key, partnerID: "u1")
            let (_, second) = try await t.signIn(token: try await t.token(key: key, partnerID: "u1"), cookie: first)
            #expect(second != nil && second != first)
            #expect(try await t.page("/members/dashboard", cookie: first).status == .unauthorized)
            #expect(try await t.page("/members/dashboard", cookie: second!).status == .ok)
            #expect(try await t.count("sessions") == 1)
        }
    }

    @Test("redirect_to follows only paths on Portico", arguments: [
        "//evil.example", "https://evil.example", "/%5Cevil.example", "%252F%252Fevil.example", "/%2509/evil.example",
        "javascript:alert(1)", "https://allowed.example@evil.example", "%2F%2Fevil.example", "/%2F/evil.example",
        "http://127.0.0.1:8080.evil.example/x",
    ])
    func openRedirect(redirect: String) async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme", returnHosts: ["allowed.example"])
            let (r, _) = try await t.signIn(token: try await t.token(key: key, partnerID: "u1"), query: "&redirect_to=\(redirect)")
            #expect(r.status == .seeOther)
            #expect(r.headers.first(name: .location) == Self.dashboard, "\(redirect)")
        }
    }

    @Test("redirect_to to a chapter, or to an absolute URL on Portico's own origin, is followed")
    func safeRedirect() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let (r, _) = try await t.signIn(token: try await t.token(key: key, partnerID: "u1"), query: "&redirect_to=%2Fmembers%2Fcurriculum%3Fchapter%3D6")
            #expect(r.headers.first(name: .location) == "http://127.0.0.1:8080/members/curriculum?chapter=6")
            let (r2, _) = try await t.signIn(token: try await t.token(key: key, partnerID: "u1"), query: "&redirect_to=http%3A%2F%2F127.0.0.1%3A8080%2Fmembers%2Finterviews")
            #expect(r2.headers.first(name: .location) == "http://127.0.0.1:8080/members/interviews")
        }
    }

    @Test("return_url is honoured at logout only for allowed hosts", arguments: [
        ("https://allowed.example/bye", "https://allowed.example/bye"),
        ("https://deep.sub.wild.example/x", "https://deep.sub.wild.example/x"),
        ("https://wild.example/x", nil),
        ("//evil.example", nil), ("https://evil.example", nil), ("/\\evil.example", nil), ("javascript:alert(1)", nil),
        ("https://allowed.example@evil.example", nil), ("https://allowed.example.evil.example/", nil), ("ftp://allowed.example/", nil),
    ] as [(String, String?)])
    func returnURL(url: String, expected: String?) async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme", returnHosts: ["allowed.example", "*.wild.example"])
            let encoded = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let cookie = try await t.member(key: key, partnerID: "u1", query: "&return_url=\(encoded)")
            let out = try await t.send(.GET, "/logout", headers: [("Cookie", cookie)])
            #expect(out.status == .seeOther)
            #expect(out.headers.first(name: .location) == (expected ?? "http://127.0.0.1:8080/signed-out"), "\(url)")
            #expect(out.headers.first(name: .setCookie)?.contains("Max-Age=0") == true)
            #expect(try await t.page("/members/dashboard", cookie: cookie).status == .unauthorized)
        }
    }

    @Test("logout falls back to the subscription's logout URL, then the org's landing page, then /signed-out")
    func logoutFallbacks() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme", returnHosts: ["partner.example"])
            _ = try await Organizations.update(slug: "acme", settings: .init(landingURL: "https://partner.example/home"), actor: "t", now: t.clock.now(), store: t.store)
            let cookie = try await t.member(key: key, partnerID: "u1")
            #expect(try await t.send(.POST, "/logout", headers: [("Cookie", cookie)]).headers.first(name: .location) == "https://partner.example/home")
            let sub = try #require(try await Subscription.query(on: t.store.db).filter(\.$orgID == org.id!).first())
            sub.logoutURL = "https://partner.example/logged-out"
            try await sub.save(on: t.store.db)
            let again = try await t.member(key: key, partnerID: "u1")
            #expect(try await t.send(.GET, "/logout", headers: [("Cookie", again)]).headers.first(name: .location) == "https://partner.example/logged-out")
            #expect(try await t.send(.GET, "/logout").headers.first(name: .location) == "http://127.0.0.1:8080/signed-out")
            #expect(try await t.send(.GET, "/signed-out").status == .ok)
        }
    }

    @Test("used, expired and unknown tokens each get their own 401 page, never a dashboard or a 5xx")
    func tokenOutcomes() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let (_, key) = try await t.org("acme")
            let token = try await t.token(key: key, partnerID: "u1")
            _ = try await t.signIn(token: token)
            let (used, usedCookie) = try await t.signIn(token: token)
            #expect(used.status == .unauthorized && usedCookie == nil)
            #expect(used.text.contains("has been used"))

            for garbage in ["", "abc", String(repeating: "z", count: 32), Secrets.hex(), "%00%0d%0a", UUID().uuidString] {
                let (r, cookie) = try await t.signIn(token: garbage)
                #expect(r.status == .unauthorized && cookie == nil, "\(garbage)")
                #expect(r.text.contains("not valid"))
            }
            #expect(try await t.send(.GET, "/login/sso").status == .unauthorized)

            let late = try await t.token(key: key, partnerID: "u1")
            clock.advance(by: 172_800 + 1)
            let (expired, expiredCookie) = try await t.signIn(token: late)
            #expect(expired.status == .unauthorized && expiredCookie == nil)
            #expect(expired.text.contains("expired"))
        }
    }

    @Test("used and expired tokens go to the org's invalid/expired token URLs when set")
    func tokenOutcomeURLs() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let (_, key) = try await t.org("acme", returnHosts: ["partner.example"])
            _ = try await Organizations.update(slug: "acme", settings: .init(
                invalidTokenURL: "https://partner.example/invalid", expiredTokenURL: "https://partner.example/expired"
            ), actor: "t", now: t.clock.now(), store: t.store)
            let token = try await t.token(key: key, partnerID: "u1")
            _ = try await t.signIn(token: token)
            #expect(try await t.signIn(token: token).0.headers.first(name: .location) == "https://partner.example/invalid")
            let late = try await t.token(key: key, partnerID: "u1")
            clock.advance(by: 172_801)
            #expect(try await t.signIn(token: late).0.headers.first(name: .location) == "https://partner.example/expired")
            #expect(try await t.signIn(token: Secrets.hex()).0.status == .unauthorized, "unknown: no subscription to ask")
        }
    }

    @Test("with single-use off, a token signs in twice")
    func multiUse() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            _ = try await Organizations.update(slug: "acme", settings: .init(ssoTokenSingleUse: false), actor: "t", now: t.clock.now(), store: t.store)
            let token = try await t.token(key: key, partnerID: "u1")
            #expect(try await t.signIn(token: token).0.status == .seeOther)
            #expect(try await t.signIn(token: token).0.status == .seeOther)
        }
    }

    @Test("parallel redemptions of one single-use token sign in one browser at most")
    func parallelRedemption() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let token = try await t.token(key: key, partnerID: "u1")
            let results = try await withThrowingTaskGroup(of: (HTTPResponseStatus, String?).self) { group in
                for _ in 0..<12 { group.addTask { let (r, c) = try await t.signIn(token: token); return (r.status, c) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0.1 != nil }.count == 1)
            #expect(results.filter { $0.0 == .seeOther }.count == 1)
            #expect(results.allSatisfy { $0.0 == .seeOther || $0.0 == .unauthorized })
            #expect(try await t.count("sessions") == 1)
        }
    }

    @Test("sessions end after 8 idle hours and 24 hours in all")
    func sessionLifetimes() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let (_, key) = try await t.org("acme")
            let cookie = try await t.member(key: key, partnerID: "u1")
            clock.advance(by: 7 * 3600)
            #expect(try await t.page("/members/dashboard", cookie: cookie).status == .ok)
            clock.advance(by: 7 * 3600)
            #expect(try await t.page("/members/dashboard", cookie: cookie).status == .ok)
            clock.advance(by: 8 * 3600 + 1)
            #expect(try await t.page("/members/dashboard", cookie: cookie).status == .unauthorized, "idle")
            let fresh = try await t.member(key: key, partnerID: "u1")
            for _ in 0..<4 {
                clock.advance(by: 6 * 3600)
                _ = try await t.page("/members/dashboard", cookie: fresh)
            }
            #expect(try await t.page("/members/dashboard", cookie: fresh).status == .unauthorized, "absolute")
        }
    }
}
