@testable import App
import Crypto
import Foundation
import PorticoCore
import Vapor

/// A relying party of the OpenID Connect tests: an org with a `login_url`, an app that is
/// its client, and the requests a client and a browser make.
struct OIDCRelyingParty {
    static let redirectURI = "https://notes.example/cb?from=portico"
    static let postLogoutURI = "https://notes.example/bye"
    static let loginURL = "https://acme.example/login"

    var org: Organization
    var apiKey: String
    var app: PartnerApp
    var clientID: String
    var secret: String?
    var launchKey: String?

    /// `acme` (login URL on its allowed host) and its app `notes`.
    static func make(
        _ t: TestApp, slug: String = "notes", isPublic: Bool = false, launchURL: String? = nil, orgSlug: String = "acme",
        parent: String? = nil
    ) async throws -> OIDCRelyingParty {
        let org: Organization
        let key: String
        if let existing = try await Organizations.find(slug: orgSlug, on: t.store.db) {
            org = existing
            key = try await Credentials.createAPIKey(org: org, name: "t2", createdBy: "t", now: t.clock.now(), store: t.store).key
        } else {
            (org, key) = try await t.org(orgSlug, parent: parent, returnHosts: ["acme.example"])
            _ = try await Organizations.update(slug: orgSlug, settings: .init(loginURL: loginURL), actor: "t", now: t.clock.now(), store: t.store)
        }
        let registered = try await PartnerApps.register(
            org: org,
            .init(slug: slug, name: "Notes", launchURL: launchURL, redirectURIs: [redirectURI], postLogoutRedirectURIs: [postLogoutURI], isPublic: isPublic),
            actor: "t", now: t.clock.now(), store: t.store
        )
        return OIDCRelyingParty(
            org: org, apiKey: key, app: registered.app, clientID: registered.app.clientID!, secret: registered.clientSecret,
            launchKey: registered.key
        )
    }

    /// A PKCE pair: a verifier and its S256 challenge, computed here independently.
    static func pkce() -> (verifier: String, challenge: String) {
        let verifier = Base64URL.encode(Data((0..<48).map { _ in UInt8.random(in: 0...255) }))
        return (verifier, Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8)))))
    }

    /// `/oauth/authorize?…` with the standard parameters, overridden or removed (nil) by `extra`.
    func authorizeQuery(_ extra: [String: String?] = [:], challenge: String? = nil) -> String {
        var items: [String: String?] = [
            "client_id": clientID, "redirect_uri": Self.redirectURI, "response_type": "code", "scope": "openid profile email",
            "state": "st-1", "nonce": "n-1",
        ]
        if let challenge {
            items["code_challenge"] = challenge
            items["code_challenge_method"] = "S256"
        }
        for (k, v) in extra { items[k] = v }
        let pairs = items.compactMap { k, v in v.map { "\(k)=\(OpenIDConnect.formEncode($0))" } }.sorted()
        return "/oauth/authorize?" + pairs.joined(separator: "&")
    }

    /// A member of the org signed in through the login URL's round trip for this query;
    /// returns the code and the member's cookie.
    func code(
        _ t: TestApp, partnerID: String = "u1", extra: [String: String?] = [:], challenge: String? = nil, cookie: String? = nil
    ) async throws -> (code: String, cookie: String) {
        var cookie = cookie
        var r = try await t.send(.GET, authorizeQuery(extra, challenge: challenge), headers: cookie.map { [("Cookie", $0)] } ?? [])
        if r.status == .found, let location = r.headers.first(name: .location), location.hasPrefix(Self.loginURL) {
            let returnTo = try Self.query("return_to", location)
            let token = try await t.token(key: apiKey, partnerID: partnerID)
            let signIn = try await t.send(
                .GET, "/login/sso?token=\(token)&redirect_to=\(OpenIDConnect.formEncode(returnTo))", headers: cookie.map { [("Cookie", $0)] } ?? []
            )
            guard let fresh = t.sessionCookie(signIn), let next = signIn.headers.first(name: .location) else {
                throw TestFailure("sign-in failed: \(signIn.status)")
            }
            cookie = fresh
            r = try await t.send(.GET, String(next.dropFirst(t.portico.config.publicURL.count)), headers: [("Cookie", fresh)])
        }
        guard r.status == .found, let location = r.headers.first(name: .location), location.hasPrefix(Self.redirectURI + "&code=") else {
            throw TestFailure("no code: \(r.status) \(r.headers.first(name: .location) ?? r.text)")
        }
        return (try Self.query("code", location), cookie ?? "")
    }

    /// A form POST to the token or revocation endpoint, as this client (basic by default).
    func post(
        _ t: TestApp, _ path: String, _ form: [(String, String)], auth: Auth = .basic, headers: [(String, String)] = []
    ) async throws -> TestResponse {
        var fields = form
        // `headers` may name its own Content-Type; an Authorization there is sent beside auth's.
        var all = headers.contains { $0.0.lowercased() == "content-type" } ? headers : [("Content-Type", "application/x-www-form-urlencoded")] + headers
        switch auth {
        case .basic: all.append(("Authorization", "Basic " + Data("\(clientID):\(secret ?? "")".utf8).base64EncodedString()))
        case .post: fields += [("client_id", clientID), ("client_secret", secret ?? "")]
        case .none: fields.append(("client_id", clientID))
        case .custom(let id, let secret): all.append(("Authorization", "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()))
        case .nothing: break
        }
        let body = fields.map { "\(OpenIDConnect.formEncode($0.0))=\(OpenIDConnect.formEncode($0.1))" }.joined(separator: "&")
        return try await t.send(.POST, path, body: body, headers: all)
    }

    enum Auth {
        case basic, post, none, nothing
        case custom(String, String)
    }

    func exchange(_ t: TestApp, code: String, verifier: String? = nil, auth: Auth = .basic) async throws -> TestResponse {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.redirectURI)]
        if let verifier { form.append(("code_verifier", verifier)) }
        return try await post(t, "/oauth/token", form, auth: auth)
    }

    func userInfo(_ t: TestApp, _ accessToken: String) async throws -> TestResponse {
        try await t.send(.GET, "/oauth/userinfo", headers: [("Authorization", "Bearer \(accessToken)")])
    }

    static func query(_ name: String, _ url: String) throws -> String {
        guard let value = URLComponents(string: url)?.queryItems?.first(where: { $0.name == name })?.value else {
            throw TestFailure("no \(name) in \(url)")
        }
        return value
    }
}
