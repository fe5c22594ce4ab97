import Crypto
import Foundation
import JWTKit

/// Portico as an OpenID Provider for its partner apps (SPEC §10): the rules, in one
/// place. Handlers read parameters and answer; stores read and write rows; what a
/// request, a code or a token comes to is decided here.
public enum OpenIDConnect {
    public static let codeLifetime: TimeInterval = 60
    public static let accessTokenLifetime: TimeInterval = 3600
    public static let refreshTokenLifetime: TimeInterval = 30 * 86400
    public static let idTokenLifetime: TimeInterval = 3600
    public static let pendingLifetime: TimeInterval = 600

    /// In the order a granted scope is written back.
    public static let supportedScopes = ["openid", "profile", "email", "offline_access"]
    public static let claimsSupported = [
        "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash",
        "name", "given_name", "family_name", "partner_id", "org", "email", "email_verified",
    ]

    // MARK: - Secrets: codes, tokens, client secrets, request ids

    /// 256 random bits as 43 base64url characters.
    public static func newSecret() -> String { Base64URL.encode(Data(Secrets.randomBytes(32))) }

    /// Whether `text` has the shape of `newSecret()` (43 base64url characters).
    public static func isSecretShape(_ text: String) -> Bool {
        text.utf8.count == 43 && isBase64URL(text)
    }

    static func isBase64URL(_ text: String) -> Bool {
        text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
    }

    /// RFC 3986 unreserved: letters, digits, `-._~`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 46 || byte == 95 || byte == 126
    }

    /// The stored form of a code, token, client secret or request id.
    public static func hash(_ secret: String) -> String { Secrets.sha256Hex(secret) }

    // MARK: - Clients

    /// A partner app as a client, as the token endpoint and the authorization request read it.
    public struct Client: Sendable, Equatable {
        public var appID: UUID
        public var orgID: UUID
        public var clientID: String
        public var secretHash: String?
        public var redirectURIs: [String]
        public var postLogoutRedirectURIs: [String]
        public var isPublic: Bool
        public var enabled: Bool

        public init(
            appID: UUID, orgID: UUID, clientID: String, secretHash: String?, redirectURIs: [String],
            postLogoutRedirectURIs: [String], isPublic: Bool, enabled: Bool
        ) {
            self.appID = appID
            self.orgID = orgID
            self.clientID = clientID
            self.secretHash = secretHash
            self.redirectURIs = redirectURIs
            self.postLogoutRedirectURIs = postLogoutRedirectURIs
            self.isPublic = isPublic
            self.enabled = enabled
        }
    }

    /// `client_id` has the shape of one (`app_` and 24 lowercase hex characters).
    public static func isClientIDShape(_ text: String) -> Bool {
        text.utf8.count == 28 && text.hasPrefix("app_") && text.utf8.dropFirst(4).allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// A redirect or post-logout redirect URI that may be registered: https, or http on
    /// `127.0.0.1`, `[::1]` or `localhost`; no fragment, no userinfo, nothing unclean.
    public static func isValidRedirectURI(_ uri: String) -> Bool {
        guard uri.utf8.count <= maxRedirectURIBytes, uri.unicodeScalars.allSatisfy(\.isASCII), SafeText.isCleanURL(uri), !uri.contains("#"),
              uri.removingPercentEncoding != nil,  // every % starts a valid escape, and they decode to UTF-8
              let c = URLComponents(string: uri), let scheme = c.scheme, scheme == "https" || scheme == "http",
              c.percentEncodedUser == nil, c.percentEncodedPassword == nil, c.fragment == nil,
              let host = c.percentEncodedHost, isRedirectHost(host), c.port.map({ (1...65535).contains($0) }) ?? true,
              !c.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." })
        else { return false }
        if let query = c.percentEncodedQuery {
            // A registered query is kept and the response's parameters appended: it may not
            // hold one of them, nor be undecodable.
            let registered = Parameters(formEncoded: query)
            guard !registered.malformed, registered.names.isDisjoint(with: responseParameterNames) else { return false }
        }
        return scheme == "https" || ["127.0.0.1", "[::1]", "localhost"].contains(host)
    }

    /// A DNS name of letters, digits, `-` and `.` (no empty label, no trailing dot), or an
    /// IP address literal (`[…]` for IPv6).
    static func isRedirectHost(_ host: String) -> Bool {
        if host.hasPrefix("[") {
            return host.hasSuffix("]") && IPAddress(String(host.dropFirst().dropLast())).map { !$0.isIPv4 } == true
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !host.isEmpty && host.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 }
        }
    }

    /// The longest redirect or post-logout redirect URI an app may register.
    public static let maxRedirectURIBytes = 2048

    /// What Portico adds to a redirect URI's query (RFC 6749 §4.1.2, RFC 9207, Core §5.2 of logout).
    public static let responseParameterNames: Set<String> = ["code", "state", "iss", "error", "error_description", "error_uri"]

    public static func decodeList(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    public static func encodeList(_ list: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
    }

    // MARK: - Parameters

    /// Form- or query-encoded parameters, every value of each name kept (a name given
    /// twice is an error in OAuth). A parameter sent without a value counts as not sent
    /// (RFC 6749 §3.1).
    public struct Parameters: Sendable {
        /// Every non-empty value of each name.
        public private(set) var values: [String: [String]] = [:]
        /// How many times each name was sent, empty values included: a parameter sent
        /// twice is an error even when one of the two is empty.
        private var counts: [String: Int] = [:]
        /// The text was not valid percent-encoding (or not UTF-8).
        public private(set) var malformed = false
        /// The names whose value did not decode (nil when a name itself did not).
        public private(set) var malformedNames: Set<String>? = []

        public init(_ pairs: [(String, String)]) {
            for (name, value) in pairs {
                counts[name, default: 0] += 1
                if !value.isEmpty { values[name, default: []].append(value) }
            }
        }

        /// `a=1&b=2` (a query or an `application/x-www-form-urlencoded` body).
        public init(formEncoded text: String) {
            var pairs: [(String, String)] = []
            var malformedNames: Set<String>? = []
            for part in text.split(separator: "&", omittingEmptySubsequences: true) {
                let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ s: Substring) -> String? { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
                guard let name = decode(pieces[0]) else {
                    malformedNames = nil
                    continue
                }
                guard let value = pieces.count > 1 ? decode(pieces[1]) : "" else {
                    malformedNames?.insert(name)
                    continue
                }
                pairs.append((name, value))
            }
            self.init(pairs)
            self.malformedNames = malformedNames
            self.malformed = malformedNames?.isEmpty != true
        }

        /// The value of `name`; a parameter sent without a value counts as not sent (RFC 6749 §3.1).
        public subscript(_ name: String) -> String? { values[name]?.first }

        /// The first name, of `names`, given more than once.
        public func repeated(among names: [String]? = nil) -> String? {
            (names ?? counts.keys.sorted()).first { (counts[$0] ?? 0) > 1 }
        }

        public func has(_ name: String) -> Bool { values[name] != nil }

        /// Every name sent, with or without a value.
        public var names: Set<String> { Set(counts.keys) }

        public var isEmpty: Bool { values.isEmpty }
    }

    // MARK: - The authorization request (SPEC §10, in the order of Core §3.1.2.2)

    public enum Prompt: String, Codable, Sendable {
        case none, login
    }

    /// A request that passed every check that does not depend on who is signed in; kept
    /// as the pending authorization while the member signs in.
    public struct AuthorizationRequest: Codable, Sendable, Equatable {
        public var clientID: String
        public var redirectURI: String
        public var scopes: [String]
        public var state: String?
        public var nonce: String?
        public var codeChallenge: String?
        public var prompt: Prompt?
        public var maxAge: Int?

        public init(
            clientID: String, redirectURI: String, scopes: [String], state: String?, nonce: String?, codeChallenge: String?,
            prompt: Prompt?, maxAge: Int?
        ) {
            self.clientID = clientID
            self.redirectURI = redirectURI
            self.scopes = scopes
            self.state = state
            self.nonce = nonce
            self.codeChallenge = codeChallenge
            self.prompt = prompt
            self.maxAge = maxAge
        }

        public var scope: String { scopes.joined(separator: " ") }
    }

    /// Step 1's failures: a 400 page, never a redirect.
    public enum PageError: Error, Equatable, Sendable {
        case missingClientID, unknownClient, missingRedirectURI, unregisteredRedirectURI, repeated(String), malformed

        public var message: String {
            switch self {
            case .missingClientID: "The request names no client (client_id is missing)."
            case .unknownClient: "The request names a client that does not exist or is disabled."
            case .missingRedirectURI: "The request has no redirect_uri."
            case .unregisteredRedirectURI: "The redirect_uri is not registered for this client."
            case .repeated(let name): "The parameter \(name) was given more than once."
            case .malformed: "The request's parameters are not valid URL encoding."
            }
        }
    }

    /// Step 2's failures: sent back to the client's redirect URI.
    public struct AuthorizationError: Error, Equatable, Sendable {
        public var error: String
        public var description: String

        public init(_ error: String, _ description: String) {
            self.error = error
            self.description = description
        }

        static func invalidRequest(_ description: String) -> Self { .init("invalid_request", description) }
    }

    /// The longest `state` or `nonce` kept and sent back.
    public static let maxEchoedBytes = 4096

    /// `value` if it may be sent back to the client (a `state`, a `nonce`): at most
    /// `maxEchoedBytes`, no control character. A refused one is never echoed.
    public static func echoable(_ value: String?) -> String? {
        guard let value, value.utf8.count <= maxEchoedBytes, !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else { return nil }
        return value
    }

    /// Step 1, before any lookup: the client_id and redirect_uri as sent.
    public static func clientAndRedirect(_ p: Parameters) -> Result<(clientID: String, redirectURI: String), PageError> {
        if p.malformedNames.map({ !$0.isDisjoint(with: ["client_id", "redirect_uri"]) }) ?? true { return .failure(.malformed) }
        if let name = p.repeated(among: ["client_id", "redirect_uri"]) { return .failure(.repeated(name)) }
        guard let clientID = p["client_id"] else { return .failure(.missingClientID) }
        guard let redirectURI = p["redirect_uri"] else { return .failure(.missingRedirectURI) }
        return .success((clientID, redirectURI))
    }

    /// Step 1 with the client as stored (nil: unknown).
    public static func checkClient(_ client: Client?, redirectURI: String) -> PageError? {
        guard let client, client.enabled else { return .unknownClient }
        guard client.redirectURIs.contains(redirectURI) else { return .unregisteredRedirectURI }
        return nil
    }

    /// Step 2: everything about the request itself, in the table's order.
    public static func validate(_ p: Parameters, client: Client, redirectURI: String) -> Result<AuthorizationRequest, AuthorizationError> {
        if let name = p.malformedNames?.sorted().first { return .failure(.invalidRequest("the parameter \(name) is not valid URL encoding")) }
        if let name = p.repeated() { return .failure(.invalidRequest("the parameter \(name) was given more than once")) }
        guard let responseType = p["response_type"] else { return .failure(.invalidRequest("response_type is missing")) }
        guard responseType == "code" else { return .failure(.init("unsupported_response_type", "only response_type=code is supported")) }
        if let mode = p["response_mode"], mode != "query" { return .failure(.invalidRequest("only response_mode=query is supported")) }
        for name in ["state", "nonce"] where p[name] != nil && echoable(p[name]) == nil {
            return .failure(.invalidRequest("\(name) must be at most \(maxEchoedBytes) bytes, without control characters"))
        }
        var prompt: Prompt?
        if let raw = p["prompt"] {
            let values = raw.split(separator: " ").map(String.init)
            guard !values.isEmpty, values.allSatisfy({ Prompt(rawValue: $0) != nil }) else {
                return .failure(.invalidRequest("prompt may be none or login"))
            }
            if values.contains("none") && values.count > 1 { return .failure(.invalidRequest("prompt=none cannot be combined with another value")) }
            prompt = values.contains("login") ? Prompt.login : Prompt.none
        }
        var maxAge: Int?
        if let raw = p["max_age"] {
            guard !raw.isEmpty, raw.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return .failure(.invalidRequest("max_age must be a non-negative integer"))
            }
            maxAge = Int(raw) ?? Int.max  // more seconds than fit: no limit in practice
        }
        let challenge = p["code_challenge"]
        let method = p["code_challenge_method"]
        if challenge != nil || method != nil {
            guard let method else { return .failure(.invalidRequest("code_challenge_method must be S256 (plain is not supported)")) }
            guard method == "S256" else { return .failure(.invalidRequest("code_challenge_method must be S256")) }
            guard let challenge, isSecretShape(challenge) else {
                return .failure(.invalidRequest("code_challenge must be 43 base64url characters"))
            }
        }
        if client.isPublic && challenge == nil { return .failure(.invalidRequest("a public client must use PKCE (code_challenge)")) }
        let requested = (p["scope"] ?? "").split(separator: " ").map(String.init)
        guard requested.contains("openid") else { return .failure(.init("invalid_scope", "scope must include openid")) }
        for (name, error) in [("request", "request_not_supported"), ("request_uri", "request_uri_not_supported"), ("registration", "registration_not_supported")]
        where p.has(name) {
            return .failure(.init(error, "the \(name) parameter is not supported"))
        }
        return .success(AuthorizationRequest(
            clientID: client.clientID, redirectURI: redirectURI, scopes: supportedScopes.filter(requested.contains),
            state: p["state"], nonce: p["nonce"], codeChallenge: challenge, prompt: prompt, maxAge: maxAge
        ))
    }

    /// Step 3: whether the member must sign in (again) before a code is issued, given the
    /// session of the browser (nil: none). A request resumed after sign-in does not ask
    /// again: its session began after the pending authorization (`resumedSince`).
    public static func needsSignIn(_ request: AuthorizationRequest, sessionCreatedAt: Date?, resumedSince: Date?, now: Date) -> Bool {
        guard let authTime = sessionCreatedAt else { return true }
        if let resumedSince { return authTime < resumedSince }
        if request.prompt == .login { return true }
        if let maxAge = request.maxAge, maxAge == 0 || now.timeIntervalSince(authTime) > Double(maxAge) { return true }
        return false
    }

    /// `uri` with the response parameters added to the query it already has.
    public static func redirect(_ uri: String, adding parameters: [(String, String?)]) -> String {
        let query = parameters.compactMap { name, value in value.map { "\(name)=\(formEncode($0))" } }.joined(separator: "&")
        guard !query.isEmpty else { return uri }
        // A fragment (an org's login URL may have one) stays last.
        let base = uri.firstIndex(of: "#").map { uri[..<$0] } ?? uri[...]
        let fragment = uri[base.endIndex...]
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return String(base) + separator + query + String(fragment)
    }

    /// Percent-encodes all but RFC 3986's unreserved characters.
    public static func formEncode(_ value: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    // MARK: - PKCE (RFC 7636, S256 only)

    /// BASE64URL(SHA256(verifier)) == challenge, for a verifier of 43–128 unreserved characters.
    public static func verifierMatches(_ verifier: String, challenge: String) -> Bool {
        guard (43...128).contains(verifier.utf8.count),
              verifier.utf8.allSatisfy({ isUnreserved($0) })
        else { return false }
        let computed = Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
        return Secrets.constantTimeEquals(computed, challenge)
    }

    /// Core §3.1.3.6: the left half of SHA-256 of the access token, base64url.
    public static func atHash(_ accessToken: String) -> String {
        Base64URL.encode(Data(Data(SHA256.hash(data: Data(accessToken.utf8))).prefix(16)))
    }
}
