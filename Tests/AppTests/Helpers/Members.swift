@testable import App
import Foundation
import PorticoCore
import Vapor

extension TestApp {
    /// Creates (or refreshes) a user through the Partner API and returns its new token.
    func token(key: String, partnerID: String) async throws -> String {
        let r = try await send(.POST, "/api/users/\(partnerID)", key: key)
        guard let token = r.json["user"]["token"]["token"].string else { throw TestFailure("no token: \(r.text)") }
        return token
    }

    /// Opens `/login/sso` with the token and extra query; returns the response and the session cookie.
    func signIn(token: String, query: String = "", cookie: String? = nil) async throws -> (TestResponse, String?) {
        let r = try await send(.GET, "/login/sso?token=\(token)\(query)", headers: cookie.map { [("Cookie", $0)] } ?? [])
        return (r, sessionCookie(r))
    }

    /// A signed-in member's cookie header value.
    func member(key: String, partnerID: String, query: String = "") async throws -> String {
        let (r, cookie) = try await signIn(token: try await token(key: key, partnerID: partnerID), query: query)
        guard r.status == .seeOther, let cookie else { throw TestFailure("sign-in failed: \(r.status)") }
        return cookie
    }

    func sessionCookie(_ r: TestResponse) -> String? {
        guard let header = r.headers[.setCookie].first(where: { $0.hasPrefix("portico_session=") }) else { return nil }
        let pair = String(header.split(separator: ";")[0])
        return pair == "portico_session=" ? nil : pair
    }

    /// GET a page as the member.
    func page(_ path: String, cookie: String) async throws -> TestResponse {
        try await send(.GET, path, headers: [("Cookie", cookie)])
    }

    /// POST a form as the member, with the CSRF token of `csrfFrom` (a page of theirs) unless told otherwise.
    func form(_ path: String, cookie: String, fields: [String: String], csrf: String? = nil) async throws -> TestResponse {
        var all = fields
        if let csrf { all["csrf_token"] = csrf } else { all["csrf_token"] = try await csrfToken(cookie: cookie) }
        let body = all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        var headers = HTTPHeaders()
        headers.add(name: "Cookie", value: cookie)
        headers.contentType = .urlEncodedForm
        let response = try await app.testing().sendRequest(.POST, path, headers: headers, body: ByteBuffer(string: body))
        return TestResponse(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
    }

    /// The CSRF token in the member's dashboard.
    func csrfToken(cookie: String) async throws -> String {
        let html = try await page("/members/interviews", cookie: cookie).text
        guard let range = html.range(of: "name=\"csrf_token\" value=\"") else { throw TestFailure("no csrf field") }
        return String(html[range.upperBound...].prefix(32))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
