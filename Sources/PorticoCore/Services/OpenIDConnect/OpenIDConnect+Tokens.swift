import Foundation
import JWTKit

/// The token endpoint, UserInfo and revocation (SPEC §10): client authentication, what a
/// code or a token comes to, and the claims.
extension OpenIDConnect {
    // MARK: - Errors (RFC 6749 §5.2)

    public struct TokenError: Error, Equatable, Sendable {
        public var error: String
        public var description: String

        public init(_ error: String, _ description: String) {
            self.error = error
            self.description = description
        }

        /// 401 with `WWW-Authenticate: Basic` for a client that did not authenticate; else 400.
        public var status: Int { error == "invalid_client" ? 401 : 400 }

        public static func invalidRequest(_ d: String) -> Self { .init("invalid_request", d) }
        public static func invalidClient(_ d: String) -> Self { .init("invalid_client", d) }
        public static func invalidGrant(_ d: String) -> Self { .init("invalid_grant", d) }
    }

    // MARK: - Client authentication (RFC 6749 §2.3.1)

    public enum AuthMethod: String, Sendable {
        case basic = "client_secret_basic", post = "client_secret_post", none
    }

    public struct Credentials: Sendable, Equatable {
        public var clientID: String
        public var secret: String?
        public var method: AuthMethod
    }

    /// The client's credentials from the `Authorization` header or the form body; more
    /// than one method at once is `invalid_request`.
    public static func credentials(authorization: String?, _ p: Parameters) -> Result<Credentials, TokenError> {
        if let name = p.repeated(among: ["client_id", "client_secret"]) { return .failure(.invalidRequest("\(name) was given more than once")) }
        if let authorization {
            guard authorization.count > 6, authorization.prefix(6).lowercased() == "basic ",
                  let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":"),
                  let id = formDecode(text[..<colon]), let secret = formDecode(text[text.index(after: colon)...])
            else { return .failure(.invalidClient("the Authorization header is not HTTP Basic client credentials")) }
            if p.has("client_secret") { return .failure(.invalidRequest("use one client authentication method, not two")) }
            if let bodyID = p["client_id"], bodyID != id { return .failure(.invalidRequest("client_id differs from the Authorization header")) }
            return .success(Credentials(clientID: id, secret: secret, method: .basic))
        }
        guard let id = p["client_id"] else { return .failure(.invalidClient("no client authentication")) }
        if let secret = p["client_secret"] { return .success(Credentials(clientID: id, secret: secret, method: .post)) }
        return .success(Credentials(clientID: id, secret: nil, method: .none))
    }

    private static func formDecode(_ s: Substring) -> String? {
        String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Whether these credentials authenticate `client` (nil: unknown). A public client
    /// authenticates with its id alone and never with a secret; any other client only with
    /// its own secret (never its launch key `k`, which does not hash to it).
    public static func authenticate(_ credentials: Credentials, client: Client?) -> TokenError? {
        guard let client, client.enabled, client.clientID == credentials.clientID else {
            return .invalidClient("unknown client")
        }
        if client.isPublic {
            return credentials.secret == nil ? nil : .invalidClient("a public client has no secret")
        }
        guard let secret = credentials.secret else { return .invalidClient("client authentication is required") }
        guard let stored = client.secretHash, isSecretShape(secret), Secrets.constantTimeEquals(hash(secret), stored) else {
            return .invalidClient("client authentication failed")
        }
        return nil
    }

    // MARK: - Codes

    /// A code as issued at the authorization endpoint.
    public struct NewCode: Sendable {
        public var id: UUID
        public var codeHash: String
        public var appID: UUID
        public var userID: UUID
        public var sessionID: UUID
        public var request: AuthorizationRequest
        public var authTime: Date
        public var createdAt: Date

        public var expiresAt: Date { createdAt.addingTimeInterval(codeLifetime) }

        public init(code: String, appID: UUID, userID: UUID, sessionID: UUID, request: AuthorizationRequest, authTime: Date, now: Date) {
            self.id = UUID.timeOrdered()
            self.codeHash = hash(code)
            self.appID = appID
            self.userID = userID
            self.sessionID = sessionID
            self.request = request
            self.authTime = authTime
            self.createdAt = now
        }
    }

    /// A code as the token endpoint reads it, with what its redemption depends on.
    public struct StoredCode: Sendable {
        public var id: UUID
        public var appID: UUID
        public var redirectURI: String
        public var codeChallenge: String?
        public var nonce: String?
        public var scope: String
        public var authTime: Date
        public var expiresAt: Date
        public var used: Bool
        /// The member session it was issued in (nil: ended).
        public var sessionExpiresAt: Date?
        public var sessionLastSeenAt: Date?
        /// Its user, if they still exist, with their org's slug.
        public var user: UserRecord?
        public var orgSlug: String?
        /// The user has a subscription in the client's org or a descendant.
        public var entitled: Bool

        public init(
            id: UUID, appID: UUID, redirectURI: String, codeChallenge: String?, nonce: String?, scope: String, authTime: Date,
            expiresAt: Date, used: Bool, sessionExpiresAt: Date?, sessionLastSeenAt: Date?, user: UserRecord?, orgSlug: String?, entitled: Bool
        ) {
            self.id = id
            self.appID = appID
            self.redirectURI = redirectURI
            self.codeChallenge = codeChallenge
            self.nonce = nonce
            self.scope = scope
            self.authTime = authTime
            self.expiresAt = expiresAt
            self.used = used
            self.sessionExpiresAt = sessionExpiresAt
            self.sessionLastSeenAt = sessionLastSeenAt
            self.user = user
            self.orgSlug = orgSlug
            self.entitled = entitled
        }

        /// The member session it was issued in has not ended (signed out, replaced, or past
        /// its lifetimes).
        public func sessionAlive(at now: Date) -> Bool {
            guard let sessionExpiresAt, let sessionLastSeenAt else { return false }
            return sessionExpiresAt > now && now.timeIntervalSince(sessionLastSeenAt) < SignIn.memberIdleLifetime
        }
    }

    /// What tokens are issued for: one sign-in of one user to one client.
    public struct Grant: Sendable {
        public var user: UserRecord
        public var orgSlug: String
        /// The scopes of this access token and ID token.
        public var scopes: [String]
        public var authTime: Date
        public var nonce: String?
        /// The code every token of this sign-in descends from.
        public var familyID: UUID
        /// What the member granted at sign-in, which a refresh token carries (RFC 6749 §6: a
        /// refresh may narrow the access token's scopes, then widen them again up to this).
        public var granted: [String]
    }

    public enum CodeDecision: Sendable {
        case fail(TokenError, revokeFamily: UUID?)
        /// Mark the code used (only if no one else has) and issue.
        case redeem(codeID: UUID, Grant)
    }

    /// `grant_type=authorization_code`, SPEC §10's `invalid_grant` list.
    public static func decide(code: StoredCode?, client: Client, redirectURI: String, verifier: String?, now: Date) -> CodeDecision {
        guard let code, code.appID == client.appID else { return .fail(.invalidGrant("the code is unknown"), revokeFamily: nil) }
        if code.used { return .fail(.invalidGrant("the code was used already; what it issued is revoked"), revokeFamily: code.id) }
        guard code.expiresAt > now else { return .fail(.invalidGrant("the code has expired"), revokeFamily: nil) }
        guard code.redirectURI == redirectURI else { return .fail(.invalidGrant("redirect_uri differs from the authorization request's"), revokeFamily: nil) }
        switch (code.codeChallenge, verifier) {
        case (nil, nil): break
        case (nil, .some): return .fail(.invalidGrant("code_verifier sent for a code without code_challenge"), revokeFamily: nil)
        case (.some, nil): return .fail(.invalidGrant("code_verifier is missing"), revokeFamily: nil)
        case let (.some(challenge), .some(verifier)):
            guard verifierMatches(verifier, challenge: challenge) else { return .fail(.invalidGrant("code_verifier does not match code_challenge"), revokeFamily: nil) }
        }
        guard code.sessionAlive(at: now) else { return .fail(.invalidGrant("the member's session has ended"), revokeFamily: nil) }
        guard let user = code.user, user.isLive(at: now), let orgSlug = code.orgSlug else {
            return .fail(.invalidGrant("the user no longer exists"), revokeFamily: nil)
        }
        guard code.entitled else { return .fail(.invalidGrant("the user is no longer a member of the client's organization"), revokeFamily: nil) }
        let scopes = code.scope.split(separator: " ").map(String.init)
        return .redeem(codeID: code.id, Grant(
            user: user, orgSlug: orgSlug, scopes: scopes, authTime: code.authTime, nonce: code.nonce, familyID: code.id, granted: scopes
        ))
    }

    // MARK: - Tokens

    public enum TokenKind: String, Sendable {
        case access, refresh
    }

    /// A token row as stores write it (the token itself never reaches a store).
    public struct NewToken: Sendable {
        public var id: UUID
        public var tokenHash: String
        public var kind: TokenKind
        public var appID: UUID
        public var userID: UUID
        public var familyID: UUID
        public var scope: String
        public var authTime: Date
        public var createdAt: Date
        public var expiresAt: Date
    }

    /// The tokens one grant issues: an access token, a refresh token with `offline_access`.
    public struct Issued: Sendable {
        public var accessToken: String
        public var refreshToken: String?
        public var rows: [NewToken]
        public var grant: Grant
    }

    public static func issue(_ grant: Grant, client: Client, now: Date) -> Issued {
        func row(_ token: String, _ kind: TokenKind, _ scopes: [String], _ life: TimeInterval) -> NewToken {
            NewToken(
                id: UUID.timeOrdered(), tokenHash: hash(token), kind: kind, appID: client.appID, userID: grant.user.id,
                familyID: grant.familyID, scope: scopes.joined(separator: " "), authTime: grant.authTime, createdAt: now,
                expiresAt: now.addingTimeInterval(life)
            )
        }
        let access = newSecret()
        let refresh = grant.granted.contains("offline_access") ? newSecret() : nil
        var rows = [row(access, .access, grant.scopes, accessTokenLifetime)]
        if let refresh { rows.append(row(refresh, .refresh, grant.granted, refreshTokenLifetime)) }
        return Issued(accessToken: access, refreshToken: refresh, rows: rows, grant: grant)
    }

    /// A token as UserInfo, refresh and revocation read it.
    public struct StoredToken: Sendable {
        public var id: UUID
        public var kind: TokenKind
        public var appID: UUID
        public var appEnabled: Bool
        public var familyID: UUID
        public var scope: String
        public var authTime: Date
        public var expiresAt: Date
        public var rotated: Bool
        public var revoked: Bool
        public var user: UserRecord?
        public var orgSlug: String?

        public init(
            id: UUID, kind: TokenKind, appID: UUID, appEnabled: Bool, familyID: UUID, scope: String, authTime: Date, expiresAt: Date,
            rotated: Bool, revoked: Bool, user: UserRecord?, orgSlug: String?
        ) {
            self.id = id
            self.kind = kind
            self.appID = appID
            self.appEnabled = appEnabled
            self.familyID = familyID
            self.scope = scope
            self.authTime = authTime
            self.expiresAt = expiresAt
            self.rotated = rotated
            self.revoked = revoked
            self.user = user
            self.orgSlug = orgSlug
        }

        public var scopes: [String] { scope.split(separator: " ").map(String.init) }
    }

    public enum RefreshDecision: Sendable {
        case fail(TokenError, revokeFamily: UUID?)
        /// Mark the old refresh token rotated (only if no one else has) and issue.
        case rotate(tokenID: UUID, Grant)
    }

    /// `grant_type=refresh_token`: the token must be this client's live refresh token; a
    /// rotated one presented again revokes its family.
    public static func decideRefresh(
        _ token: StoredToken?, client: Client, requestedScope: String?, entitled: Bool, now: Date
    ) -> RefreshDecision {
        guard let token, token.kind == .refresh, token.appID == client.appID else {
            return .fail(.invalidGrant("the refresh token is unknown"), revokeFamily: nil)
        }
        if token.revoked { return .fail(.invalidGrant("the refresh token is revoked"), revokeFamily: nil) }
        if token.rotated { return .fail(.invalidGrant("the refresh token was used already; its family is revoked"), revokeFamily: token.familyID) }
        guard token.expiresAt > now else { return .fail(.invalidGrant("the refresh token has expired"), revokeFamily: nil) }
        guard let user = token.user, user.isLive(at: now), let orgSlug = token.orgSlug else {
            return .fail(.invalidGrant("the user no longer exists"), revokeFamily: nil)
        }
        guard entitled else { return .fail(.invalidGrant("the user is no longer a member of the client's organization"), revokeFamily: nil) }
        // The refresh token carries the original grant; `scope` narrows this answer's tokens
        // only (omitted: the whole grant), and always keeps `openid`.
        var scopes = token.scopes
        if let requestedScope {
            let requested = Set(requestedScope.split(separator: " ").map(String.init))
            guard requested.isSubset(of: Set(scopes)) else { return .fail(.init("invalid_scope", "scope may only narrow the original grant"), revokeFamily: nil) }
            guard requested.contains("openid") else { return .fail(.init("invalid_scope", "scope must include openid"), revokeFamily: nil) }
            scopes = scopes.filter(requested.contains)
        }
        return .rotate(tokenID: token.id, Grant(
            user: user, orgSlug: orgSlug, scopes: scopes, authTime: token.authTime, nonce: nil, familyID: token.familyID, granted: token.scopes
        ))
    }

    public enum RevocationDecision: Sendable, Equatable {
        case nothing
        case token(UUID)
        case family(UUID)
        case refuse(TokenError)
    }

    /// RFC 7009: unknown or dead tokens are fine (nothing to do); an access token revokes
    /// itself, a refresh token its family; another client's token is refused.
    public static func decideRevocation(_ token: StoredToken?, client: Client) -> RevocationDecision {
        guard let token else { return .nothing }
        guard token.appID == client.appID else { return .refuse(.init("unauthorized_client", "the token was issued to another client")) }
        return token.kind == .access ? .token(token.id) : .family(token.familyID)
    }

    /// UserInfo: the claims of a live access token, or nil (401 `invalid_token`).
    public static func userInfo(_ token: StoredToken?, now: Date) -> UserClaims? {
        guard let token, token.kind == .access, !token.revoked, token.expiresAt > now, token.appEnabled,
              let user = token.user, user.isLive(at: now), let orgSlug = token.orgSlug
        else { return nil }
        return UserClaims(user: user, orgSlug: orgSlug, scopes: token.scopes)
    }

    // MARK: - Claims

    /// `sub` and the claims of the granted scopes (the same in the ID token and UserInfo).
    public struct UserClaims: Codable, Sendable, Equatable {
        public var sub: String
        public var name: String?
        public var givenName: String?
        public var familyName: String?
        public var partnerID: String?
        public var org: String?
        public var email: String?
        public var emailVerified: Bool?

        enum CodingKeys: String, CodingKey {
            case sub, name, org, email
            case givenName = "given_name", familyName = "family_name", partnerID = "partner_id", emailVerified = "email_verified"
        }

        public init(user: UserRecord, orgSlug: String, scopes: [String]) {
            sub = user.id.uuidString.lowercased()
            if scopes.contains("profile") {
                // A name of only spaces is no name.
                func present(_ text: String?) -> String? {
                    text.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
                }
                let given = present(user.firstName)
                let family = present(user.lastName)
                let joined = [given, family].compactMap { $0 }.joined(separator: " ")
                name = joined.isEmpty ? user.partnerID : joined
                givenName = given
                familyName = family
                partnerID = user.partnerID
                org = orgSlug
            }
            if scopes.contains("email"), let address = user.email, !address.isEmpty {
                email = address
                emailVerified = false
            }
        }
    }

    /// The ID token's payload (Core §2, §3.1.3.6): registered claims, then the user's.
    public struct IDToken: JWTPayload, Equatable {
        public var iss: String
        public var sub: String
        public var aud: String
        public var exp: Int
        public var iat: Int
        public var authTime: Int
        public var nonce: String?
        public var azp: String
        public var atHash: String
        public var name: String?
        public var givenName: String?
        public var familyName: String?
        public var partnerID: String?
        public var org: String?
        public var email: String?
        public var emailVerified: Bool?

        enum CodingKeys: String, CodingKey {
            case iss, sub, aud, exp, iat, nonce, azp, name, org, email
            case authTime = "auth_time", atHash = "at_hash", givenName = "given_name", familyName = "family_name"
            case partnerID = "partner_id", emailVerified = "email_verified"
        }

        public init(issuer: String, clientID: String, grant: Grant, accessToken: String, now: Date, includeNonce: Bool) {
            let claims = UserClaims(user: grant.user, orgSlug: grant.orgSlug, scopes: grant.scopes)
            iss = issuer
            sub = claims.sub
            aud = clientID
            iat = Int(now.timeIntervalSince1970)
            exp = iat + Int(idTokenLifetime)
            authTime = Int(grant.authTime.timeIntervalSince1970)
            nonce = includeNonce ? grant.nonce : nil
            azp = clientID
            atHash = OpenIDConnect.atHash(accessToken)
            name = claims.name
            givenName = claims.givenName
            familyName = claims.familyName
            partnerID = claims.partnerID
            org = claims.org
            email = claims.email
            emailVerified = claims.emailVerified
        }

        /// Signature only: callers check `iss`, `aud` and, where it matters, `exp`.
        public func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The token endpoint's success body.
    public struct TokenResponse: Codable, Sendable {
        public var accessToken: String
        public var tokenType = "Bearer"
        public var expiresIn = Int(accessTokenLifetime)
        public var idToken: String
        public var scope: String
        public var refreshToken: String?

        enum CodingKeys: String, CodingKey {
            case scope
            case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in", idToken = "id_token"
            case refreshToken = "refresh_token"
        }
    }

    /// Signs the ID token of `issued` and makes the token endpoint's answer. A refresh's
    /// ID token has no `nonce` (Core §12.2).
    public static func response(
        _ issued: Issued, client: Client, issuer: String, keys: OIDCKeys, now: Date, isRefresh: Bool
    ) async throws -> TokenResponse {
        let idToken = IDToken(issuer: issuer, clientID: client.clientID, grant: issued.grant, accessToken: issued.accessToken, now: now, includeNonce: !isRefresh)
        return TokenResponse(
            accessToken: issued.accessToken, idToken: try await keys.sign(idToken), scope: issued.grant.scopes.joined(separator: " "),
            refreshToken: issued.refreshToken
        )
    }
}
