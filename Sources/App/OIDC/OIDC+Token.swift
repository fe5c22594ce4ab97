import Foundation
import JWTKit
import PorticoCore
import Vapor

/// The token endpoint, UserInfo, revocation and RP-initiated logout (SPEC §10).
extension OIDC {
    /// `POST /oauth/token`.
    static func token(req: Request) async throws -> Response {
        let p: OpenIDConnect.Parameters
        switch formBody(req) {
        case .failure(let e): return error(e)
        case .success(let body): p = body
        }
        let client: OpenIDConnect.Client
        switch try await authenticatedClient(req, p) {
        case .failure(let e): return error(e)
        case .success(let c): client = c
        }
        switch p["grant_type"] {
        case nil: return error(.invalidRequest("grant_type is missing"))
        case "authorization_code": return try await redeemCode(p, client: client, req: req)
        case "refresh_token": return try await refresh(p, client: client, req: req)
        default: return error(.init("unsupported_grant_type", "grant_type may be authorization_code or refresh_token"))
        }
    }

    private static func redeemCode(_ p: OpenIDConnect.Parameters, client: OpenIDConnect.Client, req: Request) async throws -> Response {
        let portico = req.portico
        let now = portico.clock.now()
        guard let code = p["code"] else { return error(.invalidRequest("code is missing")) }
        guard let redirectURI = p["redirect_uri"] else { return error(.invalidRequest("redirect_uri is missing")) }
        let stored = OpenIDConnect.isSecretShape(code) ? try await portico.hotPaths.oidcCode(hash: OpenIDConnect.hash(code)) : nil
        switch OpenIDConnect.decide(code: stored, client: client, redirectURI: redirectURI, verifier: p["code_verifier"], now: now) {
        case .fail(let e, let family):
            if let family { try await portico.hotPaths.revokeOIDCFamily(family, now: now) }
            return error(e)
        case .redeem(let codeID, let grant):
            let issued = OpenIDConnect.issue(grant, client: client, now: now)
            guard try await portico.hotPaths.redeemOIDCCode(id: codeID, now: now, tokens: issued.rows) else {
                // Used by a parallel request since it was read: a used code, as above.
                try await portico.hotPaths.revokeOIDCFamily(codeID, now: now)
                return error(.invalidGrant("the code was used already; what it issued is revoked"))
            }
            return try await tokenResponse(issued, client: client, req: req, now: now, isRefresh: false)
        }
    }

    private static func refresh(_ p: OpenIDConnect.Parameters, client: OpenIDConnect.Client, req: Request) async throws -> Response {
        let portico = req.portico
        let now = portico.clock.now()
        guard let token = p["refresh_token"] else { return error(.invalidRequest("refresh_token is missing")) }
        let stored = OpenIDConnect.isSecretShape(token) ? try await portico.hotPaths.oidcToken(hash: OpenIDConnect.hash(token)) : nil
        let entitled: Bool = if let user = stored?.user {
            try await OIDCGrants.isEntitled(userID: user.id, orgID: client.orgID, on: portico.store.sql)
        } else { false }
        switch OpenIDConnect.decideRefresh(stored, client: client, requestedScope: p["scope"], entitled: entitled, now: now) {
        case .fail(let e, let family):
            if let family { try await portico.hotPaths.revokeOIDCFamily(family, now: now) }
            return error(e)
        case .rotate(let tokenID, let grant):
            let issued = OpenIDConnect.issue(grant, client: client, now: now)
            guard try await OIDCGrants.rotate(refreshTokenID: tokenID, now: now, tokens: issued.rows, store: portico.store) else {
                try await portico.hotPaths.revokeOIDCFamily(grant.familyID, now: now)
                return error(.invalidGrant("the refresh token was used already; its family is revoked"))
            }
            return try await tokenResponse(issued, client: client, req: req, now: now, isRefresh: true)
        }
    }

    private static func tokenResponse(
        _ issued: OpenIDConnect.Issued, client: OpenIDConnect.Client, req: Request, now: Date, isRefresh: Bool
    ) async throws -> Response {
        let portico = req.portico
        let body = try await OpenIDConnect.response(
            issued, client: client, issuer: portico.config.publicURL, keys: portico.oidcKeys, now: now, isRefresh: isRefresh
        )
        return try json(body)
    }

    // MARK: - UserInfo

    /// `GET|POST /oauth/userinfo`: the token in `Authorization: Bearer`, or (POST) in the
    /// form field `access_token`; never in the query.
    static func userInfo(req: Request) async throws -> Response {
        let portico = req.portico
        if req.headers[.authorization].count > 1 { return bearerError(.badRequest, "invalid_request", "send one Authorization header") }
        var fromHeader: String?
        if let authorization = req.headers.first(name: .authorization), authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " {
            fromHeader = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        var fromBody: String?
        if req.method == .POST, hasFormBody(req) {
            let p = OpenIDConnect.Parameters(formEncoded: req.body.string ?? "")
            if p.malformed || p.repeated(among: ["access_token"]) != nil { return bearerError(.badRequest, "invalid_request", "the body is not valid") }
            fromBody = p["access_token"]
        }
        // The query is never a way to send it (RFC 6750 §2.3 is not offered); beside another
        // way it is refused rather than ignored, so the client learns it is leaking it.
        let inQuery = req.queryValue("access_token") != nil
        if [fromHeader != nil, fromBody != nil, inQuery].filter({ $0 }).count > 1 {
            return bearerError(.badRequest, "invalid_request", "send the access token one way, not two (and never in the query)")
        }
        guard let token = fromHeader ?? fromBody else {
            let response = Response(status: .unauthorized)
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="portico""#)
            response.headers.cacheControl = .init(noStore: true)
            return response
        }
        let stored = OpenIDConnect.isSecretShape(token) ? try await portico.hotPaths.oidcToken(hash: OpenIDConnect.hash(token)) : nil
        guard let claims = OpenIDConnect.userInfo(stored, now: portico.clock.now()) else {
            return bearerError(.unauthorized, "invalid_token", "the access token is unknown, expired or revoked")
        }
        return try json(claims)
    }

    /// RFC 6750 §3: the error in `WWW-Authenticate` and in the body.
    private static func bearerError(_ status: HTTPResponseStatus, _ code: String, _ description: String) -> Response {
        let response = error(.init(code, description))
        response.status = status
        response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="portico", error="\#(code)""#)
        return response
    }

    // MARK: - Revocation (RFC 7009)

    /// `POST /oauth/revoke`.
    static func revoke(req: Request) async throws -> Response {
        let portico = req.portico
        let now = portico.clock.now()
        let p: OpenIDConnect.Parameters
        switch formBody(req) {
        case .failure(let e): return error(e)
        case .success(let body): p = body
        }
        let client: OpenIDConnect.Client
        switch try await authenticatedClient(req, p) {
        case .failure(let e): return error(e)
        case .success(let c): client = c
        }
        guard let token = p["token"] else { return error(.invalidRequest("token is missing")) }
        let stored = OpenIDConnect.isSecretShape(token) ? try await portico.hotPaths.oidcToken(hash: OpenIDConnect.hash(token)) : nil
        switch OpenIDConnect.decideRevocation(stored, client: client) {
        case .nothing: break
        case .token(let id): try await OIDCGrants.revokeToken(id: id, now: now, store: portico.store)
        case .family(let id): try await portico.hotPaths.revokeOIDCFamily(id, now: now)
        case .refuse(let e): return error(e)
        }
        let response = Response(status: .ok)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    // MARK: - RP-initiated logout

    /// `GET|POST /oauth/logout`: ends the member session (as `/logout`); back to the client
    /// only for an ID token Portico signed (expiry ignored) and a URI registered for its `aud`.
    static func logout(req: Request) async throws -> Response {
        try refuseHEAD(req)
        let portico = req.portico
        let p = parameters(req)
        if let hash = MemberCookie.hash(in: req) { _ = try await SignIn.end(hash: hash, store: portico.store) }
        var destination: String?
        if !p.malformed, p.repeated() == nil, let hint = p["id_token_hint"], let uri = p["post_logout_redirect_uri"], hint.utf8.count <= 8192,
           let claims = try? await portico.oidcKeys.keySet().collection.verify(hint, as: OpenIDConnect.IDToken.self),
           claims.iss == portico.config.publicURL, p["client_id"] == nil || p["client_id"] == claims.aud,
           let client = try await client(claims.aud, req), client.enabled, client.postLogoutRedirectURIs.contains(uri) {
            destination = OpenIDConnect.redirect(uri, adding: [("state", OpenIDConnect.echoable(p["state"]))])
        }
        let response = destination.map { Layout.redirect(to: $0, status: .found) } ?? Layout.message(.signedOut, status: .ok)
        response.headers.add(name: .setCookie, value: MemberCookie.clear(https: portico.config.publicURLIsHTTPS))
        response.headers.cacheControl = .init(noStore: true)
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}
