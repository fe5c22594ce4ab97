import FluentKit
import Foundation
import PorticoCore
import Vapor

/// Browser sign-in and the member area (seed 000 "Single Sign On", SPEC §4).
enum Members {}

extension Members {
    /// `GET /login/sso?token=T[&redirect_to=PATH][&return_url=URL][&display=0|1]`.
    static func signIn(req: Request) async throws -> Response {
        let response = try await signInOutcome(req: req)
        response.headers.cacheControl = .init(noStore: true)
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    private static func signInOutcome(req: Request) async throws -> Response {
        let portico = req.portico
        let now = portico.clock.now()
        // Failed sign-ins are counted per client address (SPEC §9): an address past its limit
        // is refused before any work; successful sign-ins take nothing from it.
        if let wait = req.failureLimitWait(now: now) { return Layout.tooManyFailures(retryAfter: wait) }
        let (response, failed) = try await redeem(req: req, now: now)
        if failed { req.recordFailure(now: now) }
        return response
    }

    /// Redeems the token: a session and a redirect, or the token's failure.
    private static func redeem(req: Request, now: Date) async throws -> (response: Response, failed: Bool) {
        let portico = req.portico
        guard let tokenHash = tokenHash(req.queryValue("token")) else { return (unknownToken(), true) }
        let display: Int? = switch req.queryValue("display") {
        case "1": 1
        case "0": 0
        default: nil
        }
        let outcome = try await portico.hotPaths.redeemSSOToken(.init(
            tokenHash: tokenHash, display: display, returnURL: nil,
            previousSessionHash: MemberCookie.hash(in: req), ip: req.clientIP, now: now
        ))
        switch outcome {
        case .signedIn(let new):
            if let returnURL = req.queryValue("return_url"), !returnURL.isEmpty {
                if let allowed = try await allowedURL(returnURL, subscriptionID: new.session.subscriptionID, on: portico.store.db) {
                    try await SignIn.setReturnURL(allowed, sessionID: new.session.id, store: portico.store)
                } else {
                    // Listed on the org's settings page (a well-formed URL on a host not allowed); never fails the sign-in.
                    await RefusedReturnHosts.record(returnURL, subscriptionID: new.session.subscriptionID, now: now, store: portico.store, logger: req.logger)
                }
            }
            let requested = req.queryValue("redirect_to").flatMap { Redirects.safePath($0, publicURL: portico.config.publicURL) }
            let path = new.tokenRedirect ?? requested ?? SiteURL.dashboard.path
            let response = Layout.redirect(to: portico.url(path))
            response.headers.add(name: .setCookie, value: MemberCookie.set(
                secret: new.secret, display: new.session.display, expiresAt: new.session.expiresAt, now: now,
                https: portico.config.publicURLIsHTTPS
            ))
            return (response, false)
        case .used(let subscriptionID):
            if let url = try await redirectEntityURL(\.invalidTokenURL, \.invalidTokenURL, subscriptionID: subscriptionID, on: portico.store.db) {
                return (Layout.redirect(to: url), true)
            }
            return (Layout.message(.tokenUsed, status: .unauthorized), true)
        case .expired(let subscriptionID):
            if let url = try await redirectEntityURL(\.expiredTokenURL, \.expiredTokenURL, subscriptionID: subscriptionID, on: portico.store.db) {
                return (Layout.redirect(to: url), true)
            }
            return (Layout.message(.tokenExpired, status: .unauthorized), true)
        case .unknown:
            return (unknownToken(), true)
        }
    }

    private static func unknownToken() -> Response {
        Layout.message(.tokenUnknown, status: .unauthorized)
    }

    /// The SHA-256 under which a token is stored: Partner API tokens are 32 hex characters,
    /// SSO API tokens UUID strings (compared in lowercase). Anything else is no token.
    static func tokenHash(_ raw: String?) -> String? {
        guard let raw else { return nil }
        if Secrets.isHex32(raw) { return Secrets.sha256Hex(raw) }
        if raw.utf8.count == 36, let uuid = UUID(uuidString: raw) { return Secrets.sha256Hex(uuid.uuidString.lowercased()) }
        return nil
    }

    /// `GET|POST /logout`: ends the session; then the return URL, the subscription's
    /// logout URL, the org's landing page, or `/signed-out`.
    static func signOut(req: Request) async throws -> Response {
        let portico = req.portico
        var destination: String?
        if let hash = MemberCookie.hash(in: req), let ended = try await SignIn.end(hash: hash, store: portico.store) {
            // Judged again where it is sent: still an allowed, clean URL for the subscription.
            if let returnURL = ended.returnURL, let subscriptionID = ended.subscriptionID {
                destination = try await allowedURL(returnURL, subscriptionID: subscriptionID, on: portico.store.db)
            }
            if destination == nil, let subscriptionID = ended.subscriptionID {
                destination = try await redirectEntityURL(\.logoutURL, \.landingURL, subscriptionID: subscriptionID, on: portico.store.db)
            }
        }
        let response = Layout.redirect(to: destination ?? portico.url(SiteURL.signedOut.path))
        response.headers.add(name: .setCookie, value: MemberCookie.clear(https: portico.config.publicURLIsHTTPS))
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    /// `GET /signed-out`.
    static func signedOut(req: Request) async throws -> Response {
        Layout.message(.signedOut, status: .ok)
    }

    // MARK: - Redirect entities and allowed hosts

    /// The subscription's URL if set, else the org's (nearest in its lineage), provided
    /// its host is still allowed.
    static func redirectEntityURL(
        _ subscriptionField: KeyPath<Subscription, String?>, _ orgField: KeyPath<Organization, String?>,
        subscriptionID: UUID, on db: any Database
    ) async throws -> String? {
        guard let subscription = try await Subscription.find(subscriptionID, on: db) else { return nil }
        let lineage = try await Organizations.lineage(of: subscription.orgID, on: db)
        let hosts = lineage.flatMap(\.allowedReturnHosts)
        let candidates = [subscription[keyPath: subscriptionField]] + lineage.map { $0[keyPath: orgField] }
        for candidate in candidates.compactMap({ $0 }) where !candidate.isEmpty {
            if let url = ReturnHosts.allowedURL(candidate, entries: hosts) { return url }
        }
        return nil
    }

    /// `url` when it is an http(s) URL on a host allowed for the subscription's org or its ancestors.
    static func allowedURL(_ url: String, subscriptionID: UUID, on db: any Database) async throws -> String? {
        guard let subscription = try await Subscription.find(subscriptionID, on: db) else { return nil }
        let hosts = try await Organizations.allowedReturnHosts(of: subscription.orgID, on: db)
        return ReturnHosts.allowedURL(url, entries: hosts)
    }
}
