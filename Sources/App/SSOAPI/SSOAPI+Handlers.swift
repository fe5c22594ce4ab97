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
        // explicit null means those 30 days) and expires_in is left out.
        var expiresAt = now.addingTimeInterval(SSOAPIService.accessTokenLifetime)
        var reportExpiresIn = true
        if body.fields.keys.contains("utc_expiration_date") {
            reportExpiresIn = false
            let cap = now.addingTimeInterval(SSOAPIService.maxAccessTokenLifetime)
            if let raw = try body.string("utc_expiration_date"), !raw.isEmpty {
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
        let db = portico.store.db
        var warnings: [String] = []
        let subscription: Subscription
        switch (userID, orgID) {
        case let (user?, org?):
            guard try await User.find(user, on: db) != nil else { throw Failure.notFound("no user \(user.uuidString.lowercased())") }
            guard try await Organization.find(org, on: db) != nil else { throw Failure.notFound("no organization \(org.uuidString.lowercased())") }
            guard let found = try await Subscription.query(on: db).filter(\.$userID == user).filter(\.$orgID == org).first() else {
                throw Failure.notFound("the user has no subscription in that organization")
            }
            subscription = found
            if let subscriptionID, subscriptionID != found.id {
                warnings.append("subscription_id names another subscription than user_id and org_id; user_id and org_id were used")
            }
        case (nil, nil):
            guard let subscriptionID else { throw Failure.validation("give user_id and org_id, or subscription_id") }
            guard let found = try await Subscription.find(subscriptionID, on: db) else {
                throw Failure.notFound("no subscription \(subscriptionID.uuidString.lowercased())")
            }
            subscription = found
        default:
            throw Failure.validation("user_id and org_id go together; give both, or subscription_id")
        }
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
        let db = portico.store.db
        guard let enrollment = try await Enrollment.find(enrollmentID, on: db),
              let subscription = try await Subscription.find(enrollment.subscriptionID, on: db)
        else { throw Failure.notFound("no enrollment \(enrollmentID.uuidString.lowercased())") }
        return try await issue(
            req: req, admin: admin, subscription: subscription, purpose: .classroom, display: display,
            redirectTo: SiteURL.classroom(enrollmentID.uuidString.lowercased()), redirectEntity: redirectEntity, warnings: []
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
            url: portico.url("/login/sso?token=" + issued.token), accessToken: issued.token, expiresIn: issued.expiresIn,
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

    /// The SSO API's operations by lowercased path: clients generated from the seed's
    /// reference send `/api/v1/ssoapi/signin`.
    static let operations: [String: (HTTPMethod, @Sendable (Request) async throws -> Response)] = [
        "/api/v1/adminapi/authenticate": (.POST, authenticate),
        "/api/v1/adminapi/validateaccesstoken": (.GET, validateAccessToken),
        "/api/v1/ssoapi/signin": (.POST, signIn),
        "/api/v1/ssoapi/classroom": (.POST, classroom),
    ]

    /// The fallback for every path no route matched: SSO API paths in any letter case
    /// go to their handler; anything else is a 404.
    static func dispatch(req: Request) async throws -> Response {
        var path = req.url.path.lowercased()
        while path.hasSuffix("/"), path.count > 1 { path.removeLast() }
        guard let (method, handler) = operations[path] else {
            if path.hasPrefix("/api/v1/") { throw Failure.unknownPath() }
            throw Abort(.notFound)
        }
        guard req.method == method else { throw Failure.methodNotAllowed() }
        return try await handler(req)
    }
}
