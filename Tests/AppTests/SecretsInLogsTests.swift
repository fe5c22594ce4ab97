@testable import App
import Foundation
import NIOConcurrencyHelpers
import PorticoCore
import Testing
import Vapor

/// Every log call of an app, written both ways an operator can have it: the text line
/// (through the `EscapingLogHandler`, as the stream handler would print it) and the JSON
/// line (`LOG_FORMAT=json`).
final class LogCapture: Sendable {
    private let box = NIOLockedValueBox<[String]>([])

    var lines: [String] { box.withLockedValue { $0 } }

    func append(_ line: String) { box.withLockedValue { $0.append(line) } }

    func handler(label: String) -> any LogHandler {
        MultiplexLogHandler([
            EscapingLogHandler(wrapped: TextLines(label: label, capture: self)),
            JSONLogHandler(label: label, level: .trace) { [self] in self.append($0) },
        ])
    }

    /// The names of the secrets that appear in any line, with the first such line.
    func leaks(of secrets: [String: String], from start: Int = 0) -> [String: String] {
        let lines = self.lines.dropFirst(start)
        var found: [String: String] = [:]
        for (name, value) in secrets {
            if let line = lines.first(where: { $0.contains(value) }) { found[name] = line }
        }
        return found
    }

    /// The stream handler's line: level, label, every metadata value, source, message.
    struct TextLines: LogHandler {
        let label: String
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level) \(label): \(fields) [\(event.source)] \(event.message)\n")
        }
    }
}

/// Requests over a real connection to the app's HTTP server (so the server's own
/// decoding and connection handling log as in production); redirects are not followed.
final class LiveClient: Sendable {
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: .init(redirectConfiguration: .disallow))
    let base: String
    private let sent = NIOLockedValueBox(0)

    init(port: Int) { base = "http://127.0.0.1:\(port)" }

    var requestCount: Int { sent.withLockedValue { $0 } }

    func send(
        _ method: HTTPMethod, _ path: String, bearer: String? = nil, cookie: String? = nil, json: String? = nil,
        form: [(String, String)]? = nil, headers: [(String, String)] = []
    ) async throws -> TestResponse {
        var all = HTTPHeaders(headers)
        if let bearer { all.add(name: .authorization, value: "Bearer \(bearer)") }
        if let cookie { all.add(name: .cookie, value: cookie) }
        var body: String?
        if let json {
            all.contentType = .json
            body = json
        } else if let form {
            all.contentType = .urlEncodedForm
            body = form.map { "\(AdminBrowser.encode($0.0))=\(AdminBrowser.encode($0.1))" }.joined(separator: "&")
        }
        let request = try HTTPClient.Request(url: base + path, method: method, headers: all, body: body.map { .string($0) })
        sent.withLockedValue { $0 += 1 }
        let response = try await client.execute(request: request).get()
        return TestResponse(status: response.status, headers: response.headers, body: response.body.map { Data($0.readableBytesView) } ?? Data())
    }

    /// `name=value` of a `Set-Cookie` the response sets (not a clearing one).
    static func cookie(_ name: String, in response: TestResponse) -> String? {
        guard let header = response.headers[.setCookie].first(where: { $0.hasPrefix(name + "=") }) else { return nil }
        let pair = String(header.split(separator: ";")[0])
        return pair == name + "=" ? nil : pair
    }

    func shutdown() async throws { try await client.shutdown() }
}

@Suite("SecretsInLogsTests")
struct SecretsInLogsTests {
    /// Names every secret the flow handles, with its value (the cookie's value only).
    final class KeptSecrets: Sendable {
        private let box = NIOLockedValueBox<[String: String]>([:])
        var all: [String: String] { box.withLockedValue { $0 } }

        /// Keeps a secret (and its SHA-256, as stored: a logged hash would mean SQL bind
        /// values reach the log); returns it.
        @discardableResult
        func keep(_ name: String, _ value: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let value = try #require(value, "\(name) missing", sourceLocation: sourceLocation)
            #expect(value.count >= 16, "\(name) is too short to search for: \(value)", sourceLocation: sourceLocation)
            box.withLockedValue {
                $0[name] = value
                $0[name + " (sha256)"] = Secrets.sha256Hex(value)
            }
            return value
        }

        /// Keeps the value of a `name=value` cookie pair.
        @discardableResult
        func keepCookie(_ name: String, _ pair: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let pair = try #require(pair, "\(name) cookie missing", sourceLocation: sourceLocation)
            try keep(name, String(pair.split(separator: "=", maxSplits: 1)[1]), sourceLocation: sourceLocation)
            return pair
        }
    }

    static func csrf(in page: TestResponse) throws -> String {
        let range = try #require(page.text.range(of: "name=\"csrf_token\" value=\""), "no csrf_token in \(page.status)")
        return String(page.text[range.upperBound...].prefix(32))
    }

    static func query(_ name: String, in location: String) -> String? {
        URLComponents(string: location)?.queryItems?.first { $0.name == name }?.value
    }

    @Test("a full flow at LOG_LEVEL=trace logs none of its keys, tokens, passwords, codes, session ids or CSRF tokens")
    func fullFlow() async throws {
        let capture = LogCapture()
        let rootSecret = "root-" + PorticoCore.Secrets.alphanumeric(count: 40)
        try await TestApp.run(adjust: { config in
            config.logLevel = .trace
            config.secret = rootSecret
        }, prepare: { app in
            app.logger = Logger(label: "portico") { capture.handler(label: $0) }
        }) { t in
            let secrets = KeptSecrets()
            try secrets.keep("PORTICO_SECRET", rootSecret)
            let (org, firstKey) = try await t.org("acme")
            try secrets.keep("API key (created by the CLI path)", firstKey)
            let email = "ops@acme.example"
            let password = try secrets.keep("admin password", "pw-" + PorticoCore.Secrets.alphanumeric(count: 24))
            _ = try await Credentials.createAdmin(
                org: org, email: email, passwordHash: try Bcrypt.hash(password, cost: 4), permissions: nil,
                actor: "t", now: t.clock.now(), store: t.store
            )

            try await t.app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(t.app.http.server.shared.localAddress?.port)
            let live = LiveClient(port: port)
            do {
                try await flow(live, secrets: secrets, email: email, password: password)
            } catch {
                try? await live.shutdown()
                await t.app.server.shutdown()
                throw error
            }
            try await live.shutdown()
            await t.app.server.shutdown()

            // The capture is the app's: every request logged through it, one access line each.
            let accessLines = capture.lines.filter { $0.hasPrefix("{") && $0.contains(#""route":"#) }
            #expect(accessLines.count == live.requestCount, "one access line per request, all through the captured logger")
            #expect(accessLines.allSatisfy { $0.contains(#""request_id":"#) })
            #expect(capture.lines.count >= 2 * live.requestCount, "text and JSON lines of each request")

            let all = secrets.all
            #expect(all.count >= 2 * 25, "the flow kept every secret it met")
            let leaks = capture.leaks(of: all)
            #expect(leaks.isEmpty, "secrets in the log: \(leaks.keys.sorted()): \(leaks.values.first ?? "")")

            // Self-check: a secret logged through the same capture (in a nested metadata
            // value, on a request-style logger) is found, in both formats.
            let before = capture.lines.count
            let apiKey = try #require(all["API key (admin area)"])
            var requestLogger = t.app.logger
            requestLogger[metadataKey: "request-id"] = "self-check"
            requestLogger.debug("self-check", metadata: ["nested": .dictionary(["deep": .array([.string("x\(apiKey)y")])])])
            let found = capture.leaks(of: all, from: before)
            #expect(Set(found.keys) == ["API key (admin area)"], "the check detects a logged secret")
            #expect(capture.lines.dropFirst(before).count == 2)
            #expect(capture.lines.dropFirst(before).allSatisfy { $0.contains(apiKey) })
        }
    }

    /// Keys, users, SSO redemption, launch codes, webhook keys, admin sign-in and the SSO
    /// API, each secret kept as it is met; failures (wrong password, unknown key, used
    /// code) too, since refusals are where presented values get logged.
    func flow(_ live: LiveClient, secrets: KeptSecrets, email: String, password: String) async throws {
        // Admin sign-in through the form (double-submit CSRF), with one wrong password first.
        let form = try await live.send(.GET, "/login/admin")
        #expect(form.status == .ok)
        let loginCookie = try secrets.keepCookie("admin sign-in CSRF cookie", LiveClient.cookie(AdminLoginCSRF.cookie, in: form))
        try secrets.keep("admin sign-in CSRF field", try Self.csrf(in: form))
        let loginCSRF = try Self.csrf(in: form)
        let wrongPassword = try secrets.keep("wrong admin password", "wrong-" + PorticoCore.Secrets.alphanumeric(count: 20))
        let refused = try await live.send(.POST, "/login/admin", cookie: loginCookie,
                                          form: [("email", email), ("password", wrongPassword), ("csrf_token", loginCSRF)])
        #expect(refused.status == .unauthorized)
        let signedIn = try await live.send(.POST, "/login/admin", cookie: loginCookie,
                                           form: [("email", email), ("password", password), ("csrf_token", loginCSRF)])
        #expect(signedIn.status == .seeOther)
        let admin = try secrets.keepCookie("admin session id", LiveClient.cookie(AdminCookie.name, in: signedIn))
        let adminPage = try await live.send(.GET, "/admin", cookie: admin)
        #expect(adminPage.status == .ok)
        let adminCSRF = try secrets.keep("admin CSRF token", try Self.csrf(in: adminPage))

        // An API key and a partner app (its key k) from the admin area.
        let keyPage = try await live.send(.POST, "/admin/keys", cookie: admin, form: [("name", "LMS"), ("csrf_token", adminCSRF)])
        #expect(keyPage.status == .ok)
        let apiKey = try secrets.keep("API key (admin area)", try AdminAppsTests.secret(in: keyPage))
        let appPage = try await live.send(.POST, "/admin/apps", cookie: admin, form: [
            ("slug", "tutor"), ("name", "Tutor"), ("launch_url", "https://partner.example/start"), ("csrf_token", adminCSRF),
        ])
        #expect(appPage.status == .ok)
        let appKey = try secrets.keep("partner app key k", try AdminAppsTests.secret(in: appPage))

        // Users through the Partner API (both Authorization forms), and an unknown key.
        let created = try await live.send(.POST, "/api/users/u1", bearer: apiKey, json: #"{"first_name":"Ann"}"#)
        #expect(created.status == .ok || created.status == .created)
        let token = try secrets.keep("SSO token (u1)", created.json["user"]["token"]["token"].string)
        let subscriptionID = try #require(created.json["user"]["subscription_id"].string)
        let second = try await live.send(.POST, "/api/users/u2", headers: [("Authorization", "Token token=\"\(apiKey)\"")])
        try secrets.keep("SSO token (u2)", second.json["user"]["token"]["token"].string)
        let unknownKey = try secrets.keep("unknown API key", PorticoCore.Secrets.hex())
        #expect(try await live.send(.GET, "/api/users/u1", bearer: unknownKey).status == .unauthorized)

        // SSO redemption: the member's session and CSRF token; the used token again.
        let redeemed = try await live.send(.GET, "/login/sso?token=\(token)")
        #expect(redeemed.status == .seeOther)
        let member = try secrets.keepCookie("member session id", LiveClient.cookie(MemberCookie.name, in: redeemed))
        let interviews = try await live.send(.GET, "/members/interviews", cookie: member)
        try secrets.keep("member CSRF token", try Self.csrf(in: interviews))
        _ = try await live.send(.GET, "/login/sso?token=\(token)")

        // Launch codes: from the Partner API and from /launch/{slug}, exchanged with k;
        // a used code and an unknown k are refused.
        let issued = try await live.send(.POST, "/api/users/u1/launch-codes", bearer: apiKey, json: #"{"app":"tutor"}"#)
        #expect(issued.status == .ok)
        let code = try secrets.keep("launch code (Partner API)", issued.json["code"].string)
        let exchanged = try await live.send(.GET, "/jsp/api/getUserId?t=\(code)&k=\(appKey)")
        #expect(exchanged.status == .ok && exchanged.json["username"].string == "u1")
        #expect(try await live.send(.GET, "/jsp/api/getUserId?t=\(code)&k=\(appKey)").status != .ok)
        let launched = try await live.send(.GET, "/launch/tutor", cookie: member)
        #expect(launched.status == .seeOther)
        let browserCode = try secrets.keep("launch code (/launch)", Self.query("t", in: launched.headers.first(name: .location) ?? ""))
        #expect(try await live.send(.GET, "/jsp/api/getUserId/?t=\(browserCode)&k=\(appKey)").status == .ok)
        let unknownAppKey = try secrets.keep("unknown partner app key", PorticoCore.Secrets.hex())
        #expect(try await live.send(.GET, "/jsp/api/getUserId?t=\(browserCode)&k=\(unknownAppKey)").status != .ok)

        // A webhook's signing key, rotated (both keys in both forms).
        let webhook = try await live.send(.POST, "/api/webhooks", bearer: apiKey, json: #"{"url":"https://hooks.example.com/in"}"#)
        #expect(webhook.status == .created)
        let webhookKey = try secrets.keep("webhook key", webhook.json["webhook"]["key"].string)
        try secrets.keep("webhook key (whsec_)", "whsec_" + Data(webhookKey.utf8).base64EncodedString())
        let webhookID = try #require(webhook.json["webhook"]["id"].string)
        let rotated = try await live.send(.POST, "/api/webhooks/\(webhookID)/rotate-key", bearer: apiKey)
        #expect(rotated.status == .ok)
        let rotatedKey = try secrets.keep("rotated webhook key", rotated.json["webhook"]["key"].string)
        try secrets.keep("rotated webhook key (whsec_)", "whsec_" + Data(rotatedKey.utf8).base64EncodedString())

        // SSO API: Authenticate (JSON and form; one wrong password), ValidateAccessToken,
        // SignIn (in two letter cases) and the sign-in URL it returns, redeemed.
        let authenticated = try await live.send(.POST, "/api/v1/AdminApi/Authenticate",
                                                json: #"{"username":"\#(email)","password":"\#(password)","grant_type":"password"}"#)
        #expect(authenticated.status == .ok)
        let accessToken = try secrets.keep("SSO API access token", authenticated.json["access_token"].string)
        let formAuthenticated = try await live.send(.POST, "/api/v1/AdminApi/Authenticate",
                                                    form: [("username", email), ("password", password), ("grant_type", "password")])
        let formToken = try secrets.keep("SSO API access token (form)", formAuthenticated.json["access_token"].string)
        let wrongAPIPassword = try secrets.keep("wrong SSO API password", "wrong-" + PorticoCore.Secrets.alphanumeric(count: 20))
        let refusedAPI = try await live.send(.POST, "/api/v1/AdminApi/Authenticate",
                                             form: [("username", email), ("password", wrongAPIPassword), ("grant_type", "password")])
        #expect(refusedAPI.status == .forbidden)
        #expect(try await live.send(.GET, "/api/v1/AdminApi/ValidateAccessToken?access_token=\(accessToken)").status == .ok)
        let ssoSignIn = try await live.send(.POST, "/api/v1/SsoApi/SignIn?access_token=\(accessToken)",
                                            json: #"{"subscription_id":"\#(subscriptionID)"}"#)
        #expect(ssoSignIn.status == .ok)
        let signInToken = try secrets.keep("SSO API SignIn token", ssoSignIn.json["access_token"].string)
        let signInURL = try #require(ssoSignIn.json["url"].string)
        #expect(signInURL.contains(signInToken))
        let lowercase = try await live.send(.POST, "/api/v1/ssoapi/signin?access_token=\(formToken)",
                                            json: #"{"subscription_id":"\#(subscriptionID)"}"#)
        #expect(lowercase.status == .ok)
        try secrets.keep("SSO API SignIn token (lowercase path)", lowercase.json["access_token"].string)
        let viaAPI = try await live.send(.GET, "/login/sso?token=\(signInToken)")
        #expect(viaAPI.status == .seeOther)
        let apiMember = try secrets.keepCookie("member session id (SSO API)", LiveClient.cookie(MemberCookie.name, in: viaAPI))

        // Sign-outs.
        _ = try await live.send(.GET, "/logout", cookie: apiMember)
        _ = try await live.send(.POST, "/admin/logout", cookie: admin, form: [("csrf_token", adminCSRF)])
    }
}
