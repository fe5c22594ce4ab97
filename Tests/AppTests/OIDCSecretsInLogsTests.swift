@testable import App
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("OpenID Connect secrets stay out of the log")
struct OIDCSecretsInLogsTests {
    typealias RP = OIDCRelyingParty

    @Test("at LOG_LEVEL=trace no client secret, request id, code, verifier, token or id_token_hint is logged, refusals included")
    func oidcFlow() async throws {
        let capture = LogCapture()
        try await TestApp.run(adjust: { $0.logLevel = .trace }, prepare: { app in
            app.logger = Logger(label: "portico") { capture.handler(label: $0) }
        }) { t in
            let secrets = SecretsInLogsTests.KeptSecrets()
            let rp = try await RP.make(t, launchURL: "https://notes.example/launch")
            try secrets.keep("client secret", rp.secret)
            try secrets.keep("launch key k", rp.launchKey)
            try secrets.keep("API key", rp.apiKey)
            try await t.app.server.start(address: .hostname("127.0.0.1", port: 0))
            let live = LiveClient(port: try #require(t.app.http.server.shared.localAddress?.port))
            do {
                try await flow(live, rp: rp, secrets: secrets)
            } catch {
                try? await live.shutdown()
                await t.app.server.shutdown()
                throw error
            }
            try await live.shutdown()
            await t.app.server.shutdown()

            let all = secrets.all
            #expect(all.count >= 2 * 12, "the flow kept every secret it met")
            #expect(capture.lines.count >= 2 * live.requestCount, "the requests logged through the capture")
            let leaks = capture.leaks(of: all)
            #expect(leaks.isEmpty, "secrets in the log: \(leaks.keys.sorted()): \(leaks.values.first ?? "")")
        }
    }

    func flow(_ live: LiveClient, rp: RP, secrets: SecretsInLogsTests.KeptSecrets) async throws {
        let (verifier, challenge) = RP.pkce()
        try secrets.keep("PKCE verifier", verifier)
        let state = try secrets.keep("state", "state-" + Secrets.hex(byteCount: 12))
        let nonce = try secrets.keep("nonce", "nonce-" + Secrets.hex(byteCount: 12))
        let start = try await live.send(.GET, rp.authorizeQuery(["state": state, "nonce": nonce, "scope": "openid email offline_access"], challenge: challenge))
        let returnTo = try RP.query("return_to", try #require(start.headers.first(name: .location)))
        try secrets.keep("pending request id", try RP.query("request_id", "https://x" + returnTo))

        let created = try await live.send(.POST, "/api/users/u1", bearer: rp.apiKey, json: "{}")
        let ssoToken = try secrets.keep("SSO token", created.json["user"]["token"]["token"].string)
        let signIn = try await live.send(.GET, "/login/sso?token=\(ssoToken)&redirect_to=\(OpenIDConnect.formEncode(returnTo))")
        let cookie = try secrets.keepCookie("member session", LiveClient.cookie("portico_session", in: signIn))
        let resumed = try await live.send(.GET, returnTo, cookie: cookie)
        let code = try secrets.keep("code", try RP.query("code", try #require(resumed.headers.first(name: .location))))

        let basic = "Basic " + Data("\(rp.clientID):\(rp.secret!)".utf8).base64EncodedString()
        let wrong = "Basic " + Data("\(rp.clientID):\(rp.launchKey!)".utf8).base64EncodedString()
        let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", RP.redirectURI), ("code_verifier", verifier)]
        #expect(try await live.send(.POST, "/oauth/token", form: form, headers: [("Authorization", wrong)]).status == .unauthorized)
        let tokens = try await live.send(.POST, "/oauth/token", form: form, headers: [("Authorization", basic)])
        #expect(tokens.status == .ok)
        try secrets.keep("access token", tokens.json["access_token"].string)
        try secrets.keep("refresh token", tokens.json["refresh_token"].string)
        let idToken = try secrets.keep("ID token (id_token_hint)", tokens.json["id_token"].string)
        #expect(try await live.send(.POST, "/oauth/token", form: form, headers: [("Authorization", basic)]).status == .badRequest, "reuse revokes them")

        let again = try await live.send(.GET, rp.authorizeQuery(["scope": "openid offline_access"]), cookie: cookie)
        let code2 = try secrets.keep("second code", try RP.query("code", try #require(again.headers.first(name: .location))))
        let second = try await live.send(.POST, "/oauth/token", form: [
            ("grant_type", "authorization_code"), ("code", code2), ("redirect_uri", RP.redirectURI), ("client_id", rp.clientID),
            ("client_secret", rp.secret!),
        ])
        let refresh = try secrets.keep("second refresh token", second.json["refresh_token"].string)
        let access = try secrets.keep("second access token", second.json["access_token"].string)
        #expect(try await live.send(.GET, "/oauth/userinfo", bearer: access).status == .ok)
        #expect(try await live.send(.POST, "/oauth/userinfo", form: [("access_token", access)]).status == .ok)
        #expect(try await live.send(.GET, "/oauth/userinfo?access_token=\(access)").status == .unauthorized)
        let rotated = try await live.send(.POST, "/oauth/token", form: [("grant_type", "refresh_token"), ("refresh_token", refresh)], headers: [("Authorization", basic)])
        let refresh2 = try secrets.keep("rotated refresh token", rotated.json["refresh_token"].string)
        try secrets.keep("rotated access token", rotated.json["access_token"].string)
        #expect(try await live.send(.POST, "/oauth/token", form: [("grant_type", "refresh_token"), ("refresh_token", refresh)], headers: [("Authorization", basic)])
            .status == .badRequest, "refresh reuse")
        #expect(try await live.send(.POST, "/oauth/revoke", form: [("token", refresh2)], headers: [("Authorization", basic)]).status == .ok)
        let logout = try await live.send(
            .GET, "/oauth/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=\(OpenIDConnect.formEncode(RP.postLogoutURI))&state=\(state)", cookie: cookie
        )
        #expect(logout.status == .found)
    }
}
