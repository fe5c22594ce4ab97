import Vapor

/// Every route of Portico, grouped by surface.
func routes(_ app: Application) throws {
    // Operations
    app.get("healthz", use: Operations.health)
    app.get("readyz", use: Operations.ready)
    app.get("metrics", use: Operations.metrics)
    app.get("openapi.json", use: Operations.openAPI)
    app.get("docs", use: Operations.docs)

    // Partner API (seed 000, SPEC §3)
    let api = app.grouped("api").grouped(PartnerAPI.KeyAuthenticator())
    api.get("courses", use: PartnerAPI.courses)
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
    // An empty partner_id (`/api/users/`) is a bad partner_id, not a missing route.
    for method in [HTTPMethod.GET, .POST, .PATCH, .DELETE] {
        users.on(method, use: PartnerAPI.missingPartnerID)
    }
}
