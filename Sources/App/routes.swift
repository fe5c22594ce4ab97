import Vapor

/// Every route of Portico, grouped by surface; each path comes from `SiteURL`, each
/// group says how its errors are reported (`ErrorFormat`).
func routes(_ app: Application) throws {
    // Operations
    let operations = Surface(app, errors: .json)
    operations.on(.GET, .healthz, use: Operations.health)
    operations.on(.GET, .readyz, use: Operations.ready)
    operations.on(.GET, .metrics, use: Operations.metrics)
    operations.on(.GET, .openAPI, use: Operations.openAPI)
    let assets = Surface(app, errors: .page)
    assets.on(.GET, .docs, use: Operations.docs)
    assets.on(.GET, .stylesheet, use: Operations.stylesheet)
    assets.on(.GET, .copyScript, use: Operations.copyScript)

    // Browser sign-in and the member area (seed 000, SPEC §4)
    let members = Surface(app, errors: .page)
    members.on(.GET, .ssoSignIn, use: Members.signIn)
    members.on(.GET, .logout, use: Members.signOut)
    members.on(.POST, .logout, use: Members.signOut)
    members.on(.GET, .signedOut, use: Members.signedOut)
    members.on(.GET, .dashboard, use: Members.dashboard)
    members.on(.GET, .curriculum, use: Members.curriculum)
    members.on(.POST, .curriculumComplete, use: Members.completeChapter)
    members.on(.GET, .interviews, use: Members.interviews)
    members.on(.POST, .interviews, use: Members.startInterview)
    members.on(.GET, .interview(.key), use: Members.interview)
    members.on(.POST, .interviewAnswer(.key), use: Members.answerQuestion)
    members.on(.POST, .interviewComplete(.key), use: Members.completeInterview)
    members.on(.GET, .classroom(.key), use: Members.classroom)
    members.on(.POST, .lessonComplete(.key, .key), use: Members.completeLesson)

    // Admin area (SPEC §8): sign-in, then the admin's organization
    let admin = Surface(app, errors: .page)
    admin.on(.GET, .adminLogin, use: AdminArea.loginForm)
    admin.on(.POST, .adminLogin, use: AdminArea.login)
    admin.on(.GET, .admin, use: AdminArea.dashboard)
    admin.on(.POST, .adminLogout, use: AdminArea.logout)
    admin.on(.GET, .adminKeys, use: AdminArea.keys)
    admin.on(.POST, .adminKeys, use: AdminArea.createKey)
    admin.on(.POST, .adminKeyRevoke(.key), use: AdminArea.revokeKey)
    admin.on(.GET, .adminAudit, use: AdminArea.audit)
    admin.on(.GET, .adminWebhooks, use: AdminArea.webhooks)
    admin.on(.POST, .adminWebhooks, use: AdminArea.createWebhook)
    admin.on(.GET, .adminWebhook(.key), use: AdminArea.webhook)
    admin.on(.POST, .adminWebhook(.key), use: AdminArea.updateWebhook)
    for action in SiteURL.AdminWebhookAction.allCases {
        admin.on(.POST, .adminWebhookAction(.key, action)) { try await AdminArea.webhookAction(req: $0, action: action) }
    }
    admin.on(.POST, .adminWebhookRedeliver(.key, .key), use: AdminArea.redeliverWebhookEvent)
    admin.on(.GET, .adminApps, use: AdminArea.apps)
    admin.on(.POST, .adminApps, use: AdminArea.createApp)
    admin.on(.GET, .adminApp(.key), use: AdminArea.app)
    admin.on(.POST, .adminApp(.key), use: AdminArea.updateApp)
    for action in SiteURL.AdminAppAction.allCases {
        admin.on(.POST, .adminAppAction(.key, action)) { try await AdminArea.appAction(req: $0, action: action) }
    }
    admin.on(.GET, .adminUsers, use: AdminArea.users)
    admin.on(.GET, .adminUser(.key), use: AdminArea.user)
    admin.on(.GET, .adminUserAction(.key, .delete), use: AdminArea.confirmDeleteUser)
    for action in SiteURL.AdminUserAction.allCases {
        admin.on(.POST, .adminUserAction(.key, action)) { try await AdminArea.userAction(req: $0, action: action) }
    }
    admin.on(.GET, .adminSettings, use: AdminArea.settings)
    admin.on(.POST, .adminSettings, use: AdminArea.updateSettings)
    admin.on(.POST, .adminSettingsAllowHost, use: AdminArea.allowReturnHost)
    admin.on(.GET, .adminOrgs, use: AdminArea.orgs)
    admin.on(.POST, .adminOrgs, use: AdminArea.createOrg)
    admin.on(.GET, .adminAdmins, use: AdminArea.admins)
    admin.on(.POST, .adminAdmins, use: AdminArea.createAdmin)
    for action in SiteURL.AdminAdminAction.allCases {
        admin.on(.POST, .adminAdminAction(.key, action)) { try await AdminArea.adminAction(req: $0, action: action) }
    }
    admin.on(.GET, .adminAccount, use: AdminArea.account)
    admin.on(.POST, .adminAccount, use: AdminArea.changePassword)

    // Launch codes (seed 003, SPEC §6): out to partner sites, and the partner's exchange
    Surface(app, errors: .page).on(.GET, .launch(.key), use: Launch.launch)
    Surface(app, errors: .json).on(.GET, .getUserID, use: Launch.getUserID)

    // OpenID Connect provider (SPEC §10): pages for the browser, OAuth's JSON for clients
    // Authorization and logout answer a NUL as OAuth does (an error back to the client, or
    // the signed-out page), so the input guard leaves it to them.
    let oidcPages = Surface(app, errors: .page, readsNUL: true)
    let oauth = Surface(app, errors: .oauth)
    oauth.on(.GET, .openIDConfiguration, use: OIDC.discovery)
    oauth.on(.GET, .oauthJWKS, use: OIDC.jwks)
    for method in [HTTPMethod.GET, .POST] {
        oidcPages.on(method, .oauthAuthorize, use: OIDC.authorize)
        oauth.on(method, .oauthUserInfo, use: OIDC.userInfo)
        oidcPages.on(method, .oauthLogout, use: OIDC.logout)
    }
    oidcPages.on(.GET, .oauthResume, use: OIDC.resume)
    oauth.on(.POST, .oauthToken, use: OIDC.token)
    oauth.on(.POST, .oauthRevoke, use: OIDC.revoke)

    // SSO API (seed 002, SPEC §5): the reference's spelling here; any letter case
    // reaches the same handlers through the fallback below, from the same table.
    let ssoAPI = Surface(app, errors: .ssoAPI)
    for (operation, (method, handler)) in SSOAPI.operations {
        ssoAPI.on(method, .ssoAPI(operation), use: handler)
    }

    // Partner API (seed 000, SPEC §3, §7)
    let api = Surface(app.grouped(PartnerAPI.KeyAuthenticator()), errors: .json)
    api.on(.GET, .apiCourses, use: PartnerAPI.courses)
    api.on(.GET, .apiEvents, use: PartnerAPI.events)
    api.on(.POST, .apiRedeliverFailed, use: PartnerAPI.redeliverFailed)
    api.on(.POST, .apiRedeliverEvent(.key), use: PartnerAPI.redeliverEvent)
    api.on(.GET, .apiWebhooks, use: PartnerAPI.listWebhooks)
    api.on(.POST, .apiWebhooks, use: PartnerAPI.createWebhook)
    api.on(.GET, .apiWebhook(.key), use: PartnerAPI.showWebhook)
    api.on(.PATCH, .apiWebhook(.key), use: PartnerAPI.updateWebhook)
    api.on(.DELETE, .apiWebhook(.key), use: PartnerAPI.deleteWebhook)
    api.on(.POST, .apiWebhookRotateKey(.key), use: PartnerAPI.rotateWebhookKey)
    api.on(.POST, .apiWebhookTest(.key), use: PartnerAPI.testWebhook)
    api.on(.POST, .apiAnonymousUser, use: PartnerAPI.createAnonymous)
    api.on(.POST, .apiUser(.key), use: PartnerAPI.createOrRefresh)
    api.on(.GET, .apiUser(.key), use: PartnerAPI.show)
    api.on(.PATCH, .apiUser(.key), use: PartnerAPI.update)
    api.on(.DELETE, .apiUser(.key), use: PartnerAPI.delete)
    api.on(.GET, .apiUserTracks(.key), use: PartnerAPI.tracks)
    api.on(.GET, .apiUserInterviews(.key), use: PartnerAPI.interviews)
    api.on(.GET, .apiUserEnrollments(.key), use: PartnerAPI.enrollments)
    api.on(.POST, .apiUserEnrollments(.key), use: PartnerAPI.enroll)
    api.on(.POST, .apiUserSubscriptions(.key), use: PartnerAPI.subscribe)
    api.on(.POST, .apiUserLaunchCodes(.key), use: Launch.createForUser)
    // An empty partner_id (`/api/users/`) is a bad partner_id, not a missing route.
    for method in [HTTPMethod.GET, .POST, .PATCH, .DELETE] {
        api.on(method, .apiUsers, use: PartnerAPI.missingPartnerID)
    }

    // Every other path: the SSO API in any letter case, else 404 (errors as `.unmatched`).
    for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE, .OPTIONS] {
        app.on(method, "**", use: SSOAPI.dispatch)
    }
}

/// A group of routes that report errors one way.
struct Surface {
    let builder: any RoutesBuilder
    let errors: ErrorFormat
    /// The handlers judge every value they read themselves, NUL included, and answer in
    /// their protocol's terms (`InputGuardMiddleware` leaves a NUL in the body to them).
    var readsNUL = false

    init(_ builder: any RoutesBuilder, errors: ErrorFormat, readsNUL: Bool = false) {
        self.builder = builder
        self.errors = errors
        self.readsNUL = readsNUL
    }

    func on(_ method: HTTPMethod, _ url: SiteURL, use handler: @escaping @Sendable (Request) async throws -> some AsyncResponseEncodable) {
        let route = builder.on(method, url.pathComponents, use: handler)
        route.userInfo[ErrorFormat.userInfoKey] = errors
        if readsNUL { route.userInfo[InputGuardMiddleware.readsNULKey] = true }
    }
}
