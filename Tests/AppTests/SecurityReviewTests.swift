@testable import App
import FluentKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PorticoCore
import SQLKit
import Testing
import Vapor

/// The outside review's findings (issue 14), each reproduced: every test here failed
/// before its fix. Storage-dependent ones run on both engines (TEST_DATABASE_URL).
@Suite("Security review: crashes, response splitting, login bursts, races, NUL, logs")
struct SecurityReviewTests {
    // MARK: 1. No integer from input traps

    @Test("1: after_sequence at Int64.max answers 200 (it crashed the process); beyond it is 422")
    func eventFeedAtTheLimit() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            _ = try await t.send(.POST, "/api/users/u1", key: key)
            let max = try await t.send(.GET, "/api/events?after_sequence=9223372036854775807", key: key)
            #expect(max.status == .ok)
            #expect(max.json["events"].array.isEmpty)
            #expect(max.text.contains("\"next_after_sequence\":9223372036854775807"))
            for bad in ["9223372036854775808", "99999999999999999999999", "-9223372036854775808", "1e3", " 1", "0x10"] {
                let r = try await t.send(.GET, "/api/events?after_sequence=\(bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", key: key)
                #expect(r.status == .unprocessableEntity, "\(bad)")
            }
            for bad in ["9223372036854775808", "-1", "0", "1001"] {
                #expect(try await t.send(.GET, "/api/events?limit=\(bad)", key: key).status == .unprocessableEntity, "\(bad)")
            }
            // An interview cursor carrying the largest finite time, and one carrying infinity.
            let uuid = UUID().uuidString.lowercased()
            for bits in [Double.greatestFiniteMagnitude.bitPattern, Double.infinity.bitPattern, UInt64.max] {
                let cursor = Base64URL.encode(Data("\(bits).\(uuid)".utf8))
                let r = try await t.send(.GET, "/api/users/u1/interviews?limit=5&cursor=\(cursor)", key: key)
                #expect(r.status == .ok || r.status == .unprocessableEntity, "\(bits)")
            }
            // The process is still answering.
            #expect(try await t.send(.GET, "/api/events", key: key).status == .ok)
        }
    }

    @Test("1: times outside years 1-9999 are written clamped, never trapped")
    func timestampsAtTheLimits() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1e300)) == "9999-12-31T23:59:59Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -1e300)) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: .infinity)) == "9999-12-31T23:59:59Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: .nan)) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }

    @Test("1: configuration numbers are range-checked into a named error, never trapped")
    func configurationNumbers() throws {
        for (name, value) in [
            ("PORTICO_RATE_LIMIT", "1e-300/s burst 1"), ("PORTICO_RATE_LIMIT", "nan/s"), ("PORTICO_RATE_LIMIT", "inf/s"),
            ("PORTICO_RATE_LIMIT", "50/s burst 1e300"), ("PORTICO_WEBHOOK_RETRY_SCHEDULE", "9223372036854775807"),
            ("PORTICO_WEBHOOK_RETRY_SCHEDULE", "600,,600"), ("PORTICO_WEBHOOK_RETRY_SCHEDULE", "604801"),
            ("PORTICO_EVENT_RETENTION_DAYS", "9223372036854775807"), ("PORTICO_WEBHOOK_TIMEOUT", "99999999999999999999"),
        ] {
            #expect(throws: PorticoConfig.Invalid.self, "\(name)=\(value)") { try PorticoConfig.from(environment: [name: value]) }
        }
        let limited = try PorticoConfig.from(environment: ["PORTICO_RATE_LIMIT": "0.001/s burst 1"])
        let limiter = RateLimiter<UUID>(limit: try #require(limited.rateLimit))
        let key = UUID(), now = Date()
        #expect(limiter.take(key: key, now: now) == nil)
        #expect(limiter.take(key: key, now: now) == 1000)
    }

    @Test("1: Retry-After of any size is at most an hour")
    func retryAfterSizes() {
        let now = Date()
        #expect(WebhookSender.retryAfterSeconds("99999999999999999999999999", now: now) == 3600)
        #expect(WebhookSender.retryAfterSeconds("9223372036854775807", now: now) == 3600)
        #expect(WebhookSender.retryAfterSeconds("120", now: now) == 120)
        #expect(WebhookSender.retryAfterSeconds("-5", now: now) == nil)
        #expect(WebhookSender.retryAfterSeconds("Fri, 31 Dec 9999 23:59:59 GMT", now: now) == 3600)
    }

    @Test("1: SSO token TTLs out of range are refused, whatever their size")
    func ttlRange() async throws {
        try await TestApp.run { t in
            let (org, _) = try await t.org("acme")
            for ttl in [Int.max, Int.min, 0, 59, 2_592_001] {
                await #expect(throws: PorticoError.self, "\(ttl)") {
                    _ = try await Organizations.update(slug: org.slug, settings: .init(ssoTokenTTL: ttl), actor: "t", now: t.clock.now(), store: t.store)
                }
            }
        }
    }

    // MARK: 2. Response splitting through return URLs

    static let splitting = "https://allowed.example/%0D%0ASet-Cookie:%20x=1"

    @Test("2: a return_url with CR/LF (percent-encoded) is not stored, and /logout sends no injected header")
    func returnURLSplitting() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme", returnHosts: ["allowed.example"])
            let token = try await t.token(key: key, partnerID: "u1")
            let query = "&return_url=" + Self.splitting.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (signedIn, cookie) = try await t.signIn(token: token, query: query)
            #expect(signedIn.status == .seeOther)
            let stored = try await t.sql.raw("SELECT return_url FROM sessions").all().map { try $0.decode(column: "return_url", as: String?.self) }
            #expect(stored == [nil], "the URL is refused, not stored")
            let out = try await t.send(.GET, "/logout", headers: [("Cookie", try #require(cookie))])
            #expect(out.status == .seeOther)
            #expect(out.headers.first(name: .location) == "http://127.0.0.1:8080/signed-out")
            #expect(!out.headers[.setCookie].contains { $0.hasPrefix("x=") })
            for (name, value) in out.headers { #expect(SafeText.isSafeHeaderValue(value), "\(name)") }
        }
    }

    @Test("2: an allowed return_url is stored and sent re-serialized, not as typed")
    func returnURLReserialized() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme", returnHosts: ["allowed.example"])
            let token = try await t.token(key: key, partnerID: "u1")
            let typed = "HTTPS://Allowed.Example./bye?x=1"
            let (_, cookie) = try await t.signIn(token: token, query: "&return_url=" + typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            let out = try await t.send(.GET, "/logout", headers: [("Cookie", try #require(cookie))])
            #expect(out.headers.first(name: .location) == "https://allowed.example/bye?x=1")
        }
    }

    @Test("2: the SSO API's redirect entity with CR/LF is not stored (a warning), and used-token redirects stay clean")
    func redirectEntitySplitting() async throws {
        try await TestApp.run { t in
            let f = try await SSOAPITests.fixture(t)
            try await SSOAPITests.admin(t, org: f.uni, email: "admin@uni.example")
            let access = try await SSOAPITests.accessToken(t, email: "admin@uni.example")
            let evil = "https://lms.example.edu/%0d%0aSet-Cookie:%20x=1"
            let r = try await t.send(.POST, "/api/v1/SsoApi/SignIn?access_token=\(access)", body: """
                {"subscription_id":"\(f.subscriptionID)","redirect_entity_request":{"logout_url":"\(evil)","invalid_token_url":"\(evil)","expired_token_url":"https://lms.example.edu/ok\\r\\nX-Evil: 1"}}
                """)
            #expect(r.status == .ok)
            #expect(r.json["api_error_entity"]["warning_messages"].array.count == 3)
            let sub = try #require(try await Subscription.find(UUID(uuidString: f.subscriptionID), on: t.store.db))
            #expect(sub.logoutURL == nil && sub.invalidTokenURL == nil && sub.expiredTokenURL == nil)
            // A used token redirects to no injected URL.
            let token = try #require(r.json["access_token"].string)
            _ = try await t.signIn(token: token)
            let again = try await t.send(.GET, "/login/sso?token=\(token)")
            #expect(again.status == .unauthorized)
            for (name, value) in again.headers { #expect(SafeText.isSafeHeaderValue(value), "\(name)") }
        }
    }

    @Test("2: URLs with control characters or whitespace are refused, raw or percent-decoded; hosts only [a-z0-9.-] (item 12)")
    func urlRules() {
        let entries = ["allowed.example", "*.wild.example"]
        for bad in [
            "https://allowed.example/%0D%0ASet-Cookie:%20x=1", "https://allowed.example/%0a", "https://allowed.example/%00",
            "https://allowed.example/a%20b", "https://allowed.example/a%09b", "https://allowed.example/%7F", "https://allowed.example/%C2%A0",
            "https://allowed.example/%E2%80%A8", "https://allowed.example/\r\n", "https://allowed.example/ x", "https://allowed.example/\u{0}",
            "https://evil.com%2f.wild.example/", "https://evil.com%2F.wild.example/", "https://a%40b.wild.example/",
            "https://a_b.wild.example/", "https://user@allowed.example/", "javascript://allowed.example/", "https://allowed.example:99999/",
            "https://" + String(repeating: "a", count: 2100) + ".wild.example/",
            // double-encoded, overlong UTF-8, invisible format characters, invalid UTF-8 (the outside attack's F5)
            "https://allowed.example/%250d%250aX-Evil:1", "https://allowed.example/%25250a", "https://allowed.example/%c0%8d%c0%8a",
            "https://allowed.example/%e2%80%8b", "https://allowed.example/%ef%bb%bf", "https://allowed.example/%ff%fe",
            "https://allowed.example/%ed%a0%80", "https://allowed.example/\u{200B}", "https://allowed.example/%e2%80%ae",
        ] {
            #expect(ReturnHosts.allowedURL(bad, entries: entries) == nil, "\(bad)")
        }
        #expect(ReturnHosts.allowedURL("https://x.wild.example/a%2Fb?q=%41#f", entries: entries) == "https://x.wild.example/a%2Fb?q=%41#f")
        #expect(ReturnHosts.allowedURL("https://allowed.example/caf%C3%A9?x=%2541", entries: entries) == "https://allowed.example/caf%C3%A9?x=%2541")
        #expect(ReturnHosts.allowedURL("https://ALLOWED.example.:8443/p", entries: entries) == "https://allowed.example:8443/p")
        #expect(ReturnHosts.allowedURL("https://bücher.wild.example/", entries: entries) == "https://xn--bcher-kva.wild.example/")
    }

    @Test("2: no response can carry CR, LF or NUL in a header: the outermost guard answers 500 instead")
    func headerGuard() async throws {
        try await TestApp.run { t in
            t.app.get("test-evil-header") { _ -> Response in
                let response = Response(status: .seeOther)
                response.headers.add(name: .location, value: "https://a.example/\r\nSet-Cookie: x=1")
                return response
            }
            let r = try await t.send(.GET, "/test-evil-header")
            #expect(r.status == .internalServerError)
            #expect(r.headers.first(name: .location) == nil)
            #expect(!r.headers[.setCookie].contains { $0.hasPrefix("x=") })
            #expect(Layout.redirect(to: "https://a.example/\nx").status == .badRequest)
        }
    }

    // MARK: 3 and 4. Login bursts and the throttle race

    @Test("3: a burst of Authenticate calls never starves the database: busy answers are 429 at once, database work goes on")
    func loginBurst() async throws {
        try await TestApp.run(adjust: { $0.passwordCheckThreads = 1; $0.passwordCheckQueue = 2 }) { t in
            let f = try await SSOAPITests.fixture(t)
            let results = try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let r = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"nobody\#(i)@x.example","password":"x","grant_type":"password"}"#)
                        return (Int(r.status.code), r.json["api_error_entity"]["error_code"].int)
                    }
                }
                group.addTask {
                    // Database work during the burst is answered as usual.
                    let r = try await t.send(.GET, "/api/users/u1/interviews", key: f.key)
                    return (Int(r.status.code) == 200 ? -200 : Int(r.status.code), nil)
                }
                return try await group.reduce(into: [(Int, Int?)]()) { $0.append($1) }
            }
            #expect(results.contains { $0.0 == -200 }, "the keyed read answered 200")
            #expect(!results.contains { $0.0 >= 500 }, "no 5xx: \(results)")
            // One address: at most five checks in flight for it, the rest refused at once.
            let refused = results.filter { $0.0 == 429 && ($0.1 == 1003 || $0.1 == 1004) }.count
            let denied = results.filter { $0.0 == 403 }.count
            #expect(refused >= 1, "a burst is refused at once, not queued")
            #expect(refused + denied + 1 == results.count)
            #expect(t.portico.passwords.inFlight == 0)
        }
    }

    @Test("3: the bcrypt pool admits threads + queue checks at once; the next is refused at once (PasswordCheckBusy)")
    func bcryptPoolBound() async throws {
        let verifier = BcryptVerifier(threads: 1, queueLimit: 1)
        let hash = try Bcrypt.hash("pw", cost: 8)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do { return try await verifier.verify("pw", hash: hash) ? "ok" : "no" } catch is PasswordCheckBusy { return "busy" } catch { return "error" }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "busy" }.count >= 5, "\(outcomes)")
        #expect(outcomes.filter { $0 == "ok" }.count >= 2)
        #expect(!outcomes.contains("error"))
        #expect(try await verifier.verify("pw", hash: nil) == false, "no admin: a decoy check, never true")
        #expect(verifier.inFlight == 0)
        try await verifier.shutdown()
    }

    @Test("3: the password pool is not the application's thread pool (which SQLite uses)")
    func separatePool() async throws {
        try await TestApp.run { t in
            // Occupy every thread of the application's pool; a sign-in still completes.
            let blockers = (0..<System.coreCount * 2).map { _ in t.app.threadPool.runIfActive(eventLoop: t.app.eventLoopGroup.next()) { usleep(1_500_000) } }
            let (uni, _) = try await t.org("uni")
            try await AdminAreaTests.admin(t, org: uni, email: "ada@uni.example")
            let r = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"ada@uni.example","password":"correct horse","grant_type":"password"}"#)
            #expect(r.status == .ok)
            for blocker in blockers { try await blocker.get() }
        }
    }

    @Test("4: 30 parallel wrong passwords for one account are not all verified (counted before verifying)")
    func throttleRace() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            try await AdminAreaTests.admin(t, org: uni, email: "ada@uni.example")
            let (cookie, csrf) = try await AdminAreaTests.loginForm(t)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        try await AdminAreaTests.post(t, "/login/admin", cookie: cookie, fields: ["email": "ada@uni.example", "password": "wrong", "csrf_token": csrf]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponseStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count <= 5, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 25)
            // The SSO API shares the throttle: the account stays refused there too.
            let r = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"ada@uni.example","password":"correct horse","grant_type":"password"}"#)
            #expect(r.status == .tooManyRequests)
        }
    }

    // MARK: 5. Slow clients

    @Test("5: a stalled request head or body is closed after the client timeout; others are served meanwhile")
    func slowClients() async throws {
        try await TestApp.run(adjust: { $0.clientTimeout = 1 }) { t in
            try await t.app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(t.app.http.server.shared.localAddress?.port)
            let partialLine = try RawClient(port: port)
            try partialLine.send("GET /healthz HT")
            let partialBody = try RawClient(port: port)
            try partialBody.send("POST /api/users/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
            // A body trickled a byte at a time: never idle, but not complete in time (F2).
            let trickle = try RawClient(port: port)
            try trickle.send("POST /api/users/y HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
            let dripping = Task {
                for _ in 0..<40 {
                    try? await Task.sleep(nanoseconds: 200_000_000)
                    if (try? trickle.send(" ")) == nil { return }
                }
            }
            // A declared length over 1 MiB is refused at once.
            let huge = try RawClient(port: port)
            try huge.send("POST /api/users/z HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 1048577\r\n\r\n{")
            #expect(try huge.readUntilCloseOrTimeout(seconds: 10, requireClose: true)?.hasPrefix("HTTP/1.1 413") == true)
            let normal = try RawClient(port: port)
            try normal.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try normal.readUntilCloseOrTimeout(seconds: 10, requireClose: true)?.hasPrefix("HTTP/1.1 200") == true)
            // Both stalled connections are closed by the server (read ends), not left open.
            #expect(try partialLine.readUntilCloseOrTimeout(seconds: 15, requireClose: true) != nil)
            let answer = try partialBody.readUntilCloseOrTimeout(seconds: 15, requireClose: true)
            #expect(answer?.isEmpty == true, "dropped without an answer: \(answer ?? "nil")")
            #expect(try trickle.readUntilCloseOrTimeout(seconds: 15, requireClose: true) != nil, "a trickled body is closed too")
            dripping.cancel()
            await t.app.server.shutdown()
        }
    }

    // MARK: 6. Check-then-insert races

    @Test("6: identical parallel enrollments, subscriptions and answers create one row each, every answer 200")
    func insertRaces() async throws {
        try await TestApp.run { t in
            let (parent, key) = try await t.org("uni")
            try await t.org("campus", parent: "uni")
            _ = try await t.send(.POST, "/api/users/u1", key: key)
            let course = try #require(t.portico.curriculum.courses.first?.id)
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponseStatus, String?).self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let r = i % 2 == 0
                            ? try await t.send(.POST, "/api/users/u1/enrollments", key: key, body: #"{"course_id":"\#(course)"}"#)
                            : try await t.send(.POST, "/api/users/u1/subscriptions", key: key, body: #"{"org":"campus"}"#)
                        return (r.status, r.json["enrollment"]["id"].string ?? r.json["subscription"]["id"].string)
                    }
                }
                return try await group.reduce(into: [(HTTPResponseStatus, String?)]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0.0 == .ok }, "\(statuses.map(\.0))")
            #expect(Set(statuses.compactMap(\.1)).count == 2, "one enrollment and one subscription, the same id in every answer")
            #expect(try await t.count("enrollments") == 1)
            #expect(try await t.count("subscriptions") == 2)
            #expect(try await t.count("events", where: "type = 'enrollment.created'") == 1)

            let user = try #require(try await t.portico.hotPaths.user(orgID: parent.requireID(), partnerID: "u1", now: t.clock.now()))
            let questionSet = try #require(t.portico.curriculum.questionSets.first)
            let interview = try await Learning.startInterview(user: user, questionSet: questionSet, now: t.clock.now(), store: t.store)
            let interviewID = try interview.requireID()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask { try await Learning.answer(interviewID: interviewID, user: user, number: 1, text: "answer \(i)", now: t.clock.now(), store: t.store) }
                }
                try await group.waitForAll()
            }
            #expect(try await t.count("interview_answers") == 1)
            let stored = try #require(try await Interview.find(interviewID, on: t.store.db))
            #expect(stored.questionsAnswered == 1)
        }
    }

    @Test("6 (outside attack F1): a user deleted while requests for them run gives 404s, never a 5xx")
    func deleteRaces() async throws {
        try await TestApp.run { t in
            let (uni, key) = try await t.org("uni")
            _ = uni
            try await t.org("campus", parent: "uni")
            let course = try #require(t.portico.curriculum.courses.first?.id)
            var statuses: [UInt] = []
            for round in 0..<6 {
                let partnerID = "p\(round)"
                _ = try await t.send(.POST, "/api/users/\(partnerID)", key: key)
                let results = try await withThrowingTaskGroup(of: UInt.self) { group in
                    for i in 0..<10 {
                        group.addTask {
                            switch i {
                            case 0, 5: try await t.send(.DELETE, "/api/users/\(partnerID)", key: key).status.code
                            case 1, 6: try await t.send(.POST, "/api/users/\(partnerID)/subscriptions", key: key, body: #"{"org":"campus"}"#).status.code
                            case 2, 7: try await t.send(.POST, "/api/users/\(partnerID)", key: key).status.code
                            case 3: try await t.send(.PATCH, "/api/users/\(partnerID)", key: key, body: #"{"first_name":"X"}"#).status.code
                            default: try await t.send(.POST, "/api/users/\(partnerID)/enrollments", key: key, body: #"{"course_id":"\#(course)"}"#).status.code
                            }
                        }
                    }
                    return try await group.reduce(into: [UInt]()) { $0.append($1) }
                }
                statuses += results
            }
            #expect(statuses.allSatisfy { $0 < 500 }, "\(statuses.filter { $0 >= 500 })")
        }
    }

    @Test("outside attack F3: every X-Forwarded-For line counts; the right-most untrusted address is the client")
    func forwardedLines() async throws {
        try await TestApp.run(adjust: { $0.trustedProxies = [CIDR("127.0.0.1/32")!] }) { t in
            var headers = HTTPHeaders()
            headers.add(name: "X-Forwarded-For", value: "66.6.6.6")
            headers.add(name: "X-Forwarded-For", value: "55.5.5.5")
            let request = Request(
                application: t.app, method: .GET, url: URI(path: "/"), headers: headers,
                remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 4000), on: t.app.eventLoopGroup.next()
            )
            #expect(request.clientIP == "55.5.5.5")
            let direct = Request(
                application: t.app, method: .GET, url: URI(path: "/"), headers: headers,
                remoteAddress: try SocketAddress(ipAddress: "10.1.1.1", port: 4000), on: t.app.eventLoopGroup.next()
            )
            #expect(direct.clientIP == "10.1.1.1", "an untrusted peer's header is ignored")
        }
    }

    // MARK: 7. NUL

    @Test("7: NUL in any text field is 422 and nothing is written, on every surface")
    func nulRefused() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let r = try await t.send(.POST, "/api/users/ann", key: key, body: #"{"first_name":"Ann\u0000Evil"}"#)
            #expect(r.status == .unprocessableEntity)
            #expect(r.errorCode == "invalid_request")
            #expect(try await t.count("users") == 0)
            // A literal backslash-u text is not a NUL.
            let literal = try await t.send(.POST, "/api/users/ann", key: key, body: #"{"first_name":"Ann\\u0000"}"#)
            #expect(literal.status == .ok)
            #expect(literal.json["user"]["first_name"].string == #"Ann\u0000"#)
            let patch = try await t.send(.PATCH, "/api/users/ann", key: key, body: #"{"last_name":"x\u0000"}"#)
            #expect(patch.status == .unprocessableEntity)
            let sso = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"a\u0000@x","password":"p","grant_type":"password"}"#)
            #expect(sso.status == .unprocessableEntity)
            #expect(sso.json["api_error_entity"]["error_code"].int != nil)
            let form = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: "username=a%00b&password=p&grant_type=password", headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(form.status == .unprocessableEntity)
        }
    }

    // MARK: 8 and 11. Logs

    @Test("8: a request path with a line break writes one escaped log line; 11: no SQL bind value is logged at trace")
    func logs() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let captured = CapturingLogHandler(lines: lines)
        try await TestApp.run(adjust: { $0.logLevel = .trace }, prepare: { app in
            app.logger = Logger(label: "test") { _ in EscapingLogHandler(wrapped: captured) }
        }) { t in
            let (_, key) = try await t.org("acme")
            let webhook = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url":"https://hooks.example.com/in"}"#)
            let secret = try #require(webhook.json["webhook"]["key"].string)
            for path in ["/healthz%0aFORGED fake line", "/healthz\n2026-12-02T00:00:00Z info FORGED"] {
                let request = Request(
                    application: t.app, method: .GET, url: URI(path: path),
                    logger: Logger(label: "req") { _ in CapturingLogHandler(lines: lines) }, on: t.app.eventLoopGroup.next()
                )
                _ = try await RequestLogMiddleware().respond(to: request, chainingTo: AsyncBasicResponder { _ in Response() }).get()
            }
            let requestLines = lines.withLockedValue { $0 }.filter { $0.hasPrefix("GET unmatched 200") }
            #expect(requestLines.count == 2, "one access line per request, named by its route pattern (none here), never the raw path")
            #expect(!lines.withLockedValue { $0 }.contains { $0.contains("FORGED") })
            #expect(requestLines.allSatisfy { !$0.contains("\n") && !$0.contains("\r") })
            let all = lines.withLockedValue { $0 }
            #expect(!all.isEmpty)
            #expect(all.allSatisfy { !$0.contains("\n") && !$0.contains("\r") })
            #expect(!all.contains { $0.contains(secret) }, "the webhook key never reaches a log")
            #expect(!all.contains { $0.contains(key) }, "the API key never reaches a log")
        }
        #expect(LogText.escaped("a\nb\r\u{0}\u{1b}[31m\u{2028}\\") == #"a\nb\r\u{0}\u{1b}[31m\u{2028}\\"#)
        let forged = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "x") { _ in EscapingLogHandler(wrapped: CapturingLogHandler(lines: forged)) }
        logger.logLevel = .info
        logger.info("GET /healthz\n2026-12-02 INFO forged", metadata: ["email": .string("a@b\nc")])
        #expect(forged.withLockedValue { $0 } == [#"GET /healthz\n2026-12-02 INFO forged email=a@b\nc"#])
    }

    // MARK: 9. SSRF

    @Test("9: webhook targets at IPv4-translated and site-local IPv6 are refused at registration")
    func ssrfGaps() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            for url in ["https://[::ffff:0:127.0.0.1]/", "https://[fec0::1]/", "https://[2001:db8::1]/", "https://[::7f00:1]/",
                        "https://hooks.example.com/a\\nb", "https://hooks.example.com/a b", "https://hooks.example.com/\\u2028"] {
                let r = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url":"\#(url)"}"#)
                #expect(r.status == .unprocessableEntity, "\(url): \(r.text)")
            }
            #expect(try await t.count("webhook_endpoints") == 0)
        }
    }

    // MARK: 10. Configuration

    @Test("10: a bad PORTICO_TRUSTED_PROXIES item is named, never a crash")
    func trustedProxies() throws {
        for value in ["10.0.0.0/8, ,192.168.0.0/16", ",", "/", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/99999999999999999999", "1.2.3.4/8/8", "x"] {
            do {
                _ = try PorticoConfig.from(environment: ["PORTICO_TRUSTED_PROXIES": value])
                Issue.record("accepted \(value)")
            } catch let invalid as PorticoConfig.Invalid {
                #expect(invalid.problems.contains { $0.hasPrefix("PORTICO_TRUSTED_PROXIES: '") }, "\(value)")
            }
        }
        let ok = try PorticoConfig.from(environment: ["PORTICO_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.0.0/16,::1"])
        #expect(ok.trustedProxies.map(\.description) == ["10.0.0.0/8", "192.168.0.0/16", "::1/128"])
    }
}

/// Keeps each log line as the stream handler would print it (message, then metadata).
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let all = self.metadata.merging(metadata ?? [:]) { $1 }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLockedValue { $0.append(fields.isEmpty ? "\(message)" : "\(message) \(fields)") }
    }
}

/// A plain TCP client for talking to the server byte by byte.
final class RawClient: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TestFailure("connect failed") }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw TestFailure("send failed") }
    }

    /// What arrives until the server closes the connection (a text, maybe empty), or
    /// until `seconds` pass: then what arrived, or nil when `requireClose`.
    func readUntilCloseOrTimeout(seconds: Double, requireClose: Bool = false) throws -> String? {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received += buffer[0..<n]; continue }
            if n == 0 { return String(decoding: received, as: UTF8.self) }
            if errno == ECONNRESET { return String(decoding: received, as: UTF8.self) }
            return requireClose ? nil : String(decoding: received, as: UTF8.self)
        }
    }
}
