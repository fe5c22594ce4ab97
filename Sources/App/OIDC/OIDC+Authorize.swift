import FluentKit
import Foundation
import PorticoCore
import Vapor

/// The authorization endpoint (SPEC §10 "Authorization request"), in its order: the
/// client and redirect URI (a 400 page, never a redirect), the request (errors back to
/// the client), sign-in through the org's `login_url`, then the code.
extension OIDC {
    /// `GET|POST /oauth/authorize`.
    static func authorize(req: Request) async throws -> Response {
        try refuseHEAD(req)
        let p = parameters(req)
        let (clientID, redirectURI): (String, String)
        switch OpenIDConnect.clientAndRedirect(p) {
        case .failure(let e): return badRequestPage(e.message)
        case .success(let pair): (clientID, redirectURI) = pair
        }
        let client = try await client(clientID, req)
        if let e = OpenIDConnect.checkClient(client, redirectURI: redirectURI) { return badRequestPage(e.message) }
        guard let client else { return badRequestPage(OpenIDConnect.PageError.unknownClient.message) }
        switch OpenIDConnect.validate(p, client: client, redirectURI: redirectURI) {
        case .failure(let e):
            return redirectError(e, redirectURI: redirectURI, state: OpenIDConnect.echoable(p["state"]), req: req)
        case .success(let request):
            return try await proceed(request, client: client, pending: nil, req: req)
        }
    }

    /// `GET /oauth/authorize/resume?request_id=ID`: where the member comes back after
    /// signing in at the org's site.
    static func resume(req: Request) async throws -> Response {
        try refuseHEAD(req)
        let portico = req.portico
        guard let requestID = req.queryValue("request_id"),
              let pending = try await OIDCGrants.pending(requestID: requestID, now: portico.clock.now(), on: portico.store.sql)
        else {
            return badRequestPage("This sign-in request is unknown, has expired or was used already. Start again from the app.")
        }
        let client = try await client(pending.request.clientID, req)
        guard let client, OpenIDConnect.checkClient(client, redirectURI: pending.request.redirectURI) == nil, client.appID == pending.appID else {
            return badRequestPage(OpenIDConnect.PageError.unknownClient.message)
        }
        return try await proceed(pending.request, client: client, pending: (pending, requestID), req: req)
    }

    /// Steps 3 and 4: sign-in when needed, else the code.
    private static func proceed(
        _ request: OpenIDConnect.AuthorizationRequest, client: OpenIDConnect.Client, pending: (OIDCGrants.Pending, String)?, req: Request
    ) async throws -> Response {
        let portico = req.portico
        let now = portico.clock.now()
        let member = try await req.member()
        if OpenIDConnect.needsSignIn(request, sessionCreatedAt: member?.session.createdAt, resumedSince: pending?.0.createdAt, now: now) {
            if request.prompt == OpenIDConnect.Prompt.none {
                return redirectError(.init("login_required", "the member must sign in"), redirectURI: request.redirectURI, state: request.state, req: req)
            }
            let requestID: String
            if let pending { requestID = pending.1 } else {
                // A pending authorization is a write anyone can cause without signing in: it
                // counts against the client address's failure budget (PORTICO_FAILURE_LIMIT).
                if let wait = req.failureLimitWait(now: now) {
                    let response = Layout.tooManyFailures(retryAfter: wait)
                    response.headers.cacheControl = .init(noStore: true)
                    return response
                }
                req.recordFailure(now: now)
                requestID = try await OIDCGrants.startPending(request, appID: client.appID, now: now, store: portico.store)
            }
            guard let loginURL = try await loginURL(orgID: client.orgID, on: portico.store.db) else {
                let response = Layout.message(
                    title: "Please sign in", text: "Sign in through your organization's site, then open the app again.", status: .unauthorized
                )
                response.headers.cacheControl = .init(noStore: true)
                return response
            }
            let returnTo = SiteURL.oauthResume.path + "?request_id=" + requestID
            let response = Layout.redirect(to: OpenIDConnect.redirect(loginURL, adding: [("return_to", returnTo)]), status: .found)
            response.headers.cacheControl = .init(noStore: true)
            return response
        }
        guard let member else { return badRequestPage("No member is signed in.") }
        guard try await OIDCGrants.isEntitled(userID: member.user.id, orgID: client.orgID, on: portico.store.sql) else {
            return redirectError(
                .init("access_denied", "the member does not belong to the app's organization"),
                redirectURI: request.redirectURI, state: request.state, req: req
            )
        }
        let code = OpenIDConnect.newSecret()
        let newCode = OpenIDConnect.NewCode(
            code: code, appID: client.appID, userID: member.user.id, sessionID: member.session.id, request: request,
            authTime: member.session.createdAt, now: now
        )
        let audit = PorticoCore.Audit.Entry(
            orgID: client.orgID, actor: "user:" + member.user.partnerID, action: "oidc.authorized", target: client.clientID, at: now,
            ip: req.clientIP
        )
        guard try await OIDCGrants.issueCode(newCode, pendingID: pending?.0.id, audit: audit, store: portico.store) else {
            return badRequestPage("This sign-in request was used already. Start again from the app.")
        }
        let response = Layout.redirect(to: OpenIDConnect.redirect(
            request.redirectURI, adding: [("code", code), ("state", request.state), ("iss", portico.config.publicURL)]
        ), status: .found)
        response.headers.cacheControl = .init(noStore: true)
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    /// The nearest `login_url` in the org's lineage whose host is allowed for it.
    private static func loginURL(orgID: UUID, on db: any FluentKit.Database) async throws -> String? {
        let lineage = try await Organizations.lineage(of: orgID, on: db)
        let hosts = lineage.flatMap { $0.allowedReturnHosts }
        for candidate in lineage.compactMap({ $0.loginURL }) where !candidate.isEmpty {
            if let url = ReturnHosts.allowedURL(candidate, entries: hosts) { return url }
        }
        return nil
    }

    /// Step 2's errors, sent back to the (registered) redirect URI with `state` and `iss`.
    private static func redirectError(_ e: OpenIDConnect.AuthorizationError, redirectURI: String, state: String?, req: Request) -> Response {
        let response = Layout.redirect(to: OpenIDConnect.redirect(redirectURI, adding: [
            ("error", e.error), ("error_description", e.description), ("state", state), ("iss", req.portico.config.publicURL),
        ]), status: .found)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    /// Vapor answers HEAD with the GET route; these GETs change state (a code, a pending
    /// authorization, the end of a session), which a HEAD must not.
    static func refuseHEAD(_ req: Request) throws {
        if req.method == .HEAD { throw MethodNotAllowed(allowed: [.GET, .POST]) }
    }

    /// Step 1's errors: a page, with no link to the redirect URI.
    static func badRequestPage(_ text: String) -> Response {
        let response = Layout.message(title: "This sign-in link is not valid", text: text, status: .badRequest)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }
}
