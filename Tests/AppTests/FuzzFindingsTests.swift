@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

/// What fuzzing from the OpenAPI document (schemathesis, `.ci/fuzz.sh`) found where the
/// server and `/openapi.json` disagreed, each fixed in the server and held here.
@Suite("FuzzFindingsTests")
struct FuzzFindingsTests {
    /// The document requires a body on both PATCH operations: none at all is a 400
    /// `invalid_json`, and nothing changes; `{}` is a valid (empty) change.
    @Test("PATCH without a body is 400 invalid_json (users and webhooks), and changes nothing; a null url or enabled is 400")
    func patchWithoutBody() async throws {
        try await TestApp.run(adjust: { $0.webhookAllowPrivate = true }) { t in
            let (org, key) = try await t.org("acme")
            #expect(try await t.send(.POST, "/api/users/u1", key: key, body: #"{"first_name":"Ann"}"#).status == .ok)
            let eventsBefore = try await t.eventTypes(org: org)

            let user = try await t.send(.PATCH, "/api/users/u1", key: key)
            #expect(user.status == .badRequest)
            #expect(user.errorCode == "invalid_json")
            let blank = try await t.send(.PATCH, "/api/users/u1", key: key, body: "  \n")
            #expect(blank.status == .badRequest)
            #expect(blank.errorCode == "invalid_json")
            #expect(try await t.eventTypes(org: org) == eventsBefore, "no user.updated for a refused PATCH")
            let empty = try await t.send(.PATCH, "/api/users/u1", key: key, body: "{}")
            #expect(empty.status == .ok)
            #expect(empty.json["user"]["first_name"].string == "Ann")

            let created = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url":"http://127.0.0.1:9/hook"}"#)
            #expect(created.status == .created)
            let id = try #require(created.json["webhook"]["id"].string)
            let hook = try await t.send(.PATCH, "/api/webhooks/\(id)", key: key)
            #expect(hook.status == .badRequest)
            #expect(hook.errorCode == "invalid_json")
            let unknown = try await t.send(.PATCH, "/api/webhooks/\(UUID().uuidString)", key: key)
            #expect(unknown.status == .badRequest, "the body is checked first, as for every other malformed body")
            // null is not a boolean or a URL: the wrong type, 400 (the document allows neither).
            for body in [#"{"enabled":null}"#, #"{"url":null}"#] {
                let r = try await t.send(.PATCH, "/api/webhooks/\(id)", key: key, body: body)
                #expect(r.status == .badRequest, "\(body)")
                #expect(r.errorCode == "invalid_json")
            }
            let nullURL = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url":null}"#)
            #expect(nullURL.status == .badRequest)
            #expect(try await t.count("webhook_endpoints") == 1)
            let disabled = try await t.send(.PATCH, "/api/webhooks/\(id)", key: key, body: #"{"enabled":false}"#)
            #expect(disabled.status == .ok)
            #expect(disabled.json["webhook"]["enabled"].bool == false)
        }
    }

    /// SPEC §5: an explicit null `utc_expiration_date` means 30 days; a form body has no
    /// null, so the text `null` (what form encoders write for it) and an empty value do.
    @Test("Authenticate with form utc_expiration_date=null: a token for 30 days, no expires_in")
    func formNullExpiration() async throws {
        try await TestApp.run { t in
            let (org, _) = try await t.org("uni")
            try await SSOAPITests.admin(t, org: org, email: "admin@uni.example")
            for value in ["null", ""] {
                let r = try await t.send(
                    .POST, "/api/v1/AdminApi/Authenticate",
                    body: "username=admin%40uni.example&password=correct+horse&grant_type=password&utc_expiration_date=\(value)",
                    headers: [("Content-Type", "application/x-www-form-urlencoded")]
                )
                #expect(r.status == .ok, "utc_expiration_date=\(value): \(r.text)")
                #expect(!r.json.keys.contains("expires_in"))
                let token = try #require(r.json["access_token"].string)
                let check = try await t.send(.GET, "/api/v1/AdminApi/ValidateAccessToken?access_token=\(token)")
                let expiry = try #require(check.json["utc_expiration_date"].date)
                #expect(abs(expiry.timeIntervalSince(t.clock.now()) - 30 * 86_400) < 5)
            }
            // JSON null means the same; a JSON string "null" is no date.
            let json = try await t.send(.POST, "/api/v1/AdminApi/Authenticate",
                body: #"{"username":"admin@uni.example","password":"correct horse","grant_type":"password","utc_expiration_date":null}"#)
            #expect(json.status == .ok)
            let text = try await t.send(.POST, "/api/v1/AdminApi/Authenticate",
                body: #"{"username":"admin@uni.example","password":"correct horse","grant_type":"password","utc_expiration_date":"null"}"#)
            #expect(text.status == .unprocessableEntity)
        }
    }

    /// Every method a path does not answer is 405 with `Allow`, also methods no route has
    /// at all (the fuzzer found TRACE, then QUERY, answered 404 on every operation's path).
    @Test("TRACE, QUERY or an invented method on a path Portico has is 405 with Allow; on no path, 404")
    func unknownMethodIsMethodNotAllowed() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            for method in [HTTPMethod.TRACE, .RAW(value: "QUERY"), .RAW(value: "FROB")] {
                let courses = try await t.send(method, "/api/courses", key: key)
                #expect(courses.status == .methodNotAllowed, "\(method)")
                #expect(courses.headers.first(name: .allow) == "GET, HEAD")
                #expect(courses.errorCode == "method_not_allowed")
                let user = try await t.send(method, "/api/users/u1", key: key)
                #expect(user.status == .methodNotAllowed, "\(method)")
                #expect(user.headers.first(name: .allow) == "DELETE, GET, HEAD, PATCH, POST")
                let health = try await t.send(method, "/healthz")
                #expect(health.status == .methodNotAllowed, "\(method)")
                #expect(health.headers.first(name: .allow) == "GET, HEAD")
                let sso = try await t.send(method, "/api/v1/SsoApi/SignIn")
                #expect(sso.status == .methodNotAllowed, "\(method)")
                #expect(sso.headers.first(name: .allow) == "POST")
                #expect(sso.json["api_error_entity"]["error_code"].int == 1401)
                let nowhere = try await t.send(method, "/api/no/such/path", key: key)
                #expect(nowhere.status == .notFound, "\(method)")
                #expect(nowhere.errorCode == "not_found")
            }
        }
    }

    /// The document's limits are the server's: `after_sequence` up to the largest signed
    /// 64-bit integer is answered (an empty page), one more is 422.
    @Test("GET /api/events: after_sequence at the document's maximum is 200, above it 422")
    func afterSequenceMaximum() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let top = try await t.send(.GET, "/api/events?after_sequence=9223372036854775807", key: key)
            #expect(top.status == .ok)
            #expect(top.json["events"].array.isEmpty)
            #expect(top.text.contains(#""next_after_sequence":9223372036854775807"#))
            let over = try await t.send(.GET, "/api/events?after_sequence=9223372036854775808", key: key)
            #expect(over.status == .unprocessableEntity)
            #expect(over.errorCode == "invalid_request")
        }
    }

    /// `webhook_id: null` on redeliver-failed means every endpoint (the document says so
    /// now); an empty webhook `url` is refused with 422 (the document's minLength is 1).
    @Test("redeliver-failed with webhook_id null is 202 for every endpoint; a webhook url of \"\" is 422")
    func redeliverNullAndEmptyURL() async throws {
        try await TestApp.run(adjust: { $0.webhookAllowPrivate = true }) { t in
            let (_, key) = try await t.org("acme")
            let r = try await t.send(.POST, "/api/events/redeliver-failed", key: key, body: #"{"since":"2020-01-01T00:00:00Z","webhook_id":null}"#)
            #expect(r.status == .accepted)
            #expect(r.json["queued"].int == 0)
            let empty = try await t.send(.POST, "/api/webhooks", key: key, body: #"{"url":""}"#)
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.errorCode == "invalid_request")
            #expect(try await t.count("webhook_endpoints") == 0)
        }
    }
}
