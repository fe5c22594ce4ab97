@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("SSO API: Authenticate, ValidateAccessToken, SignIn, Classroom")
struct SSOAPITests {
    static let nilUUID = "00000000-0000-0000-0000-000000000000"

    /// Orgs uni → campus (with a user u1 subscribed in campus), and a sibling org "other".
    struct Fixture {
        var uni: Organization
        var campus: Organization
        var key: String
        var userID: String
        var subscriptionID: String
    }

    static func fixture(_ t: TestApp) async throws -> Fixture {
        let (uni, _) = try await t.org("uni", returnHosts: ["lms.example.edu"])
        let (campus, key) = try await t.org("campus", parent: "uni")
        try await t.org("other")
        let r = try await t.send(.POST, "/api/users/u1", key: key, body: #"{"first_name":"Ann"}"#)
        return Fixture(
            uni: uni, campus: campus, key: key,
            userID: try #require(r.json["user"]["id"].string), subscriptionID: try #require(r.json["user"]["subscription_id"].string)
        )
    }

    @discardableResult
    static func admin(_ t: TestApp, org: Organization, email: String, permissions: [Admin.Permission]? = nil) async throws -> Admin {
        try await Credentials.createAdmin(
            org: org, email: email, passwordHash: try Bcrypt.hash("correct horse", cost: 4), permissions: permissions,
            actor: "t", now: t.clock.now(), store: t.store
        )
    }

    static func accessToken(_ t: TestApp, email: String) async throws -> String {
        let r = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"\#(email)","password":"correct horse","grant_type":"password"}"#)
        guard let token = r.json["access_token"].string else { throw TestFailure("authenticate: \(r.text)") }
        return token
    }

    func signIn(_ t: TestApp, token: String, body: String, path: String = "/api/v1/SsoApi/SignIn") async throws -> TestResponse {
        try await t.send(.POST, "\(path)?access_token=\(token)", body: body)
    }

    @Test("Authenticate: JSON or form, an hour by default, utc_expiration_date capped at 30 days")
    func authenticate() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            try await Self.admin(t, org: f.uni, email: "Admin@Uni.example")
            let r = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"admin@uni.example","password":"correct horse","grant_type":"password","scope":"x"}"#)
            #expect(r.status == .ok)
            #expect(UUID(uuidString: r.json["access_token"].string ?? "") != nil)
            #expect(r.json["token_type"].string == "bearer")
            #expect(r.json["expires_in"].int == 3600)
            #expect(r.json["api_error_entity"]["error_code"].int == 0)
            #expect(r.json["api_error_entity"]["error_message"].isNull)

            let form = try await t.send(.POST, "/api/v1/AdminApi/Authenticate",
                                        headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(form.status == .unprocessableEntity, "no grant_type")
            var headers = HTTPHeaders()
            headers.contentType = .urlEncodedForm
            let formOK = try await t.app.testing().sendRequest(.POST, "/api/v1/AdminApi/Authenticate", headers: headers,
                body: ByteBuffer(string: "username=admin%40uni.example&password=correct+horse&grant_type=password"))
            #expect(formOK.status == .ok)

            let later = ISO8601DateFormatter().string(from: t.clock.now().addingTimeInterval(7200))
            let dated = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"admin@uni.example","password":"correct horse","grant_type":"password","utc_expiration_date":"\#(later)"}"#)
            #expect(dated.status == .ok)
            #expect(dated.json.keys.contains("expires_in") == false)
            let validated = try await t.send(.GET, "/api/v1/AdminApi/ValidateAccessToken?access_token=\(dated.json["access_token"].string!)")
            #expect(validated.json["utc_expiration_date"].date == RFC3339.date(from: later))
            let far = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"admin@uni.example","password":"correct horse","grant_type":"password","utc_expiration_date":null}"#)
            let farCheck = try await t.send(.GET, "/api/v1/AdminApi/ValidateAccessToken?access_token=\(far.json["access_token"].string!)")
            #expect(farCheck.json["utc_expiration_date"].date == t.clock.now().addingTimeInterval(30 * 86_400).flooredToSecond)
        }
    }

    @Test("bad credentials get one generic 403; grant_type is required; repeated failures are throttled")
    func badCredentials() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            try await Self.admin(t, org: f.uni, email: "admin@uni.example")
            let wrong = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"admin@uni.example","password":"nope","grant_type":"password"}"#)
            let unknown = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"ghost@uni.example","password":"nope","grant_type":"password"}"#)
            #expect(wrong.status == .forbidden && unknown.status == .forbidden)
            #expect(wrong.json["api_error_entity"]["error_message"].string == unknown.json["api_error_entity"]["error_message"].string)
            #expect(wrong.json["api_error_entity"]["error_code"].int == 1001)
            #expect(wrong.json.keys == ["api_error_entity"], "an error carries only api_error_entity")
            for body in [#"{"username":"admin@uni.example","password":"correct horse"}"#, #"{"username":"admin@uni.example","password":"correct horse","grant_type":"client_credentials"}"#] {
                let r = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: body)
                #expect(r.status == .unprocessableEntity)
                #expect(r.json["api_error_entity"]["error_code"].int == 1002)
            }
            for _ in 0..<4 {
                _ = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"admin@uni.example","password":"guess","grant_type":"password"}"#)
            }
            let throttled = try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"admin@uni.example","password":"correct horse","grant_type":"password"}"#)
            #expect(throttled.status == .tooManyRequests)
            #expect(Int(throttled.headers.first(name: .retryAfter) ?? "") ?? 0 > 0)
            t.clock.advance(by: 901)
            #expect(try await t.send(.POST, "/api/v1/AdminApi/Authenticate", body: #"{"username":"admin@uni.example","password":"correct horse","grant_type":"password"}"#).status == .ok)
        }
    }

    @Test("ValidateAccessToken answers 200 with the expiry, or null and why")
    func validate() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let f = try await Self.fixture(t)
            _ = try await Self.admin(t, org: f.uni, email: "admin@uni.example")
            let token = try await Self.accessToken(t, email: "admin@uni.example")
            let ok = try await t.send(.GET, "/api/v1/AdminApi/ValidateAccessToken?access_token=\(token)")
            #expect(ok.status == .ok && ok.json["utc_expiration_date"].date != nil && ok.json["error_message"].isNull)
            for query in ["", "?access_token=garbage", "?access_token=\(UUID().uuidString)"] {
                let r = try await t.send(.GET, "/api/v1/AdminApi/ValidateAccessToken\(query)")
                #expect(r.status == .ok && r.json["utc_expiration_date"].isNull && r.json["error_message"].string != nil, "\(query)")
                #expect(r.json["api_error_entity"]["error_code"].int == 0)
            }
            clock.advance(by: 3601)
            #expect(try await t.send(.GET, "/api/v1/AdminApi/ValidateAccessToken?access_token=\(token)").json["error_message"].string?.contains("expired") == true)
            let fresh = try await Self.accessToken(t, email: "admin@uni.example")
            let other = try await Self.accessToken(t, email: "admin@uni.example")
            let revoked = try await SSOAPIService.revokeAccessTokens(adminEmail: "Admin@Uni.Example", actor: "system", now: clock.now(), store: t.store)
            #expect(revoked == 2, "the two live tokens, not the expired one")
            for token in [fresh, other] {
                #expect(try await t.send(.GET, "/api/v1/AdminApi/ValidateAccessToken?access_token=\(token)").json["error_message"].string?.contains("revoked") == true)
            }
            #expect(try await t.count("audit_entries", where: "action = 'admin.tokens_revoked' AND target = 'admin@uni.example'") == 1)
            #expect(try await SSOAPIService.revokeAccessTokens(adminEmail: "admin@uni.example", actor: "system", now: clock.now(), store: t.store) == 0)
            await #expect(throws: PorticoError.self) {
                try await SSOAPIService.revokeAccessTokens(adminEmail: "nobody@uni.example", actor: "system", now: clock.now(), store: t.store)
            }
        }
    }

    @Test("SignIn needs a good access token: missing, garbage, expired and revoked are 403")
    func accessTokens() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let f = try await Self.fixture(t)
            let admin = try await Self.admin(t, org: f.uni, email: "admin@uni.example")
            let body = #"{"subscription_id":"\#(f.subscriptionID)"}"#
            #expect(try await t.send(.POST, "/api/v1/SsoApi/SignIn", body: body).status == .forbidden)
            #expect(try await signIn(t, token: "garbage", body: body).status == .forbidden)
            let token = try await Self.accessToken(t, email: "admin@uni.example")
            #expect(try await signIn(t, token: token, body: body).status == .ok)
            clock.advance(by: 3601)
            let expired = try await signIn(t, token: token, body: body)
            #expect(expired.status == .forbidden && expired.json["api_error_entity"]["error_code"].int == 1101)
            let fresh = try await Self.accessToken(t, email: "admin@uni.example")
            try await SSOAPIService.revokeAccessTokens(adminEmail: admin.email, actor: "system", now: clock.now(), store: t.store)
            #expect(try await signIn(t, token: fresh, body: body).status == .forbidden)
        }
    }

    @Test("permission in the org or an ancestor works; a sibling, a child-only admin or no use_sso_api is 403")
    func permissions() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            let (grandchild, _) = try await t.org("grandchild", parent: "campus")
            let other = try #require(try await Organizations.find(slug: "other", on: t.store.db))
            try await Self.admin(t, org: f.uni, email: "ancestor@x.example", permissions: [.useSSOAPI])
            try await Self.admin(t, org: f.campus, email: "same@x.example", permissions: [.useSSOAPI])
            try await Self.admin(t, org: other, email: "sibling@x.example")
            try await Self.admin(t, org: grandchild, email: "child@x.example")
            try await Self.admin(t, org: f.uni, email: "noperm@x.example", permissions: [.manageKeys, .manageUsers])
            let body = #"{"subscription_id":"\#(f.subscriptionID)"}"#
            for (email, expected) in [
                ("ancestor@x.example", HTTPResponseStatus.ok), ("same@x.example", .ok), ("sibling@x.example", .forbidden),
                ("child@x.example", .forbidden), ("noperm@x.example", .forbidden),
            ] {
                let r = try await signIn(t, token: try await Self.accessToken(t, email: email), body: body)
                #expect(r.status == expected, "\(email)")
                if expected == .forbidden { #expect(r.json["api_error_entity"]["error_code"].int == 1102) }
            }
        }
    }

    @Test("identification: each valid form names the subscription; partial or none is 422; unknown ids 409")
    func identification() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            try await Self.admin(t, org: f.uni, email: "admin@uni.example")
            let token = try await Self.accessToken(t, email: "admin@uni.example")
            let campusID = f.campus.id!.uuidString.lowercased()
            let valid = [
                #"{"user_id":"\#(f.userID)","org_id":"\#(campusID)"}"#,
                #"{"subscription_id":"\#(f.subscriptionID)"}"#,
                #"{"user_id":"\#(f.userID)","org_id":"\#(campusID)","subscription_id":"\#(f.subscriptionID)"}"#,
                #"{"display":0,"user_id":"\#(Self.nilUUID)","org_id":"\#(Self.nilUUID)","subscription_id":"\#(f.subscriptionID)","redirect_entity_request":{"logout_url":null,"invalid_token_url":null,"expired_token_url":null}}"#,
                #"{"user_id":"\#(f.userID)","org_id":"\#(campusID)","subscription_id":"\#(Self.nilUUID)"}"#,
                #"{"user_id":"","org_id":null,"subscription_id":"\#(f.subscriptionID)"}"#,
            ]
            for body in valid {
                let r = try await signIn(t, token: token, body: body)
                #expect(r.status == .ok, "\(body)")
                #expect(r.json["api_error_entity"]["warning_messages"].array.isEmpty, "\(body)")
                let accessToken = try #require(r.json["access_token"].string)
                #expect(UUID(uuidString: accessToken) != nil)
                #expect(r.json["url"].string == "http://127.0.0.1:8080/login/sso?token=\(accessToken)")
                #expect(r.json["expires_in"].int == 300)
                #expect(r.json["token_type"].string == "bearer")
            }
            // A mismatch is a warning; user_id + org_id win.
            _ = try await t.send(.POST, "/api/users/u2", key: f.key)
            let u2Sub = try #require(try await t.send(.GET, "/api/users/u2", key: f.key).json["user"]["subscription_id"].string)
            let mismatch = try await signIn(t, token: token, body: #"{"user_id":"\#(f.userID)","org_id":"\#(campusID)","subscription_id":"\#(u2Sub)"}"#)
            #expect(mismatch.status == .ok)
            #expect(mismatch.json["api_error_entity"]["warning_messages"].array.count == 1)
            for body in [#"{"user_id":"\#(f.userID)"}"#, #"{"org_id":"\#(campusID)"}"#, "{}", #"{"subscription_id":"\#(Self.nilUUID)"}"#, #"{"subscription_id":"not-a-uuid"}"#, #"{"display":7,"subscription_id":"\#(f.subscriptionID)"}"#, "[1]"] {
                let r = try await signIn(t, token: token, body: body)
                #expect(r.status == .unprocessableEntity, "\(body)")
                #expect(r.json["api_error_entity"]["error_code"].int == 1201)
            }
            for body in [#"{"subscription_id":"\#(UUID().uuidString)"}"#, #"{"user_id":"\#(UUID().uuidString)","org_id":"\#(campusID)"}"#,
                         #"{"user_id":"\#(f.userID)","org_id":"\#(UUID().uuidString)"}"#, #"{"user_id":"\#(f.userID)","org_id":"\#(f.uni.id!.uuidString)"}"#] {
                let r = try await signIn(t, token: token, body: body)
                #expect(r.status == .conflict, "\(body)")
                #expect(r.json["api_error_entity"]["error_code"].int == 1301)
            }
        }
    }

    @Test("the URL signs the right user in, once; display=1 and NoChrome have no chrome; paths in any case")
    func urlSignsIn() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            try await Self.admin(t, org: f.uni, email: "admin@uni.example")
            let token = try await Self.accessToken(t, email: "admin@uni.example")
            let r = try await signIn(t, token: token, body: #"{"subscription_id":"\#(f.subscriptionID)"}"#, path: "/api/v1/ssoapi/signin")
            #expect(r.status == .ok)
            let sso = try #require(r.json["access_token"].string)
            let (landed, cookie) = try await t.signIn(token: sso)
            #expect(landed.status == .seeOther)
            let dashboard = try await t.page("/members/dashboard", cookie: try #require(cookie))
            #expect(dashboard.text.contains("Welcome, Ann"))
            #expect(dashboard.text.contains("<header"))
            #expect(try await t.signIn(token: sso).0.status == .unauthorized, "SSO API tokens work once")
            #expect(try await t.signIn(token: sso.uppercased()).0.status == .unauthorized)

            for display in ["1", "\"NoChrome\""] {
                let r = try await signIn(t, token: token, body: #"{"display":\#(display),"subscription_id":"\#(f.subscriptionID)"}"#, path: "/API/V1/SSOAPI/SIGNIN")
                #expect(r.status == .ok)
                let (_, cookie) = try await t.signIn(token: try #require(r.json["access_token"].string), query: "&display=0")
                let html = try await t.page("/members/dashboard", cookie: try #require(cookie)).text
                #expect(!html.contains("<header") && !html.contains("<nav"), "the token's display wins")
            }
            #expect(try await t.send(.GET, "/api/v1/SsoApi/SignIn").json["api_error_entity"]["error_code"].int == 1401)
            #expect(try await t.send(.GET, "/api/v1/nothing").status == .notFound)
        }
    }

    @Test("Classroom lands on /classroom/{enrollment_id}")
    func classroom() async throws {
        try await TestApp.run { t in
            let f = try await Self.fixture(t)
            try await Self.admin(t, org: f.uni, email: "admin@uni.example")
            let token = try await Self.accessToken(t, email: "admin@uni.example")
            let enrolled = try await t.send(.POST, "/api/users/u1/enrollments", key: f.key, body: #"{"course_id":"resume-essentials"}"#)
            let enrollmentID = try #require(enrolled.json["enrollment"]["id"].string)
            let r = try await signIn(t, token: token, body: #"{"enrollment_id":"\#(enrollmentID)"}"#, path: "/api/v1/SsoApi/Classroom")
            #expect(r.status == .ok)
            #expect(r.json["url"].string?.hasPrefix("http://127.0.0.1:8080/login/sso?token=") == true)
            let (landed, cookie) = try await t.signIn(token: try #require(r.json["access_token"].string), query: "&redirect_to=%2Fmembers%2Finterviews")
            #expect(landed.headers.first(name: .location) == "http://127.0.0.1:8080/classroom/\(enrollmentID)")
            #expect(try await t.page("/classroom/\(enrollmentID)", cookie: try #require(cookie)).status == .ok)
            #expect(try await signIn(t, token: token, body: #"{"enrollment_id":"\#(UUID().uuidString)"}"#, path: "/api/v1/SsoApi/Classroom").status == .conflict)
            #expect(try await signIn(t, token: token, body: "{}", path: "/api/v1/SsoApi/Classroom").status == .unprocessableEntity)
        }
    }

    @Test("redirect entity: stored per subscription, used for used/expired tokens and logout; disallowed hosts warn")
    func redirectEntity() async throws {
        let clock = FixedClock()
        try await TestApp.run(clock: clock) { t in
            let f = try await Self.fixture(t)
            try await Self.admin(t, org: f.uni, email: "admin@uni.example")
            let token = try await Self.accessToken(t, email: "admin@uni.example")
            let set = try await signIn(t, token: token, body: #"""
                {"subscription_id":"\#(f.subscriptionID)","redirect_entity_request":{"logout_url":"https://lms.example.edu/bye",
                "invalid_token_url":"https://lms.example.edu/used","expired_token_url":"https://evil.example/expired"}}
                """#)
            #expect(set.status == .ok)
            let warnings = set.json["api_error_entity"]["warning_messages"].array.compactMap(\.string)
            #expect(warnings.count == 1 && warnings[0].contains("expired_token_url"))
            let sub = try #require(try await Subscription.find(UUID(uuidString: f.subscriptionID), on: t.store.db))
            #expect(sub.logoutURL == "https://lms.example.edu/bye" && sub.expiredTokenURL == nil)

            let sso = try #require(set.json["access_token"].string)
            let (_, cookie) = try await t.signIn(token: sso)
            #expect(try await t.signIn(token: sso).0.headers.first(name: .location) == "https://lms.example.edu/used")
            #expect(try await t.send(.GET, "/logout", headers: [("Cookie", cookie!)]).headers.first(name: .location) == "https://lms.example.edu/bye")

            // Absent or null leaves a value; "" clears it.
            let keep = try await signIn(t, token: token, body: #"{"subscription_id":"\#(f.subscriptionID)","redirect_entity_request":{"expired_token_url":"https://lms.example.edu/expired"}}"#)
            let late = try #require(keep.json["access_token"].string)
            clock.advance(by: 301)
            #expect(try await t.signIn(token: late).0.headers.first(name: .location) == "https://lms.example.edu/expired")
            let fresh = try await Self.accessToken(t, email: "admin@uni.example")
            _ = try await signIn(t, token: fresh, body: #"{"subscription_id":"\#(f.subscriptionID)","redirect_entity_request":{"logout_url":""}}"#)
            let reloaded = try #require(try await Subscription.find(sub.id, on: t.store.db))
            #expect(reloaded.logoutURL == nil && reloaded.invalidTokenURL == "https://lms.example.edu/used")
        }
    }
}
