import Vapor

/// Every route of Portico, grouped by surface.
func routes(_ app: Application) throws {
    // Operations
    app.get("healthz", use: Operations.health)
    app.get("readyz", use: Operations.ready)
    app.get("metrics", use: Operations.metrics)
    app.get("openapi.json", use: Operations.openAPI)
    app.get("docs", use: Operations.docs)

    // Browser sign-in and the member area (seed 000, SPEC §4)
    app.get("static", "portico.css", use: Operations.stylesheet)
    app.get("login", "sso", use: Members.signIn)
    app.get("logout", use: Members.signOut)
    app.post("logout", use: Members.signOut)
    app.get("signed-out", use: Members.signedOut)
    let members = app.grouped("members")
    members.get("dashboard", use: Members.dashboard)
    members.get("curriculum", use: Members.curriculum)
    members.post("curriculum", "complete", use: Members.completeChapter)
    members.get("interviews", use: Members.interviews)
    members.post("interviews", use: Members.startInterview)
    members.get("interviews", ":id", use: Members.interview)
    members.post("interviews", ":id", "answer", use: Members.answerQuestion)
    members.post("interviews", ":id", "complete", use: Members.completeInterview)
    app.get("classroom", ":enrollment_id", use: Members.classroom)
    app.post("classroom", ":enrollment_id", "lessons", ":number", "complete", use: Members.completeLesson)

    // Admin area (SPEC §8): sign-in, then the admin's organization
    app.get("login", "admin", use: AdminArea.loginForm)
    app.post("login", "admin", use: AdminArea.login)
    let admin = app.grouped("admin")
    admin.get(use: AdminArea.dashboard)
    admin.post("logout", use: AdminArea.logout)
    admin.get("keys", use: AdminArea.keys)
    admin.post("keys", use: AdminArea.createKey)
    admin.post("keys", ":prefix", "revoke", use: AdminArea.revokeKey)
    admin.get("audit", use: AdminArea.audit)

    // Launch codes (seed 003, SPEC §6): out to partner sites, and the partner's exchange
    app.get("launch", ":app_slug", use: Launch.launch)
    app.get("jsp", "api", "getUserId", use: Launch.getUserID)

    // SSO API (seed 002, SPEC §5): the reference's spelling here, any letter case through the fallback
    app.post("api", "v1", "AdminApi", "Authenticate", use: SSOAPI.authenticate)
    app.get("api", "v1", "AdminApi", "ValidateAccessToken", use: SSOAPI.validateAccessToken)
    app.post("api", "v1", "SsoApi", "SignIn", use: SSOAPI.signIn)
    app.post("api", "v1", "SsoApi", "Classroom", use: SSOAPI.classroom)
    for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
        app.on(method, "**", use: SSOAPI.dispatch)
    }

    // Partner API (seed 000, SPEC §3)
    let api = app.grouped("api").grouped(PartnerAPI.KeyAuthenticator())
    api.get("courses", use: PartnerAPI.courses)
    api.get("events", use: PartnerAPI.events)
    api.post("events", "redeliver-failed", use: PartnerAPI.redeliverFailed)
    api.post("events", ":event_id", "redeliver", use: PartnerAPI.redeliverEvent)
    let webhooks = api.grouped("webhooks")
    webhooks.get(use: PartnerAPI.listWebhooks)
    webhooks.post(use: PartnerAPI.createWebhook)
    webhooks.get(":webhook_id", use: PartnerAPI.showWebhook)
    webhooks.patch(":webhook_id", use: PartnerAPI.updateWebhook)
    webhooks.delete(":webhook_id", use: PartnerAPI.deleteWebhook)
    webhooks.post(":webhook_id", "rotate-key", use: PartnerAPI.rotateWebhookKey)
    webhooks.post(":webhook_id", "test", use: PartnerAPI.testWebhook)
    let users = api.grouped("users")
    users.post("anonymous", use: PartnerAPI.createAnonymous)
    users.post(":partner_id", use: PartnerAPI.createOrRefresh)
    users.get(":partner_id", use: PartnerAPI.show)
    users.patch(":partner_id", use: PartnerAPI.update)
    users.delete(":partner_id", use: PartnerAPI.delete)
    users.get(":partner_id", "tracks", use: PartnerAPI.tracks)
    users.get(":partner_id", "interviews", use: PartnerAPI.interviews)
    users.get(":partner_id", "enrollments", use: PartnerAPI.enrollments)
    users.post(":partner_id", "enrollments", use: PartnerAPI.enroll)
    users.post(":partner_id", "subscriptions", use: PartnerAPI.subscribe)
    users.post(":partner_id", "launch-codes", use: Launch.createForUser)
    // An empty partner_id (`/api/users/`) is a bad partner_id, not a missing route.
    for method in [HTTPMethod.GET, .POST, .PATCH, .DELETE] {
        users.on(method, use: PartnerAPI.missingPartnerID)
    }
}
