@testable import App
import Foundation
import PorticoCore
import NIOCore
import Testing
import Vapor

/// An admin signed in through `/login/admin`, as a browser would be: it carries the
/// `portico_admin` cookie and reads each page's `csrf_token` to post its forms.
struct AdminBrowser {
    let t: TestApp
    let email: String
    let cookie: String
    /// The session's CSRF token (read from the first page after sign-in).
    let csrf: String

    static let password = "correct horse"

    /// Creates an admin of `org` (all permissions unless given) and signs them in.
    static func signIn(
        _ t: TestApp, org: Organization, email: String, permissions: [Admin.Permission]? = nil
    ) async throws -> AdminBrowser {
        try await Credentials.createAdmin(
            org: org, email: email, passwordHash: try Bcrypt.hash(password, cost: 4), permissions: permissions,
            actor: "t", now: t.clock.now(), store: t.store
        )
        let (response, cookie) = try await AdminAreaTests.signIn(t, email: email)
        #expect(response.status == .seeOther)
        let admin = try #require(cookie)
        let page = try await t.send(.GET, "/admin", headers: [("Cookie", admin)])
        return AdminBrowser(t: t, email: email, cookie: admin, csrf: try AdminAreaTests.csrf(in: page))
    }

    func get(_ path: String) async throws -> TestResponse {
        try await t.send(.GET, path, headers: [("Cookie", cookie)])
    }

    /// Posts a form with the session's `csrf_token` (unless `csrf: false`). A field may
    /// repeat (checkboxes): give it once per value. With `from`, the request comes from
    /// that client address (the in-memory tester gives requests none), handed to the
    /// app's whole responder (middleware, routes) as the server would; redirects are
    /// not followed either way.
    func post(_ path: String, _ fields: [(String, String)] = [], csrf: Bool = true, from ip: String? = nil) async throws -> TestResponse {
        let all = fields + (csrf ? [("csrf_token", self.csrf)] : [])
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await t.send(.POST, path, body: body, headers: [
            ("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded"),
        ], from: ip)
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// The number of audit entries with `action` (and `actor` = this admin).
    func auditCount(_ action: String) async throws -> Int {
        try await t.count("audit_entries", where: "action = '\(action)' AND actor = 'admin:\(email.lowercased())'")
    }
}
