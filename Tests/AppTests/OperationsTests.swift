@testable import App
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Operations: health, readiness, metrics, request ids, OpenAPI")
struct OperationsTests {
    @Test("healthz and readyz answer once migrations are applied")
    func health() async throws {
        try await TestApp.run { t in
            let health = try await t.send(.GET, "/healthz")
            #expect(health.status == .ok)
            #expect(health.json["status"].string == "ok")
            let ready = try await t.send(.GET, "/readyz")
            #expect(ready.status == .ok)
            #expect(ready.json["status"].string == "ready")
            try await t.sql.raw("DELETE FROM _fluent_migrations WHERE name = '001_create_indexes'").run()
            #expect(try await t.send(.GET, "/readyz").status == .serviceUnavailable)
        }
    }

    @Test("a sane X-Request-Id is kept, anything else replaced")
    func requestID() async throws {
        try await TestApp.run { t in
            let kept = try await t.send(.GET, "/healthz", headers: [("X-Request-Id", "abc-123")])
            #expect(kept.headers.first(name: "X-Request-Id") == "abc-123")
            let replaced = try await t.send(.GET, "/healthz", headers: [("X-Request-Id", "bad id\u{7}")])
            let generated = try #require(replaced.headers.first(name: "X-Request-Id"))
            #expect(generated != "bad id\u{7}" && UUID(uuidString: generated) != nil)
            let fresh = try await t.send(.GET, "/api/courses")
            #expect(fresh.headers.first(name: "X-Request-Id") != nil, "errors carry it too")
        }
    }

    @Test("metrics count requests per route pattern and status")
    func metrics() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            _ = try await t.send(.POST, "/api/users/secret-partner", key: key)
            _ = try await t.send(.GET, "/api/users/nobody", key: key)
            let text = try await t.send(.GET, "/metrics").text
            #expect(text.contains(#"portico_http_requests_total{route="/api/users/:partner_id",method="POST",status="200"} 1"#))
            #expect(text.contains(#"portico_http_requests_total{route="/api/users/:partner_id",method="GET",status="404"} 1"#))
            #expect(text.contains("portico_http_request_duration_seconds_bucket"))
            #expect(!text.contains("secret-partner"), "raw paths never become labels")
        }
    }

    @Test("PORTICO_METRICS_TOKEN guards /metrics")
    func metricsToken() async throws {
        try await TestApp.run(adjust: { $0.metricsToken = "s3cret-metrics-token" }) { (t: TestApp) async throws in
            #expect(try await t.send(.GET, "/metrics").status == .unauthorized)
            #expect(try await t.send(.GET, "/metrics", headers: [("Authorization", "Bearer wrong")]).status == .unauthorized)
            #expect(try await t.send(.GET, "/metrics", headers: [("Authorization", "Bearer s3cret-metrics-token")]).status == .ok)
        }
    }

    /// Routes that answer JSON but are deliberately not operations of their own.
    static let undocumented: Set<String> = [
        "GET /api/users", "POST /api/users", "PATCH /api/users", "DELETE /api/users",  // empty partner_id → 422
    ]

    @Test("every JSON route is in /openapi.json, and nothing documented is missing from the app")
    func openAPICoversRoutes() async throws {
        try await TestApp.run { t in
            let response = try await t.send(.GET, "/openapi.json")
            #expect(response.status == .ok)
            let document = response.json
            #expect(document["openapi"].string?.hasPrefix("3.1") == true)
            #expect(document["info"]["title"].string == "Portico")

            var documented: Set<String> = []
            let paths = try #require(document["paths"].value as? [String: Any])
            for (path, item) in paths {
                for method in ((item as? [String: Any]) ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            var registered: Set<String> = []
            for route in t.app.routes.all {
                let path = "/" + route.path.map { component -> String in
                    if case .parameter(let name) = component { return "{\(name)}" }
                    return component.description
                }.joined(separator: "/")
                let key = "\(route.method.rawValue) \(path)"
                // Pages (member area, sign-in, docs) answer HTML; every route that reports errors as JSON is documented.
                let format = route.userInfo[ErrorFormat.userInfoKey] as? ErrorFormat
                if format == .json || format == .ssoAPI || format == .oauth, !Self.undocumented.contains(key) { registered.insert(key) }
            }
            #expect(registered.subtracting(documented).sorted() == [], "routes missing from the OpenAPI document")
            #expect(documented.subtracting(registered).sorted() == [], "documented routes the app does not have")
        }
    }

    @Test("the docs page renders the document without any external resource")
    func docsPage() async throws {
        try await TestApp.run { t in
            let page = try await t.send(.GET, "/docs")
            #expect(page.status == .ok)
            #expect(page.headers.contentType == .html)
            #expect(page.text.contains("/openapi.json"))
            #expect(!page.text.contains("http://") && !page.text.contains("https://"), "no CDN")
        }
    }

    @Test("a path Portico has, asked with a method it does not answer there, is 405 with Allow, in the route's error format")
    func methodNotAllowed() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let courses = try await t.send(.DELETE, "/api/courses", key: key)
            #expect(courses.status == .methodNotAllowed)
            #expect(courses.headers.first(name: .allow) == "GET, HEAD")
            #expect(courses.errorCode == "method_not_allowed")
            let user = try await t.send(.PUT, "/api/users/u1", key: key)
            #expect(user.status == .methodNotAllowed)
            #expect(user.headers.first(name: .allow) == "DELETE, GET, HEAD, PATCH, POST")
            let sso = try await t.send(.GET, "/api/v1/adminapi/authenticate")
            #expect(sso.status == .methodNotAllowed)
            #expect(sso.headers.first(name: .allow) == "POST")
            #expect(sso.json["api_error_entity"]["error_code"].int == 1401)
            let page = try await t.send(.PUT, "/members/dashboard")
            #expect(page.status == .methodNotAllowed)
            #expect(page.headers.contentType == .html)
            #expect(page.headers.first(name: .allow) == "GET, HEAD")
            #expect(try await t.send(.PUT, "/no/such/path").status == .notFound)
            #expect(try await t.send(.DELETE, "/api/no-such").errorCode == "not_found")
        }
    }
}
