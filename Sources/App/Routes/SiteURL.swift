import Foundation
import Vapor

/// Every path of Portico, in one place: `routes.swift` registers each route from its
/// case (`pathComponents`, with `:name` for a parameter) and pages and redirects build
/// their links and form actions from the same case (`path`, with values). A path
/// string written anywhere else is a bug.
enum SiteURL: Sendable {
    /// A path parameter: its name for registration, or a value for a link.
    enum Parameter<Value: Sendable>: Sendable {
        case key
        case value(Value)
    }

    /// The names under which handlers read path parameters.
    enum Key {
        static let partnerID = "partner_id"
        static let webhookID = "webhook_id"
        static let eventID = "event_id"
        static let interviewID = "id"
        static let enrollmentID = "enrollment_id"
        static let lessonNumber = "number"
        static let appSlug = "app_slug"
        static let keyPrefix = "prefix"
        static let adminID = "admin_id"
    }

    // Operations
    case healthz, readyz, metrics, openAPI, docs, stylesheet, copyScript

    // Browser sign-in and the member area (SPEC §4)
    case ssoSignIn, logout, signedOut
    case dashboard
    case curriculum, curriculumComplete
    case interviews
    case interview(Parameter<UUID>)
    case interviewAnswer(Parameter<UUID>)
    case interviewComplete(Parameter<UUID>)
    case classroom(Parameter<UUID>)
    case lessonComplete(Parameter<UUID>, Parameter<Int>)

    // Admin area (SPEC §8); every page takes `?org=SLUG` (see `AdminLinks`)
    case adminLogin, admin, adminLogout, adminKeys, adminAudit
    case adminKeyRevoke(Parameter<String>)
    case adminWebhooks
    case adminWebhook(Parameter<UUID>)
    case adminWebhookAction(Parameter<UUID>, AdminWebhookAction)
    case adminWebhookRedeliver(Parameter<UUID>, Parameter<String>)
    case adminApps
    case adminApp(Parameter<String>)
    case adminAppAction(Parameter<String>, AdminAppAction)
    case adminUsers
    case adminUser(Parameter<String>)
    case adminUserAction(Parameter<String>, AdminUserAction)
    case adminSettings, adminSettingsAllowHost
    case adminOrgs
    case adminAdmins
    case adminAdminAction(Parameter<UUID>, AdminAdminAction)
    case adminAccount

    /// `POST /admin/webhooks/{id}/ACTION`.
    enum AdminWebhookAction: String, CaseIterable, Sendable {
        case enable, disable, delete, test
        case rotateKey = "rotate-key"
        /// Re-send every failed delivery of the endpoint since a time.
        case redeliverFailed = "redeliver-failed"
    }

    /// `POST /admin/apps/{slug}/ACTION`.
    enum AdminAppAction: String, CaseIterable, Sendable {
        case enable, disable
        case rotateKey = "rotate-key"
        case rotateSecret = "rotate-secret"
        /// The OpenID Connect lists (a form).
        case client
    }

    /// `GET|POST /admin/users/{partner_id}/ACTION` (GET `delete` is the confirmation page).
    enum AdminUserAction: String, CaseIterable, Sendable {
        case delete
        case signInLink = "sign-in-link"
    }

    /// `POST /admin/admins/{id}/ACTION`.
    enum AdminAdminAction: String, CaseIterable, Sendable {
        case permissions, remove
        case revokeTokens = "revoke-tokens"
    }

    // Launch codes (SPEC §6)
    case launch(Parameter<String>)
    case getUserID

    // OpenID Connect provider (SPEC §10)
    case openIDConfiguration, oauthJWKS, oauthAuthorize, oauthResume, oauthToken, oauthUserInfo, oauthRevoke, oauthLogout

    // SSO API (SPEC §5), in the reference's spelling (any letter case is dispatched)
    case ssoAPI(SSOAPIOperation)

    // Partner API (SPEC §3, §7)
    case apiCourses, apiEvents, apiRedeliverFailed
    case apiRedeliverEvent(Parameter<String>)
    case apiWebhooks
    case apiWebhook(Parameter<UUID>)
    case apiWebhookRotateKey(Parameter<UUID>)
    case apiWebhookTest(Parameter<UUID>)
    case apiUsers, apiAnonymousUser
    case apiUser(Parameter<String>)
    case apiUserTracks(Parameter<String>)
    case apiUserInterviews(Parameter<String>)
    case apiUserEnrollments(Parameter<String>)
    case apiUserSubscriptions(Parameter<String>)
    case apiUserLaunchCodes(Parameter<String>)

    enum SSOAPIOperation: String, CaseIterable, Sendable {
        case authenticate = "AdminApi/Authenticate"
        case validateAccessToken = "AdminApi/ValidateAccessToken"
        case signIn = "SsoApi/SignIn"
        case classroom = "SsoApi/Classroom"
    }

    /// One segment of a path: fixed text, or a parameter (its name, and its value in a link).
    private enum Segment {
        case constant(String)
        case parameter(String, String?)
    }

    private static func param<T>(_ name: String, _ p: Parameter<T>, _ text: (T) -> String) -> Segment {
        switch p {
        case .key: .parameter(name, nil)
        case .value(let v): .parameter(name, text(v))
        }
    }

    private static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    private var segments: [Segment] {
        switch self {
        case .healthz: [.constant("healthz")]
        case .readyz: [.constant("readyz")]
        case .metrics: [.constant("metrics")]
        case .openAPI: [.constant("openapi.json")]
        case .docs: [.constant("docs")]
        case .stylesheet: [.constant("static"), .constant("portico.css")]
        case .copyScript: [.constant("static"), .constant("copy.js")]
        case .ssoSignIn: [.constant("login"), .constant("sso")]
        case .logout: [.constant("logout")]
        case .signedOut: [.constant("signed-out")]
        case .dashboard: [.constant("members"), .constant("dashboard")]
        case .curriculum: [.constant("members"), .constant("curriculum")]
        case .curriculumComplete: [.constant("members"), .constant("curriculum"), .constant("complete")]
        case .interviews: [.constant("members"), .constant("interviews")]
        case .interview(let i): [.constant("members"), .constant("interviews"), Self.param(Key.interviewID, i, Self.id)]
        case .interviewAnswer(let i): Self.interview(i).segments + [.constant("answer")]
        case .interviewComplete(let i): Self.interview(i).segments + [.constant("complete")]
        case .classroom(let e): [.constant("classroom"), Self.param(Key.enrollmentID, e, Self.id)]
        case .lessonComplete(let e, let n):
            Self.classroom(e).segments + [.constant("lessons"), Self.param(Key.lessonNumber, n, String.init), .constant("complete")]
        case .adminLogin: [.constant("login"), .constant("admin")]
        case .admin: [.constant("admin")]
        case .adminLogout: [.constant("admin"), .constant("logout")]
        case .adminKeys: [.constant("admin"), .constant("keys")]
        case .adminAudit: [.constant("admin"), .constant("audit")]
        case .adminKeyRevoke(let p): [.constant("admin"), .constant("keys"), Self.param(Key.keyPrefix, p, { $0 }), .constant("revoke")]
        case .adminWebhooks: [.constant("admin"), .constant("webhooks")]
        case .adminWebhook(let w): [.constant("admin"), .constant("webhooks"), Self.param(Key.webhookID, w, Self.id)]
        case .adminWebhookAction(let w, let action): Self.adminWebhook(w).segments + [.constant(action.rawValue)]
        case .adminWebhookRedeliver(let w, let e):
            Self.adminWebhook(w).segments + [.constant("events"), Self.param(Key.eventID, e, { $0 }), .constant("redeliver")]
        case .adminApps: [.constant("admin"), .constant("apps")]
        case .adminApp(let a): [.constant("admin"), .constant("apps"), Self.param(Key.appSlug, a, { $0 })]
        case .adminAppAction(let a, let action): Self.adminApp(a).segments + [.constant(action.rawValue)]
        case .adminUsers: [.constant("admin"), .constant("users")]
        case .adminUser(let u): [.constant("admin"), .constant("users"), Self.param(Key.partnerID, u, { $0 })]
        case .adminUserAction(let u, let action): Self.adminUser(u).segments + [.constant(action.rawValue)]
        case .adminSettings: [.constant("admin"), .constant("settings")]
        case .adminSettingsAllowHost: [.constant("admin"), .constant("settings"), .constant("allow-host")]
        case .adminOrgs: [.constant("admin"), .constant("orgs")]
        case .adminAdmins: [.constant("admin"), .constant("admins")]
        case .adminAdminAction(let a, let action): [.constant("admin"), .constant("admins"), Self.param(Key.adminID, a, Self.id), .constant(action.rawValue)]
        case .adminAccount: [.constant("admin"), .constant("account")]
        case .launch(let slug): [.constant("launch"), Self.param(Key.appSlug, slug, { $0 })]
        case .getUserID: [.constant("jsp"), .constant("api"), .constant("getUserId")]
        case .openIDConfiguration: [.constant(".well-known"), .constant("openid-configuration")]
        case .oauthJWKS: [.constant("oauth"), .constant("jwks")]
        case .oauthAuthorize: [.constant("oauth"), .constant("authorize")]
        case .oauthResume: [.constant("oauth"), .constant("authorize"), .constant("resume")]
        case .oauthToken: [.constant("oauth"), .constant("token")]
        case .oauthUserInfo: [.constant("oauth"), .constant("userinfo")]
        case .oauthRevoke: [.constant("oauth"), .constant("revoke")]
        case .oauthLogout: [.constant("oauth"), .constant("logout")]
        case .ssoAPI(let operation): [.constant("api"), .constant("v1")] + operation.rawValue.split(separator: "/").map { .constant(String($0)) }
        case .apiCourses: [.constant("api"), .constant("courses")]
        case .apiEvents: [.constant("api"), .constant("events")]
        case .apiRedeliverFailed: [.constant("api"), .constant("events"), .constant("redeliver-failed")]
        case .apiRedeliverEvent(let e): [.constant("api"), .constant("events"), Self.param(Key.eventID, e, { $0 }), .constant("redeliver")]
        case .apiWebhooks: [.constant("api"), .constant("webhooks")]
        case .apiWebhook(let w): [.constant("api"), .constant("webhooks"), Self.param(Key.webhookID, w, Self.id)]
        case .apiWebhookRotateKey(let w): Self.apiWebhook(w).segments + [.constant("rotate-key")]
        case .apiWebhookTest(let w): Self.apiWebhook(w).segments + [.constant("test")]
        case .apiUsers: [.constant("api"), .constant("users")]
        case .apiAnonymousUser: [.constant("api"), .constant("users"), .constant("anonymous")]
        case .apiUser(let u): [.constant("api"), .constant("users"), Self.param(Key.partnerID, u, { $0 })]
        case .apiUserTracks(let u): Self.apiUser(u).segments + [.constant("tracks")]
        case .apiUserInterviews(let u): Self.apiUser(u).segments + [.constant("interviews")]
        case .apiUserEnrollments(let u): Self.apiUser(u).segments + [.constant("enrollments")]
        case .apiUserSubscriptions(let u): Self.apiUser(u).segments + [.constant("subscriptions")]
        case .apiUserLaunchCodes(let u): Self.apiUser(u).segments + [.constant("launch-codes")]
        }
    }

    /// The path for a link or redirect (parameters must be values), starting with `/`.
    var path: String {
        "/" + segments.map { segment -> String in
            switch segment {
            case .constant(let text): text
            case .parameter(let name, let value):
                value.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? $0 } ?? ":" + name
            }
        }.joined(separator: "/")
    }

    /// The path components to register a route with (`:name` for each parameter).
    var pathComponents: [PathComponent] {
        segments.map { segment in
            switch segment {
            case .constant(let text): .constant(text)
            case .parameter(let name, _): .parameter(name)
            }
        }
    }

    // Links with a query

    /// `/login/sso?token=…` (tokens are hex or UUID text: nothing to escape).
    static func ssoSignIn(token: String) -> String { ssoSignIn.path + "?token=" + token }

    /// A chapter of the curriculum.
    static func chapter(_ number: Int) -> String { curriculum.path + "?chapter=\(number)" }
}
