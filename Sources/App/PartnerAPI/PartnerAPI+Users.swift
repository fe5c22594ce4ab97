import Foundation
import PorticoCore
import Vapor

extension PartnerAPI {
    /// `POST /api/users/{partner_id}`: create or refresh, always with a new token.
    static func createOrRefresh(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let partnerID = try partnerIDParameter(req)
        guard !partnerID.isReserved else { throw APIError.invalidPartnerID }
        let body = try JSONBody.decode(ProfileBody.self, from: req).validated()
        return try await issue(
            req: req, key: key, partnerID: partnerID.value, anonymousExpiresAt: nil,
            email: body.email ?? nil, firstName: body.firstName ?? nil, lastName: body.lastName ?? nil
        )
    }

    /// `POST /api/users/anonymous`: a temporary user with a generated partner_id.
    static func createAnonymous(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        guard key.anonymousUsersEnabled else {
            throw APIError(.forbidden, "anonymous_users_disabled", "anonymous users are not enabled for this organization")
        }
        _ = try JSONBody.decode(ProfileBody.self, from: req)
        let now = req.portico.clock.now()
        return try await issue(
            req: req, key: key, partnerID: Users.anonymousPartnerID(),
            anonymousExpiresAt: now.addingTimeInterval(Users.anonymousLifetime), email: nil, firstName: nil, lastName: nil
        )
    }

    private static func issue(
        req: Request, key: APIKeyContext, partnerID: String, anonymousExpiresAt: Date?,
        email: String?, firstName: String?, lastName: String?
    ) async throws -> Response {
        let portico = req.portico
        let token = Secrets.hex(byteCount: 16)
        let upsert = UserUpsert(
            orgID: key.orgID, partnerID: partnerID, email: email, firstName: firstName, lastName: lastName,
            anonymousExpiresAt: anonymousExpiresAt, tokenHash: Secrets.sha256Hex(token),
            tokenTTL: key.ssoTokenTTL, tokenSingleUse: key.ssoTokenSingleUse, now: portico.clock.now()
        )
        guard let result = try await portico.hotPaths.createOrRefreshUser(upsert) else { throw APIError.userNotFound }
        let tokenDTO = TokenDTO(
            token: token, expiresAt: result.tokenExpiresAt, ssoURL: portico.url(SiteURL.ssoSignIn(token: token))
        )
        return try JSONBody.response(UserResponse(
            user: UserWithToken(user: UserSnapshot(result.user), token: tokenDTO), created: result.created
        ))
    }

    /// `GET /api/users/{partner_id}`.
    static func show(req: Request) async throws -> Response {
        let user = try await requireUser(req)
        return try JSONBody.response(UserResponse(user: UserWithToken(user: UserSnapshot(user), token: nil), created: nil))
    }

    /// `PATCH /api/users/{partner_id}`: changes the fields present in the body.
    static func update(req: Request) async throws -> Response {
        let user = try await requireUser(req)
        let body = try JSONBody.decodeRequired(ProfileBody.self, from: req).validated()
        let portico = req.portico
        let updated = try await Users.update(
            user, change: .init(email: body.email, firstName: body.firstName, lastName: body.lastName),
            actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(UserResponse(user: UserWithToken(user: UserSnapshot(updated), token: nil), created: nil))
    }

    /// `DELETE /api/users/{partner_id}`: the user and everything of theirs.
    static func delete(req: Request) async throws -> Response {
        let user = try await requireUser(req)
        let portico = req.portico
        try await Users.delete(user, actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store)
        return Response(status: .noContent)
    }

    // MARK: - Shared

    /// The `partner_id` path parameter, checked against the seed's rules.
    static func partnerIDParameter(_ req: Request) throws -> PartnerID {
        guard let raw = req.parameters.get("partner_id"), let id = PartnerID(raw) else { throw APIError.invalidPartnerID }
        return id
    }

    /// The key's org's live user named by the path (an expired anonymous user, another
    /// org's user and `anonymous` are all 404 `user_not_found`).
    static func requireUser(_ req: Request) async throws -> UserRecord {
        let key = try req.requireAPIKey()
        let partnerID = try partnerIDParameter(req)
        guard !partnerID.isReserved,
              let user = try await req.portico.hotPaths.user(orgID: key.orgID, partnerID: partnerID.value, now: req.portico.clock.now())
        else { throw APIError.userNotFound }
        return user
    }

    /// `/api/users` with an empty partner_id.
    static func missingPartnerID(req: Request) async throws -> Response {
        _ = try req.requireAPIKey()
        throw APIError.invalidPartnerID
    }
}
