@testable import App
import Crypto
import Foundation
import JWTKit
import PorticoCore
import Testing
import Vapor

@Suite("OpenID Connect: token endpoint, UserInfo, revocation, logout, keys (SPEC §10)")
struct OIDCTokenTests {
    typealias RP = OIDCRelyingParty

    /// The ID token verified with jwt-kit against the published JWKS (not Portico's own key objects).
    static func verify(_ idToken: String, _ t: TestApp) async throws -> OpenIDConnect.IDToken {
        let jwks = try await t.send(.GET, "/oauth/jwks")
        let keys = try await JWTKeyCollection().add(jwksJSON: jwks.text)
        return try await keys.verify(idToken, as: OpenIDConnect.IDToken.self)
    }

    static func header(_ jwt: String) throws -> [String: Any] {
        let part = try #require(jwt.split(separator: ".").first)
        let data = try #require(Base64URL.decode(String(part)))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a code exchanges once for tokens; the ID token's claims and at_hash check out against the JWKS")
    func exchangeAndClaims() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            _ = try await t.send(.POST, "/api/users/u1", key: rp.apiKey, body: #"{"email":"ann@acme.example","first_name":"Ann","last_name":"Lee"}"#)
            let (code, _) = try await rp.code(t, extra: ["scope": "openid profile email offline_access"])
            let r = try await rp.exchange(t, code: code)
            #expect(r.status == .ok)
            #expect(r.headers.first(name: .cacheControl) == "no-store")
            #expect(r.json["token_type"].string == "Bearer" && r.json["expires_in"].int == 3600)
            #expect(r.json["scope"].string == "openid profile email offline_access")
            let access = try #require(r.json["access_token"].string)
            let refresh = try #require(r.json["refresh_token"].string)
            #expect(OpenIDConnect.isSecretShape(access) && OpenIDConnect.isSecretShape(refresh))
            #expect(try await t.count("oidc_tokens", where: "token_hash = '\(Secrets.sha256Hex(access))'") == 1, "stored hashed")

            let idToken = try #require(r.json["id_token"].string)
            let header = try Self.header(idToken)
            #expect(header["alg"] as? String == "RS256" && header["typ"] as? String == "JWT")
            #expect(header["kid"] as? String == (try await t.send(.GET, "/oauth/jwks")).json["keys"][0]["kid"].string)
            let claims = try await Self.verify(idToken, t)
            let userID = try #require(try await t.sql.raw("SELECT id FROM users WHERE partner_id = 'u1'").first()?.decode(column: "id", as: UUID.self))
            let now = Int(t.clock.now().timeIntervalSince1970)
            #expect(claims.iss == t.portico.config.publicURL)
            #expect(claims.sub == userID.uuidString.lowercased())
            #expect(claims.aud == rp.clientID && claims.azp == rp.clientID)
            #expect(claims.iat == now && claims.exp == now + 3600 && claims.authTime == now)
            #expect(claims.nonce == "n-1")
            #expect(claims.name == "Ann Lee" && claims.givenName == "Ann" && claims.familyName == "Lee")
            #expect(claims.partnerID == "u1" && claims.org == "acme")
            #expect(claims.email == "ann@acme.example" && claims.emailVerified == false)
            // at_hash: left half of SHA-256 of the access token, base64url (computed here).
            let digest = Array(SHA256.hash(data: Data(access.utf8)))
            #expect(claims.atHash == Base64URL.encode(Data(digest[0..<16])))
            // `aud` is a string, not an array.
            let payload = try #require(idToken.split(separator: ".").dropFirst().first)
            let raw = try JSONSerialization.jsonObject(with: try #require(Base64URL.decode(String(payload)))) as? [String: Any]
            #expect(raw?["aud"] is String)

            let info = try await rp.userInfo(t, access)
            #expect(info.status == .ok)
            #expect(info.json["sub"].string == claims.sub && info.json["email"].string == "ann@acme.example")
            #expect(info.json["partner_id"].string == "u1" && info.json["org"].string == "acme" && info.json["name"].string == "Ann Lee")
        }
    }

    @Test("scope decides the claims: openid alone is sub only; no refresh token without offline_access; empty names omitted")
    func scopeClaims() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            _ = try await t.send(.POST, "/api/users/u1", key: rp.apiKey)
            let (code, _) = try await rp.code(t, extra: ["scope": "openid"])
            let r = try await rp.exchange(t, code: code)
            #expect(r.json.keys == ["access_token", "token_type", "expires_in", "id_token", "scope"])
            let info = try await rp.userInfo(t, try #require(r.json["access_token"].string))
            #expect(info.json.keys == ["sub"])
            let (code2, _) = try await rp.code(t, extra: ["scope": "openid profile email"])
            let r2 = try await rp.exchange(t, code: code2)
            let info2 = try await rp.userInfo(t, try #require(r2.json["access_token"].string))
            #expect(info2.json["name"].string == "u1", "no names: the partner_id")
            #expect(!info2.json.keys.contains("given_name") && !info2.json.keys.contains("family_name") && !info2.json.keys.contains("email"))
        }
    }

    @Test("every token error row, with its status and WWW-Authenticate on invalid_client")
    func tokenErrors() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t, launchURL: "https://notes.example/launch")
            let other = try await RP.make(t, slug: "other")
            let (otherOrgRP) = try await RP.make(t, slug: "theirs", orgSlug: "beta")
            let (code, _) = try await rp.code(t)
            let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", RP.redirectURI)]
            func expect(_ r: TestResponse, _ error: String, _ status: HTTPResponseStatus, _ note: String) {
                #expect(r.status == status, "\(note): \(r.text)")
                #expect(r.json["error"].string == error, "\(note)")
                #expect(r.json["error_description"].string?.isEmpty == false, "\(note)")
                #expect(r.headers.first(name: .cacheControl) == "no-store", "\(note)")
                if status == .unauthorized { #expect(r.headers.first(name: .wwwAuthenticate) == #"Basic realm="portico""#, "\(note)") }
            }
            expect(try await rp.post(t, "/oauth/token", form, auth: .nothing), "invalid_client", .unauthorized, "no client")
            expect(try await rp.post(t, "/oauth/token", form, auth: .custom("app_000000000000000000000000", rp.secret!)), "invalid_client", .unauthorized, "unknown")
            // Its first character changed (to one it is not: a secret starting with "x" stayed right).
            let wrongSecret = (rp.secret!.first == "x" ? "y" : "x") + rp.secret!.dropFirst()
            expect(try await rp.post(t, "/oauth/token", form, auth: .custom(rp.clientID, wrongSecret)), "invalid_client", .unauthorized, "wrong secret")
            expect(try await rp.post(t, "/oauth/token", form, auth: .none), "invalid_client", .unauthorized, "confidential without secret")
            expect(try await rp.post(t, "/oauth/token", form, auth: .custom(rp.clientID, other.secret!)), "invalid_client", .unauthorized, "another app's secret")
            expect(try await rp.post(t, "/oauth/token", form, auth: .custom(rp.clientID, otherOrgRP.secret!)), "invalid_client", .unauthorized, "another org's secret")
            expect(try await rp.post(t, "/oauth/token", form, auth: .custom(rp.clientID, rp.launchKey!)), "invalid_client", .unauthorized, "the launch key k")
            expect(try await rp.post(t, "/oauth/token", form + [("client_id", rp.clientID), ("client_secret", rp.launchKey!)], auth: .nothing),
                   "invalid_client", .unauthorized, "k in the body")
            expect(try await rp.post(t, "/oauth/token", form + [("client_secret", rp.secret!)]), "invalid_request", .badRequest, "two methods")
            expect(try await rp.post(t, "/oauth/token", form + [("client_id", other.clientID)]), "invalid_request", .badRequest, "two client ids")
            expect(try await rp.post(t, "/oauth/token", form + [("code", code)]), "invalid_request", .badRequest, "code twice")
            expect(try await rp.post(t, "/oauth/token", [("code", code), ("redirect_uri", RP.redirectURI)]), "invalid_request", .badRequest, "no grant_type")
            expect(try await rp.post(t, "/oauth/token", [("grant_type", "password")]), "unsupported_grant_type", .badRequest, "password grant")
            expect(try await rp.post(t, "/oauth/token", [("grant_type", "authorization_code"), ("redirect_uri", RP.redirectURI)]), "invalid_request", .badRequest, "no code")
            expect(try await rp.post(t, "/oauth/token", [("grant_type", "authorization_code"), ("code", code)]), "invalid_request", .badRequest, "no redirect_uri")
            expect(try await rp.post(t, "/oauth/token", [("grant_type", "authorization_code"), ("code", "nope"), ("redirect_uri", RP.redirectURI)]),
                   "invalid_grant", .badRequest, "unknown code")
            expect(try await rp.post(t, "/oauth/token", [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "https://notes.example/cb")]),
                   "invalid_grant", .badRequest, "redirect_uri differs")
            expect(try await other.exchange(t, code: code), "invalid_grant", .badRequest, "another client's code")
            expect(try await rp.exchange(t, code: code, verifier: RP.pkce().verifier), "invalid_grant", .badRequest, "verifier without challenge")
            let json = try await t.send(.POST, "/oauth/token", body: #"{"grant_type":"authorization_code"}"#)
            expect(json, "invalid_request", .badRequest, "JSON body")
            expect(try await rp.post(t, "/oauth/token", form + [("x", "a\u{0}b")]), "invalid_request", .badRequest, "NUL in the body")
            expect(try await t.send(.POST, "/oauth/token", body: "--b\r\n\r\n--b--", headers: [("Content-Type", "multipart/form-data; boundary=b")]),
                   "invalid_request", .badRequest, "multipart body")
            let basic = "Basic " + Data("\(rp.clientID):\(rp.secret!)".utf8).base64EncodedString()
            expect(try await rp.post(t, "/oauth/token", form, headers: [("Authorization", basic)]), "invalid_request", .badRequest, "two Authorization headers")
            expect(try await t.send(.POST, "/oauth/token?grant_type=authorization_code&code=\(code)", body: "", headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
            ]), "invalid_client", .unauthorized, "parameters in the query are not read")
            // None of the failures used the code: it still exchanges.
            #expect(try await rp.exchange(t, code: code).status == .ok)
            // client_secret_post works too.
            let (code2, _) = try await rp.code(t)
            #expect(try await rp.exchange(t, code: code2, auth: .post).status == .ok)
            // Media types are case-insensitive, parameters allowed; other types are refused.
            let (upperCode, _) = try await rp.code(t)
            let upperForm = [("grant_type", "authorization_code"), ("code", upperCode), ("redirect_uri", RP.redirectURI)]
            expect(try await rp.post(t, "/oauth/token", upperForm, headers: [("Content-Type", "*/*")]), "invalid_request", .badRequest, "*/*")
            let upper = try await rp.post(t, "/oauth/token", upperForm, headers: [("Content-Type", "APPLICATION/X-WWW-FORM-URLENCODED; Charset=UTF-8")])
            #expect(upper.status == .ok, "\(upper.text)")
            // Too many fields: 413 saying so.
            let many = try await rp.post(t, "/oauth/token", upperForm + (0..<1001).map { ("p\($0)", "1") })
            #expect(many.status == .payloadTooLarge && many.json["error_description"].string?.contains("at most 1000 fields") == true)
            #expect(try await t.send(.GET, "/oauth/token").json["error"].string == "invalid_request", "another method: OAuth's JSON")
            // Expired, and a refresh token without offline_access.
            let (code3, _) = try await rp.code(t)
            t.clock.advance(by: 61)
            expect(try await rp.exchange(t, code: code3), "invalid_grant", .badRequest, "expired code")
            expect(try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token")]), "invalid_request", .badRequest, "no refresh_token")
            expect(try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", code)]), "invalid_grant", .badRequest, "a code as refresh token")
            #expect(try await t.send(.GET, "/oauth/token").status == .methodNotAllowed)
        }
    }

    @Test("PKCE: S256 verifier required and checked; a public client authenticates with client_id only and never with a secret")
    func pkce() async throws {
        try await TestApp.run { t in
            let spa = try await RP.make(t, slug: "spa", isPublic: true)
            #expect(spa.secret == nil && spa.launchKey == nil)
            let (verifier, challenge) = RP.pkce()
            let (code, _) = try await spa.code(t, challenge: challenge)
            let missing = try await spa.exchange(t, code: code, auth: .none)
            #expect(missing.status == .badRequest && missing.json["error"].string == "invalid_grant")
            let wrong = try await spa.exchange(t, code: code, verifier: RP.pkce().verifier, auth: .none)
            #expect(wrong.json["error"].string == "invalid_grant")
            let plainVerifier = try await spa.exchange(t, code: code, verifier: challenge, auth: .none)
            #expect(plainVerifier.json["error"].string == "invalid_grant", "the challenge itself is not the verifier")
            let withSecret = try await spa.exchange(t, code: code, verifier: verifier, auth: .custom(spa.clientID, OpenIDConnect.newSecret()))
            #expect(withSecret.status == .unauthorized && withSecret.json["error"].string == "invalid_client")
            let ok = try await spa.exchange(t, code: code, verifier: verifier, auth: .none)
            #expect(ok.status == .ok)
            // A confidential client may use PKCE too, and is then held to it.
            let rp = try await RP.make(t)
            let (c2, _) = try await rp.code(t, challenge: challenge)
            #expect(try await rp.exchange(t, code: c2).json["error"].string == "invalid_grant")
            #expect(try await rp.exchange(t, code: c2, verifier: verifier).status == .ok)
        }
    }

    @Test("a code used twice is refused and revokes the tokens it issued")
    func codeReuse() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (code, _) = try await rp.code(t, extra: ["scope": "openid offline_access"])
            let first = try await rp.exchange(t, code: code)
            let access = try #require(first.json["access_token"].string)
            let refresh = try #require(first.json["refresh_token"].string)
            #expect(try await rp.userInfo(t, access).status == .ok)
            let again = try await rp.exchange(t, code: code)
            #expect(again.status == .badRequest && again.json["error"].string == "invalid_grant")
            let after = try await rp.userInfo(t, access)
            #expect(after.status == .unauthorized)
            #expect(after.headers.first(name: .wwwAuthenticate) == #"Bearer realm="portico", error="invalid_token""#)
            let refreshed = try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
            #expect(refreshed.json["error"].string == "invalid_grant", "the refresh token of the family is revoked too")
        }
    }

    @Test("parallel redemptions of one code: exactly one succeeds")
    func parallelRedemption() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (code, _) = try await rp.code(t)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<12 { group.addTask { try await rp.exchange(t, code: code).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .badRequest }.count == 11)
            #expect(try await t.count("oidc_tokens") == 1, "one access token written")
        }
    }

    @Test("refresh: rotated each use, narrowed scope, no nonce, same auth_time; a rotated token again revokes the family")
    func refreshRotation() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let other = try await RP.make(t, slug: "other")
            let (code, _) = try await rp.code(t, extra: ["scope": "openid email offline_access"])
            let first = try await rp.exchange(t, code: code)
            let firstClaims = try await OIDCTokenTests.verify(try #require(first.json["id_token"].string), t)
            let r1 = try #require(first.json["refresh_token"].string)
            t.clock.advance(by: 600)
            #expect(try await other.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", r1)]).json["error"].string == "invalid_grant",
                    "another client's refresh token")
            let wider = try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", r1), ("scope", "openid profile")])
            #expect(wider.json["error"].string == "invalid_scope")
            let second = try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", r1), ("scope", "openid offline_access")])
            #expect(second.status == .ok)
            #expect(second.json["scope"].string == "openid offline_access")
            let r2 = try #require(second.json["refresh_token"].string)
            #expect(r2 != r1)
            let claims = try await OIDCTokenTests.verify(try #require(second.json["id_token"].string), t)
            #expect(claims.nonce == nil && claims.sub == firstClaims.sub && claims.aud == rp.clientID && claims.azp == rp.clientID)
            #expect(claims.authTime == firstClaims.authTime && claims.iat == firstClaims.iat + 600)
            let access2 = try #require(second.json["access_token"].string)
            #expect(try await rp.userInfo(t, access2).json.keys == ["sub"], "the narrowed scope")
            // The refresh token keeps the original grant: without openid is refused; omitted, the whole grant comes back.
            let noOpenID = try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", r2), ("scope", "offline_access")])
            #expect(noOpenID.json["error"].string == "invalid_scope")
            let third = try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", r2)])
            #expect(third.json["scope"].string == "openid email offline_access")
            let r3 = try #require(third.json["refresh_token"].string)

            // r1 again: refused, and the whole family (r2, both access tokens) is revoked.
            let reuse = try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", r1)])
            #expect(reuse.json["error"].string == "invalid_grant")
            #expect(try await rp.userInfo(t, access2).status == .unauthorized)
            #expect(try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", r3)]).json["error"].string == "invalid_grant")
            #expect(try await t.count("oidc_tokens", where: "revoked_at IS NULL") == 0)
        }
    }

    @Test("UserInfo: Bearer header (GET, POST) or form body, never the query; both at once 400; dead tokens 401 invalid_token")
    func userInfoRules() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (code, _) = try await rp.code(t)
            let access = try #require(try await rp.exchange(t, code: code).json["access_token"].string)
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            #expect(try await t.send(.POST, "/oauth/userinfo", headers: [("Authorization", "Bearer \(access)")]).status == .ok)
            #expect(try await t.send(.POST, "/oauth/userinfo", body: "access_token=\(access)", headers: form).status == .ok)
            let both = try await t.send(.POST, "/oauth/userinfo", body: "access_token=\(access)", headers: form + [("Authorization", "Bearer \(access)")])
            #expect(both.status == .badRequest && both.json["error"].string == "invalid_request")
            for r in [try await t.send(.GET, "/oauth/userinfo?access_token=\(access)"), try await t.send(.GET, "/oauth/userinfo")] {
                #expect(r.status == .unauthorized)
                #expect(r.headers.first(name: .wwwAuthenticate) == #"Bearer realm="portico""#)
            }
            for bad in ["nope", String(repeating: "A", count: 43), "\(access)x"] {
                let r = try await rp.userInfo(t, bad)
                #expect(r.status == .unauthorized && r.headers.first(name: .wwwAuthenticate)?.contains(#"error="invalid_token""#) == true)
            }
            let alsoQuery = try await t.send(.GET, "/oauth/userinfo?access_token=\(access)", headers: [("Authorization", "Bearer \(access)")])
            #expect(alsoQuery.status == .badRequest && alsoQuery.json["error"].string == "invalid_request", "the query beside the header")
            let twice = try await t.send(.GET, "/oauth/userinfo", headers: [("Authorization", "Bearer \(access)"), ("Authorization", "Bearer \(access)")])
            #expect(twice.status == .badRequest && twice.json["error"].string == "invalid_request", "two Authorization headers")
            let nul = try await t.send(.POST, "/oauth/userinfo", body: "access_token=\(access)&x=%00", headers: form)
            #expect(nul.status == .badRequest && nul.json["error"].string == "invalid_request", "NUL in the body: \(nul.status)")
            t.clock.advance(by: 3601)
            #expect(try await rp.userInfo(t, access).status == .unauthorized, "expired")
        }
    }

    @Test("revocation: an access token itself, a refresh token its family; unknown 200; another client's 400 unauthorized_client")
    func revocation() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let other = try await RP.make(t, slug: "other")
            let (c1, _) = try await rp.code(t, extra: ["scope": "openid offline_access"])
            let first = try await rp.exchange(t, code: c1)
            let a1 = try #require(first.json["access_token"].string), r1 = try #require(first.json["refresh_token"].string)
            let (c2, _) = try await rp.code(t, extra: ["scope": "openid offline_access"])
            let a2 = try #require(try await rp.exchange(t, code: c2).json["access_token"].string)

            let refused = try await other.post(t, "/oauth/revoke", [("token", a1)])
            #expect(refused.status == .badRequest && refused.json["error"].string == "unauthorized_client")
            #expect(try await rp.userInfo(t, a1).status == .ok, "nothing revoked")
            #expect(try await rp.post(t, "/oauth/revoke", [("token", "unknown-token")]).status == .ok)
            #expect(try await rp.post(t, "/oauth/revoke", []).json["error"].string == "invalid_request")
            #expect(try await rp.post(t, "/oauth/revoke", [("token", a1)], auth: .custom(rp.clientID, "wrong")).status == .unauthorized)

            let revoked = try await rp.post(t, "/oauth/revoke", [("token", r1), ("token_type_hint", "refresh_token")])
            #expect(revoked.status == .ok && revoked.headers.first(name: .cacheControl) == "no-store")
            #expect(try await rp.userInfo(t, a1).status == .unauthorized, "the family went with its refresh token")
            #expect(try await rp.userInfo(t, a2).status == .ok, "another sign-in's tokens stay")
            #expect(try await rp.post(t, "/oauth/revoke", [("token", a2)]).status == .ok)
            #expect(try await rp.userInfo(t, a2).status == .unauthorized)
            #expect(try await rp.post(t, "/oauth/revoke", [("token", a2)]).status == .ok, "revoking twice is fine")
        }
    }

    @Test("logout: a registered URI with a signed hint gets 302 with state (expiry ignored); otherwise the signed-out page; codes die, tokens survive")
    func logout() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let other = try await RP.make(t, slug: "other")
            let (code, cookie) = try await rp.code(t, extra: ["scope": "openid offline_access"])
            let tokens = try await rp.exchange(t, code: code)
            let idToken = try #require(tokens.json["id_token"].string)
            let refresh = try #require(tokens.json["refresh_token"].string)
            let (pendingCode, _) = try await rp.code(t, cookie: cookie)
            t.clock.advance(by: 7200)  // past the ID token's exp

            let q = "id_token_hint=\(idToken)&post_logout_redirect_uri=\(OpenIDConnect.formEncode(RP.postLogoutURI))&state=s%20x"
            let r = try await t.send(.GET, "/oauth/logout?" + q, headers: [("Cookie", cookie)])
            #expect(r.status == .found)
            #expect(r.headers.first(name: .location) == RP.postLogoutURI + "?state=s%20x")
            #expect(r.headers[.setCookie].contains { $0.hasPrefix("portico_session=;") })
            #expect(try await t.page("/members/dashboard", cookie: cookie).status == .unauthorized, "the session ended")
            #expect(try await rp.exchange(t, code: pendingCode).json["error"].string == "invalid_grant", "unredeemed codes die")
            let refreshed = try await rp.post(t, "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
            #expect(refreshed.status == .ok, "tokens survive")

            for (note, query) in [
                ("unregistered URI", "id_token_hint=\(idToken)&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"),
                ("another client's URI", "id_token_hint=\(idToken)&post_logout_redirect_uri=\(OpenIDConnect.formEncode(other.app.postLogoutRedirectURIs[0]))x"),
                ("no hint", "post_logout_redirect_uri=\(OpenIDConnect.formEncode(RP.postLogoutURI))"),
                ("forged hint", "id_token_hint=\(idToken.dropLast(4))AAAA&post_logout_redirect_uri=\(OpenIDConnect.formEncode(RP.postLogoutURI))"),
                ("garbage hint", "id_token_hint=x.y.z&post_logout_redirect_uri=\(OpenIDConnect.formEncode(RP.postLogoutURI))"),
                ("client_id not the hint's aud", q + "&client_id=\(other.clientID)"),
            ] {
                let page = try await t.send(.GET, "/oauth/logout?" + query)
                #expect(page.status == .ok && page.headers.first(name: .location) == nil, "\(note)")
            }
            let post = try await t.send(.POST, "/oauth/logout", body: q + "&client_id=\(rp.clientID)", headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(post.status == .found, "client_id that is the hint's aud")
            let longState = try await t.send(.GET, "/oauth/logout?" + q.replacingOccurrences(of: "state=s%20x", with: "state=" + String(repeating: "s", count: 4097)))
            #expect(longState.headers.first(name: .location) == RP.postLogoutURI, "a state too long to echo is left out")
        }
    }

    @Test("disabling the app or deleting the user kills codes and tokens; enabling again revives none")
    func disableAndDelete() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (c1, _) = try await rp.code(t)
            let a1 = try #require(try await rp.exchange(t, code: c1).json["access_token"].string)
            let (pending, _) = try await rp.code(t)
            _ = try await PartnerApps.setEnabled(false, org: rp.org, slug: "notes", actor: "t", now: t.clock.now(), store: t.store)
            #expect(try await rp.userInfo(t, a1).status == .unauthorized)
            #expect(try await rp.exchange(t, code: pending).status == .unauthorized, "a disabled app is an unknown client")
            _ = try await PartnerApps.setEnabled(true, org: rp.org, slug: "notes", actor: "t", now: t.clock.now(), store: t.store)
            #expect(try await rp.userInfo(t, a1).status == .unauthorized)
            #expect(try await rp.exchange(t, code: pending).json["error"].string == "invalid_grant")

            let (c2, _) = try await rp.code(t, partnerID: "u2")
            let a2 = try #require(try await rp.exchange(t, code: c2).json["access_token"].string)
            let (c3, _) = try await rp.code(t, partnerID: "u2")
            #expect(try await t.send(.DELETE, "/api/users/u2", key: rp.apiKey).status.code < 300)
            #expect(try await rp.userInfo(t, a2).status == .unauthorized)
            #expect(try await rp.exchange(t, code: c3).json["error"].string == "invalid_grant")
        }
    }

    @Test("rotate-secret kills the old secret at once; k rotation leaves the secret alone")
    func secretRotation() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t, launchURL: "https://notes.example/launch")
            _ = try await PartnerApps.rotateKey(org: rp.org, slug: "notes", actor: "t", now: t.clock.now(), store: t.store)
            let (c1, _) = try await rp.code(t)
            #expect(try await rp.exchange(t, code: c1).status == .ok, "the secret survives rotate-key")
            let (_, newSecret) = try await PartnerApps.rotateSecret(org: rp.org, slug: "notes", actor: "t", now: t.clock.now(), store: t.store)
            let (c2, _) = try await rp.code(t)
            #expect(try await rp.exchange(t, code: c2).status == .unauthorized)
            var rotated = rp
            rotated.secret = newSecret
            #expect(try await rotated.exchange(t, code: c2).status == .ok)
        }
    }

    @Test("key rotation: new tokens use the new key; old tokens stay verifiable for 24 hours, then the old key leaves the JWKS")
    func keyRotation() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t)
            let (c1, _) = try await rp.code(t)
            let old = try #require(try await rp.exchange(t, code: c1).json["id_token"].string)
            let oldKID = try #require(try Self.header(old)["kid"] as? String)
            let (kid, previous) = try await t.portico.oidcKeys.rotate()
            #expect(previous == oldKID && kid != oldKID)
            let jwks = try await t.send(.GET, "/oauth/jwks").json["keys"].array.compactMap { $0["kid"].string }
            #expect(jwks == [kid, oldKID], "current first")
            _ = try await Self.verify(old, t)
            let (c2, _) = try await rp.code(t)
            let new = try #require(try await rp.exchange(t, code: c2).json["id_token"].string)
            #expect(try Self.header(new)["kid"] as? String == kid)
            _ = try await Self.verify(new, t)
            t.clock.advance(by: 86_400 + 11)
            let later = try await t.send(.GET, "/oauth/jwks").json["keys"].array.compactMap { $0["kid"].string }
            #expect(later == [kid])
            await #expect(throws: (any Error).self) { try await Self.verify(old, t) }
            // After PORTICO_SECRET changes, the keys sealed under the old one cannot be read: they
            // leave the JWKS, and a new current key is made under the new secret.
            let stranger = OIDCKeys(configuredSecret: "another-secret-entirely-0123456789", store: t.store, clock: { t.clock.now() })
            let theirs = try await stranger.keySet()
            #expect(theirs.jwks.map(\.kid) == [theirs.current.kid] && theirs.current.kid != kid)
            #expect(try await t.count("oidc_keys", where: "retired_at IS NULL") == 1)
        }
    }

    @Test("instances making the first key at once end with one key, the same for all of them")
    func firstKeyRace() async throws {
        try await TestApp.run { t in
            let secret = t.portico.config.secret
            for round in 0..<5 {
                try await t.sql.raw("DELETE FROM oidc_keys").run()
                let instances = (0..<4).map { _ in OIDCKeys(configuredSecret: secret, store: t.store, clock: { t.clock.now() }) }
                let kids = try await withThrowingTaskGroup(of: [String].self) { group in
                    for keys in instances { group.addTask { try await keys.keySet().jwks.map(\.kid) } }
                    return try await group.reduce(into: [[String]]()) { $0.append($1) }
                }
                #expect(try await t.count("oidc_keys") == 1, "round \(round): one key row")
                #expect(Set(kids).count == 1 && kids.allSatisfy { $0.count == 1 }, "round \(round): \(kids)")
            }
        }
    }
}
