import FluentKit
import Foundation
import PorticoCore
import Vapor

extension SSOAPI {
    /// `POST /api/v1/AdminApi/Authenticate` (JSON or form): username, password,
    /// grant_type "password", scope (ignored), utc_expiration_date (optional).
    static func authenticate(req: Request) async throws -> Response {
        let portico = req.portico
        let body = try LooseBody.read(req, allowForm: true)
        guard try body.string("grant_type") == "password" else { throw Failure.grantType() }
        let username = try body.string("username") ?? ""
        let password = try body.string("password") ?? ""
        let now = portico.clock.now()

        // With utc_expiration_date the token expires then (at most 30 days ahead; an
        // explicit null means those 30 days; a form body spells null `null` or leaves
        // the value empty) and expires_in is left out.
        var expiresAt = now.addingTimeInterval(SSOAPIService.accessTokenLifetime)
        var reportExpiresIn = true
        if body.fields.keys.contains("utc_expiration_date") {
            reportExpiresIn = false
            let cap = now.addingTimeInterval(SSOAPIService.maxAccessTokenLifetime)
            let isForm = req.headers.contentType == .urlEncodedForm
            if let raw = try body.string("utc_expiration_date"), !raw.isEmpty, !(isForm && raw == "null") {
                guard let date = parseDate(raw) else { throw Failure.validation("utc_expiration_date must be an ISO 8601 date and time") }
                guard date > now else { throw Failure.validation("utc_expiration_date must be in the future") }
                expiresAt = min(date, cap)
            } else {
                expiresAt = cap
            }
        }

        let admin: Admin
        do {
            switch try await AdminCredentials.check(
                email: username, password: password, ip: req.clientIP, now: now,
                throttle: portico.loginThrottle, verifier: portico.passwords, on: portico.store.db
            ) {
            case .verified(let found): admin = found
            case .wrong: throw Failure.badCredentials()
            case .throttled(let wait): throw Failure.throttled(wait)
            }
        } catch is PasswordCheckBusy {
            throw Failure.busy()
        }
        let token = try await SSOAPIService.issueAccessToken(admin: admin, expiresAt: expiresAt, now: now, ip: req.clientIP, store: portico.store)
        return try JSONBody.response(AuthenticateResponse(
            accessToken: token, expiresIn: reportExpiresIn ? Int(expiresAt.timeIntervalSince(now)) : nil, apiErrorEntity: .success()
        ))
    }

    /// `GET /api/v1/AdminApi/ValidateAccessToken?access_token=`: 200 either way.
    static func validateAccessToken(req: Request) async throws -> Response {
        let portico = req.portico
        let state = try await SSOAPIService.accessToken(
            req.queryValue("access_token"), now: portico.clock.now(), on: portico.store.db
        )
        var expiry: Date?
        if case .valid(_, let expiresAt) = state { expiry = expiresAt }
        return try JSONBody.response(ValidateResponse(utcExpirationDate: expiry, errorMessage: state.reason, apiErrorEntity: .success()))
    }

    /// `POST /api/v1/SsoApi/SignIn?access_token=`: a sign-in URL for a subscription.
    static func signIn(req: Request) async throws -> Response {
        let portico = req.portico
        let admin = try await requireAdmin(req)
        let body = try LooseBody.read(req, allowForm: false)
        let display = try body.display()
        let userID = try body.uuid("user_id"), orgID = try body.uuid("org_id"), subscriptionID = try body.uuid("subscription_id")
        let redirectEntity = try body.redirectEntity()
        let (subscription, warnings) = try await SSOAPIService.subscription(
            userID: userID, orgID: orgID, subscriptionID: subscriptionID, on: portico.store.db
        )
        return try await issue(
            req: req, admin: admin, subscription: subscription, purpose: .login, display: display, redirectTo: nil,
            redirectEntity: redirectEntity, warnings: warnings
        )
    }

    /// `POST /api/v1/SsoApi/Classroom?access_token=`: a sign-in URL that lands in an enrollment's classroom.
    static func classroom(req: Request) async throws -> Response {
        let portico = req.portico
        let admin = try await requireAdmin(req)
        let body = try LooseBody.read(req, allowForm: false)
        let display = try body.display()
        guard let enrollmentID = try body.uuid("enrollment_id") else { throw Failure.validation("enrollment_id is required") }
        let redirectEntity = try body.redirectEntity()
        let subscription = try await SSOAPIService.subscription(enrollmentID: enrollmentID, on: portico.store.db)
        return try await issue(
            req: req, admin: admin, subscription: subscription, purpose: .classroom, display: display,
            redirectTo: SiteURL.classroom(.value(enrollmentID)).path, redirectEntity: redirectEntity, warnings: []
        )
    }

    private static func issue(
        req: Request, admin: Admin, subscription: Subscription, purpose: SSOToken.Purpose, display: Int, redirectTo: String?,
        redirectEntity: SSOAPIService.RedirectEntityChange?, warnings: [String]
    ) async throws -> Response {
        let portico = req.portico
        guard try await SSOAPIService.admin(admin, has: .useSSOAPI, in: subscription.orgID, on: portico.store.db) else {
            throw Failure.forbidden()
        }
        let issued = try await SSOAPIService.issueSignInToken(
            subscription: subscription, purpose: purpose, display: display, redirectTo: redirectTo, redirectEntity: redirectEntity,
            actor: "admin:" + admin.email, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(SignInResponse(
            url: portico.url(SiteURL.ssoSignIn(token: issued.token)), accessToken: issued.token, expiresIn: issued.expiresIn,
            apiErrorEntity: .success(warnings + issued.warnings)
        ))
    }

    /// The admin behind `?access_token=`; a missing, unknown, revoked or expired token is 403.
    static func requireAdmin(_ req: Request) async throws -> Admin {
        let portico = req.portico
        let state = try await SSOAPIService.accessToken(req.queryValue("access_token"), now: portico.clock.now(), on: portico.store.db)
        guard case .valid(let adminID, _) = state, let admin = try await Admin.find(adminID, on: portico.store.db) else {
            throw Failure.badAccessToken(state.reason ?? "access_token is not valid")
        }
        req.logger[metadataKey: "admin"] = .string(adminID.uuidString.lowercased())
        return admin
    }

    static func parseDate(_ raw: String) -> Date? {
        if let d = try? Date(raw, strategy: .iso8601) { return d }
        // Typed clients often send no zone; the field says UTC.
        let trimmed = raw.split(separator: ".").first.map(String.init) ?? raw
        return try? Date(trimmed + "Z", strategy: .iso8601)
    }

    // MARK: - Case-insensitive dispatch

    /// The SSO API's operations: `routes.swift` registers each under its `SiteURL`, and
    /// the fallback below dispatches any letter case of the same paths.
    static let operations: [(SiteURL.SSOAPIOperation, (HTTPMethod, @Sendable (Request) async throws -> Response))] = [
        (.authenticate, (.POST, authenticate)),
        (.validateAccessToken, (.GET, validateAccessToken)),
        (.signIn, (.POST, signIn)),
        (.classroom, (.POST, classroom)),
    ]

    /// The operations by lowercased path (clients generated from the seed's reference
    /// send `/api/v1/ssoapi/signin`).
    private static let byLowercasedPath: [String: (HTTPMethod, @Sendable (Request) async throws -> Response)] =
        Dictionary(uniqueKeysWithValues: operations.map { (SiteURL.ssoAPI($0.0).path.lowercased(), $0.1) })

    /// Whether a (lowercased) path is under the SSO API's base.
    static func isSSOAPIPath(_ lowercasedPath: String) -> Bool {
        lowercasedPath.hasPrefix("/api/v1/") || lowercasedPath == "/api/v1"
    }

    /// The fallback for every path no route matched: SSO API paths in any letter case
    /// go to their handler; anything else is a 404.
    static func dispatch(req: Request) async throws -> Response {
        var path = req.url.path.lowercased()
        while path.hasSuffix("/"), path.count > 1 { path.removeLast() }
        guard let (method, handler) = byLowercasedPath[path] else {
            // A path some route has, with another method: 405 with `Allow`, not 404.
            let allowed = MethodNotAllowed.methods(for: req.url.path, in: req.application.routes.all)
            if !allowed.isEmpty { throw MethodNotAllowed(allowed: allowed) }
            if isSSOAPIPath(path) { throw Failure.unknownPath() }
            throw Abort(.notFound)
        }
        guard req.method == method else { throw MethodNotAllowed(allowed: [method]) }
        return try await handler(req)
    }
}
