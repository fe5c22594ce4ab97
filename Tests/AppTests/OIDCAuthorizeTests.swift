@testable import App
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("OpenID Connect: discovery, JWKS and the authorization endpoint (SPEC §10)")
struct OIDCAuthorizeTests {
    typealias RP = OIDCRelyingParty

    @Test("discovery names every endpoint under the issuer and the supported values; JWKS publishes public members only")
    func discoveryAndJWKS() async throws {
        try await TestApp.run { t in
            let d = try await t.send(.GET, "/.well-known/openid-configuration")
            #expect(d.status == .ok)
            let issuer = t.portico.config.publicURL
            #expect(d.json["issuer"].string == issuer)
            for (field, path) in [
                ("authorization_endpoint", "/oauth/authorize"), ("token_endpoint", "/oauth/token"), ("userinfo_endpoint", "/oauth/userinfo"),
                ("jwks_uri", "/oauth/jwks"), ("revocation_endpoint", "/oauth/revoke"), ("end_session_endpoint", "/oauth/logout"),
            ] {
                #expect(d.json[field].string == issuer + path, "\(field)")
            }
            #expect(d.json["response_types_supported"].array.compactMap(\.string) == ["code"])
            #expect(d.json["response_modes_supported"].array.compactMap(\.string) == ["query"])
            #expect(d.json["grant_types_supported"].array.compactMap(\.string) == ["authorization_code", "refresh_token"])
            #expect(d.json["subject_types_supported"].array.compactMap(\.string) == ["public"])
            #expect(d.json["id_token_signing_alg_values_supported"].array.compactMap(\.string) == ["RS256"])
            #expect(Set(d.json["scopes_supported"].array.compactMap(\.string)) == ["openid", "profile", "email", "offline_access"])
            for field in ["token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"] {
                #expect(d.json[field].array.compactMap(\.string) == ["client_secret_basic", "client_secret_post", "none"])
            }
            #expect(d.json["code_challenge_methods_supported"].array.compactMap(\.string) == ["S256"])
            #expect(d.json["prompt_values_supported"].array.compactMap(\.string) == ["none", "login"])
            #expect(d.json["authorization_response_iss_parameter_supported"].bool == true)
            for field in ["request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"] {
                #expect(d.json[field].bool == false, "\(field)")
            }
            #expect(Set(d.json["claims_supported"].array.compactMap(\.string)).isSuperset(of: ["sub", "email", "partner_id", "org", "auth_time"]))

            let jwks = try await t.send(.GET, "/oauth/jwks")
            #expect(jwks.status == .ok)
            #expect(jwks.headers.first(name: .cacheControl) == "public, max-age=300")
            let keys = jwks.json["keys"].array
            #expect(keys.count == 1)
            #expect(keys.first?.keys == ["kty", "use", "alg", "kid", "n", "e"], "no private members")
            #expect(keys.first?["kty"].string == "RSA" && keys.first?["use"].string == "sig" && keys.first?["alg"].string == "RS256")
            // kid = RFC 7638 thumbprint of (e, kty, n), computed here from the published values.
            let n = try #require(Base64URL.decode(keys.first?["n"].string ?? "")), e = try #require(Base64URL.decode(keys.first?["e"].string ?? ""))
            #expect(n.count == 256, "RSA 2048")
            #expect(keys.first?["kid"].string == OIDCKeys.thumbprint(n: n, e: e))
            // At rest the private key is sealed: the stored value is neither PEM nor DER in clear.
            let row = try #require(try await t.sql.raw("SELECT sealed_private_key FROM oidc_keys").first())
            let sealed = try row.decode(column: "sealed_private_key", as: String.self)
            #expect(!sealed.contains("PRIVATE KEY"))
            #expect(!(Data(base64Encoded: sealed).map { $0.starts(with: [0x30, 0x82]) } ?? true), "not a DER SEQUENCE in clear")
        }
    }

    @Test("step 1: unknown or disabled client, missing, unregistered or repeated redirect_uri give a 400 page, never a redirect")
    func pageErrors() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let cases: [(String, String)] = [
                ("no client_id", rp.authorizeQuery(["client_id": nil])),
                ("unknown client", rp.authorizeQuery(["client_id": "app_000000000000000000000000"])),
                ("malformed client", rp.authorizeQuery(["client_id": "notes"])),
                ("no redirect_uri", rp.authorizeQuery(["redirect_uri": nil])),
                ("unregistered", rp.authorizeQuery(["redirect_uri": "https://evil.example/cb"])),
                ("registered without its query", rp.authorizeQuery(["redirect_uri": "https://notes.example/cb"])),
                ("another port", rp.authorizeQuery(["redirect_uri": "https://notes.example:444/cb?from=portico"])),
                ("redirect twice", rp.authorizeQuery() + "&redirect_uri=" + OpenIDConnect.formEncode(RP.redirectURI)),
                ("client twice", rp.authorizeQuery() + "&client_id=" + rp.clientID),
                ("client twice, once empty", rp.authorizeQuery() + "&client_id="),
                ("a name that is not URL encoding", rp.authorizeQuery() + "&x%zz=1"),
                ("client_id not URL encoding", rp.authorizeQuery(["client_id": nil]) + "&client_id=%zz"),
                ("redirect_uri not UTF-8", rp.authorizeQuery(["redirect_uri": nil]) + "&redirect_uri=%C3%28"),
            ]
            for (name, path) in cases {
                let r = try await t.send(.GET, path)
                #expect(r.status == .badRequest, "\(name)")
                #expect(r.headers.first(name: .location) == nil, "\(name): no redirect")
                #expect(!r.text.contains("notes.example") && !r.text.contains("evil.example"), "\(name): no link to the URI")
                #expect(r.headers.first(name: .contentType)?.contains("text/html") == true)
            }
            _ = try await PartnerApps.setEnabled(false, org: rp.org, slug: "notes", actor: "t", now: t.clock.now(), store: t.store)
            let disabled = try await t.send(.GET, rp.authorizeQuery())
            #expect(disabled.status == .badRequest && disabled.headers.first(name: .location) == nil)
        }
    }

    @Test("step 2: every error row goes back to the redirect URI with error, error_description, state and iss")
    func redirectErrors() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let publicRP = try await RP.make(t, slug: "spa", isPublic: true)
            let (_, challenge) = RP.pkce()
            let cases: [(String, OIDCRelyingParty, String)] = [
                ("unsupported_response_type", rp, rp.authorizeQuery(["response_type": "token"])),
                ("invalid_request", rp, rp.authorizeQuery(["response_type": nil])),
                ("invalid_request", rp, rp.authorizeQuery() + "&scope=openid"),
                ("invalid_request", rp, rp.authorizeQuery(["response_mode": "fragment"])),
                ("invalid_request", rp, rp.authorizeQuery(["response_mode": "form_post"])),
                ("invalid_request", rp, rp.authorizeQuery(["prompt": "consent"])),
                ("invalid_request", rp, rp.authorizeQuery(["prompt": "none login"])),
                ("invalid_request", rp, rp.authorizeQuery(["max_age": "-1"])),
                ("invalid_request", rp, rp.authorizeQuery(["max_age": "1.5"])),
                ("invalid_request", rp, rp.authorizeQuery(["max_age": "+3"])),
                ("invalid_request", rp, rp.authorizeQuery(["code_challenge": challenge])),  // no method: plain
                ("invalid_request", rp, rp.authorizeQuery(["code_challenge": challenge, "code_challenge_method": "plain"])),
                ("invalid_request", rp, rp.authorizeQuery(["code_challenge": "short", "code_challenge_method": "S256"])),
                ("invalid_request", rp, rp.authorizeQuery(["code_challenge": String(repeating: "a", count: 42) + "=", "code_challenge_method": "S256"])),
                ("invalid_request", publicRP, publicRP.authorizeQuery()),  // public client without PKCE
                ("invalid_scope", rp, rp.authorizeQuery(["scope": "profile email"])),
                ("invalid_scope", rp, rp.authorizeQuery(["scope": nil])),
                ("request_not_supported", rp, rp.authorizeQuery(["request": "eyJ.x.y"])),
                ("request_uri_not_supported", rp, rp.authorizeQuery(["request_uri": "https://notes.example/r"])),
                ("registration_not_supported", rp, rp.authorizeQuery(["registration": "{}"])),
                ("invalid_request", rp, rp.authorizeQuery(["nonce": "n\u{0}"])),
                ("invalid_request", rp, rp.authorizeQuery(["nonce": String(repeating: "n", count: 4097)])),
                ("invalid_request", rp, rp.authorizeQuery() + "&max_age=%FF"),  // another parameter's value not UTF-8
                ("invalid_request", rp, rp.authorizeQuery() + "&scope="),  // twice, once empty
            ]
            for (error, _, path) in cases {
                let r = try await t.send(.GET, path)
                #expect(r.status == .found, "\(error) \(path)")
                let location = try #require(r.headers.first(name: .location), "\(path)")
                #expect(location.hasPrefix(RP.redirectURI + "&"), "registered query kept, parameters appended: \(location)")
                #expect(try RP.query("error", location) == error, "\(path)")
                #expect(try !RP.query("error_description", location).isEmpty)
                #expect(try RP.query("state", location) == "st-1")
                #expect(try RP.query("iss", location) == t.portico.config.publicURL)
                #expect(r.headers.first(name: .cacheControl) == "no-store")
            }
            // A state that is refused is not sent back either (too long, control characters, not UTF-8).
            for query in [
                rp.authorizeQuery(["state": String(repeating: "s", count: 4097)]), rp.authorizeQuery(["state": "a\u{1}b"]),
                rp.authorizeQuery(["state": nil]) + "&state=%FF%FE",
            ] {
                let refused = try await t.send(.GET, query)
                let location = try #require(refused.headers.first(name: .location))
                #expect(try RP.query("error", location) == "invalid_request", "\(location)")
                #expect(URLComponents(string: location)?.queryItems?.contains { $0.name == "state" } == false, "\(location)")
            }
            // Without state, none is sent back.
            let r = try await t.send(.GET, rp.authorizeQuery(["response_type": "token", "state": nil]))
            #expect(try RP.query("error", r.headers.first(name: .location) ?? "") == "unsupported_response_type")
            #expect(URLComponents(string: r.headers.first(name: .location) ?? "")?.queryItems?.contains { $0.name == "state" } == false)
            // Unknown scopes are dropped, not refused; the grant says which were kept.
            let (code, _) = try await rp.code(t, extra: ["scope": "openid frobnicate email"])
            let token = try await rp.exchange(t, code: code)
            #expect(token.json["scope"].string == "openid email")
            // A huge max_age is an integer all the same.
            let huge = try await t.send(.GET, rp.authorizeQuery(["max_age": "99999999999999999999999"]))
            #expect(huge.headers.first(name: .location)?.hasPrefix(RP.loginURL) == true)
        }
    }

    @Test("step 3: no session → pending authorization at the org's login_url; after /login/sso the resume path issues the code once")
    func pendingResume() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let r = try await t.send(.GET, rp.authorizeQuery())
            #expect(r.status == .found)
            let location = try #require(r.headers.first(name: .location))
            #expect(location.hasPrefix(RP.loginURL + "?return_to="))
            let returnTo = try RP.query("return_to", location)
            #expect(returnTo.hasPrefix("/oauth/authorize/resume?request_id="))
            let requestID = try RP.query("request_id", "https://x" + returnTo)
            #expect(try await t.count("oidc_pending_authorizations", where: "request_hash = '\(Secrets.sha256Hex(requestID))'") == 1, "stored hashed")

            // At the resume path without a fresh sign-in: back to the login URL, same request.
            let early = try await t.send(.GET, returnTo)
            #expect(early.status == .found && early.headers.first(name: .location) == location)

            let token = try await t.token(key: rp.apiKey, partnerID: "u1")
            let signIn = try await t.send(.GET, "/login/sso?token=\(token)&redirect_to=\(OpenIDConnect.formEncode(returnTo))")
            #expect(signIn.headers.first(name: .location) == t.portico.config.publicURL + returnTo)
            let cookie = try #require(t.sessionCookie(signIn))
            let done = try await t.send(.GET, returnTo, headers: [("Cookie", cookie)])
            #expect(done.status == .found)
            let callback = try #require(done.headers.first(name: .location))
            #expect(callback.hasPrefix(RP.redirectURI + "&code="))
            #expect(try RP.query("state", callback) == "st-1" && RP.query("iss", callback) == t.portico.config.publicURL)
            #expect(OpenIDConnect.isSecretShape(try RP.query("code", callback)))
            #expect(done.headers.first(name: .cacheControl) == "no-store")
            #expect(try await t.count("audit_entries", where: "action = 'oidc.authorized' AND target = '\(rp.clientID)' AND actor = 'user:u1'") == 1)

            // Used, unknown, or expired: a 400 page.
            #expect(try await t.send(.GET, returnTo, headers: [("Cookie", cookie)]).status == .badRequest)
            #expect(try await t.send(.GET, "/oauth/authorize/resume?request_id=nope").status == .badRequest)
            #expect(try await t.send(.GET, "/oauth/authorize/resume").status == .badRequest)
            let again = try await t.send(.GET, rp.authorizeQuery(["prompt": "login"]), headers: [("Cookie", cookie)])
            let expiring = try RP.query("return_to", again.headers.first(name: .location) ?? "")
            t.clock.advance(by: 601)
            #expect(try await t.send(.GET, expiring, headers: [("Cookie", cookie)]).status == .badRequest)
        }
    }

    @Test("step 3 without a login_url anywhere up the tree: a 401 page; a child org uses its parent's")
    func loginURLLineage() async throws {
        try await TestApp.run { t in
            let (parent, _) = try await t.org("uni", returnHosts: ["uni.example"])
            _ = parent
            let child = try await RP.make(t, orgSlug: "dept", parent: "uni")
            // `make` set dept's login URL; clear it and find none, then the parent's.
            _ = try await Organizations.update(slug: "dept", settings: .init(loginURL: .some(nil)), actor: "t", now: t.clock.now(), store: t.store)
            let none = try await t.send(.GET, child.authorizeQuery())
            #expect(none.status == .unauthorized && none.headers.first(name: .location) == nil)
            _ = try await Organizations.update(slug: "uni", settings: .init(loginURL: "https://uni.example/sso"), actor: "t", now: t.clock.now(), store: t.store)
            let up = try await t.send(.GET, child.authorizeQuery())
            #expect(up.status == .found && up.headers.first(name: .location)?.hasPrefix("https://uni.example/sso?return_to=") == true)
            // A login URL whose host is not allowed is refused when it is set, and not
            // followed if it is stored all the same (an ancestor's hosts changed under it).
            await #expect(throws: PorticoError.self) {
                try await Organizations.update(slug: "uni", settings: .init(loginURL: "https://elsewhere.example/sso"), actor: "t", now: t.clock.now(), store: t.store)
            }
            try await t.sql.raw("UPDATE organizations SET login_url = 'https://elsewhere.example/sso' WHERE slug = 'uni'").run()
            #expect(try await t.send(.GET, child.authorizeQuery()).status == .unauthorized)
        }
    }

    @Test("prompt=none without a session → login_required; with one → a code at once")
    func promptNone() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let r = try await t.send(.GET, rp.authorizeQuery(["prompt": "none"]))
            #expect(r.status == .found)
            #expect(try RP.query("error", r.headers.first(name: .location) ?? "") == "login_required")
            #expect(try await t.count("oidc_pending_authorizations") == 0, "nothing pending for prompt=none")
            let (_, cookie) = try await rp.code(t)
            let silent = try await t.send(.GET, rp.authorizeQuery(["prompt": "none"]), headers: [("Cookie", cookie)])
            #expect(silent.headers.first(name: .location)?.hasPrefix(RP.redirectURI + "&code=") == true)
        }
    }

    @Test("prompt=login and max_age force a fresh sign-in; auth_time moves forward with it")
    func freshSignIn() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            func authTime(_ code: String) async throws -> Int {
                let r = try await rp.exchange(t, code: code)
                let payload = try #require(r.json["id_token"].string?.split(separator: ".").dropFirst().first)
                let json = try JSONSerialization.jsonObject(with: try #require(Base64URL.decode(String(payload)))) as? [String: Any]
                return try #require(json?["auth_time"] as? Int)
            }
            let (first, cookie) = try await rp.code(t)
            let firstTime = try await authTime(first)
            #expect(firstTime == Int(t.clock.now().timeIntervalSince1970))

            t.clock.advance(by: 120)
            // Within max_age: the same session, the same auth_time.
            let (within, same) = try await rp.code(t, extra: ["max_age": "300"], cookie: cookie)
            #expect(same == cookie)
            #expect(try await authTime(within) == firstTime)
            // Past max_age, max_age=0 and prompt=login each go through the login URL again.
            for extra in [["max_age": "60"], ["max_age": "0"], ["prompt": "login"]] as [[String: String?]] {
                let r = try await t.send(.GET, rp.authorizeQuery(extra), headers: [("Cookie", cookie)])
                #expect(r.headers.first(name: .location)?.hasPrefix(RP.loginURL) == true, "\(extra)")
            }
            t.clock.advance(by: 30)
            let (fresh, newCookie) = try await rp.code(t, extra: ["prompt": "login"], cookie: cookie)
            #expect(newCookie != cookie, "a new session")
            #expect(try await authTime(fresh) == firstTime + 150)
        }
    }

    @Test("a member whose org is not the client's (or a descendant) → access_denied; a parent org's app admits a child org's member")
    func accessDenied() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (_, otherKey) = try await t.org("other")
            let (_, cookie) = try await rp.code(t)
            // Signed in as another org's member in this browser.
            let stranger = try await t.member(key: otherKey, partnerID: "x1")
            let r = try await t.send(.GET, rp.authorizeQuery(), headers: [("Cookie", stranger)])
            #expect(try RP.query("error", r.headers.first(name: .location) ?? "") == "access_denied")
            #expect(try RP.query("state", r.headers.first(name: .location) ?? "") == "st-1")
            _ = cookie

            // A member of child org `kids` (its own users) and an app of the parent `acme`.
            let (_, kidsKey) = try await t.org("kids", parent: "acme")
            let kid = try await t.member(key: kidsKey, partnerID: "k1")
            let ok = try await t.send(.GET, rp.authorizeQuery(), headers: [("Cookie", kid)])
            #expect(ok.headers.first(name: .location)?.hasPrefix(RP.redirectURI + "&code=") == true)
            // An app of the child does not admit the parent's member.
            let kidsApp = try await RP.make(t, slug: "kidsapp", orgSlug: "kids")
            let (_, parentMember) = try await rp.code(t, partnerID: "p1")
            let denied = try await t.send(.GET, kidsApp.authorizeQuery(), headers: [("Cookie", parentMember)])
            #expect(try RP.query("error", denied.headers.first(name: .location) ?? "") == "access_denied")
        }
    }

    @Test("HEAD on the authorization, resume and logout paths changes nothing: 405, no code, session kept")
    func headChangesNothing() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (code, cookie) = try await rp.code(t)
            for path in [rp.authorizeQuery(), "/oauth/authorize/resume?request_id=x", "/oauth/logout"] {
                let r = try await t.send(.HEAD, path, headers: [("Cookie", cookie)])
                #expect(r.status == .methodNotAllowed, "\(path)")
                #expect(r.headers.first(name: .location) == nil)
                #expect(r.headers.first(name: .allow) == "GET, POST")
            }
            // Only the one code the GET issued exists, and the session still signs in.
            #expect(try await t.sql.raw("SELECT COUNT(*) AS n FROM oidc_codes").first()?.decode(column: "n", as: Int.self) == 1)
            let again = try await t.send(.GET, rp.authorizeQuery(), headers: [("Cookie", cookie)])
            #expect(again.headers.first(name: .location)?.hasPrefix(RP.redirectURI + "&code=") == true)
            #expect(try await rp.exchange(t, code: code).status == .ok)
        }
    }

    @Test("a pending authorization counts against the client address's failure budget; a NUL in a POST is the handler's to judge")
    func pendingBudgetAndNUL() async throws {
        try await TestApp.run(adjust: { $0.failureLimit = .init(perSecond: 0.001, burst: 3) }) { t in
            let rp = try await RP.make(t)
            for _ in 0..<3 {
                let r = try await t.send(.GET, rp.authorizeQuery(), from: "203.0.113.9")
                #expect(r.status == .found && r.headers.first(name: .location)?.hasPrefix(RP.loginURL) == true)
            }
            let refused = try await t.send(.GET, rp.authorizeQuery(), from: "203.0.113.9")
            #expect(refused.status == .tooManyRequests && refused.headers.first(name: .retryAfter) != nil)
            #expect(try await t.count("oidc_pending_authorizations") == 3)
            #expect(try await t.send(.GET, rp.authorizeQuery(), from: "203.0.113.10").status == .found, "another address has its own budget")

            let (_, cookie) = try await rp.code(t)
            let form = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie)]
            let body = String(rp.authorizeQuery(["state": nil]).dropFirst("/oauth/authorize?".count))
            let nulState = try await t.send(.POST, "/oauth/authorize", body: body + "&state=s%00", headers: form)
            let refusedState = try #require(nulState.headers.first(name: .location))
            #expect(try RP.query("error", refusedState) == "invalid_request")
            #expect(URLComponents(string: refusedState)?.queryItems?.contains { $0.name == "state" } == false)
            let nulElsewhere = try await t.send(.POST, "/oauth/authorize", body: body + "&x=%00", headers: form)
            #expect(nulElsewhere.headers.first(name: .location)?.hasPrefix(RP.redirectURI + "&code=") == true, "an unknown parameter is ignored")
            let logout = try await t.send(.POST, "/oauth/logout", body: "state=%00", headers: form)
            #expect(logout.status == .ok)
            #expect(try await t.page("/members/dashboard", cookie: cookie).status == .unauthorized, "the session ended")
        }
    }

    @Test("POST /oauth/authorize takes the form body; hostile values never give a 5xx")
    func postAndHostileInput() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (_, cookie) = try await rp.code(t)
            let body = String(rp.authorizeQuery().dropFirst("/oauth/authorize?".count))
            let r = try await t.send(.POST, "/oauth/authorize", body: body, headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie),
            ])
            #expect(r.status == .found && r.headers.first(name: .location)?.hasPrefix(RP.redirectURI + "&code=") == true)
            for (name, value) in [
                ("state", "a\r\nSet-Cookie: x=1"), ("state", String(repeating: "s", count: 5000)), ("nonce", "\u{0}"),
                ("max_age", "9223372036854775808"), ("scope", "openid\u{0}"), ("prompt", ""), ("client_id", "app_\u{0}"),
                ("redirect_uri", RP.redirectURI + "\r\n"), ("code_challenge", String(repeating: "%", count: 43)),
            ] {
                let hostile = try await t.send(.GET, rp.authorizeQuery([name: value]), headers: [("Cookie", cookie)])
                #expect(hostile.status.code < 500, "\(name): \(hostile.text.prefix(200))")
                for header in hostile.headers where header.value.contains("\r") || header.value.contains("\n") {
                    Issue.record("control characters in \(header.name)")
                }
            }
        }
    }
}
