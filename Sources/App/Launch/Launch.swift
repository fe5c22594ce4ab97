import Foundation
import PorticoCore
import Vapor

/// Launch codes (seed 003, SPEC §6): members go out to partner sites with a code the
/// partner's server exchanges for their identity.
enum Launch {
    /// `GET /launch/{app_slug}`: a signed-in member's click on a partner app.
    static func launch(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let portico = req.portico
        guard let slug = req.parameters.get("app_slug"),
              let app = try await PartnerApps.launchable(orgID: member.user.orgID, slug: slug, on: portico.store.db)
        else { throw PageError.notFound }
        let (code, _) = try await LaunchCodes.issue(
            appID: try app.requireID(), userID: member.user.id, now: portico.clock.now(), hotPaths: portico.hotPaths, keys: portico.launchKeys
        )
        let response = Layout.redirect(to: PartnerApps.launchURL(app.launchURL, code: code))
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    struct LaunchCodeBody: Decodable {
        var app: String?
    }

    struct LaunchCodeResponse: Encodable {
        var code: String
        var url: String
        var expiresAt: Date
        var expiresIn: Int
        enum CodingKeys: String, CodingKey {
            case code, url
            case expiresAt = "expires_at"
            case expiresIn = "expires_in"
        }
    }

    /// `POST /api/users/{partner_id}/launch-codes` `{"app"}`: a server-initiated launch.
    static func createForUser(req: Request) async throws -> Response {
        let user = try await PartnerAPI.requireUser(req)
        let body = try JSONBody.decode(LaunchCodeBody.self, from: req)
        guard let slug = body.app, !slug.isEmpty else { throw APIError.invalidRequest("app is required (a partner app slug)") }
        let portico = req.portico
        guard let app = try await PartnerApps.launchable(orgID: user.orgID, slug: slug, on: portico.store.db) else {
            throw APIError.notFound("no enabled partner app '\(slug)' in this organization")
        }
        let (code, expiresAt) = try await LaunchCodes.issue(
            appID: try app.requireID(), userID: user.id, now: portico.clock.now(), hotPaths: portico.hotPaths, keys: portico.launchKeys
        )
        return try JSONBody.response(LaunchCodeResponse(
            code: code, url: PartnerApps.launchURL(app.launchURL, code: code), expiresAt: expiresAt, expiresIn: Int(LaunchCodes.lifetime)
        ))
    }

    struct Identity: Encodable {
        var userid: String
        var username: String
        var firstname: String
        var lastname: String
        var displayName: String
    }

    /// `GET /jsp/api/getUserId/?t=&k=` (also without the trailing slash): the identity
    /// JSON of the seed, or the seed's error text in `X-Error` (and in the body).
    static func getUserID(req: Request) async throws -> Response {
        let portico = req.portico
        let now = portico.clock.now()
        // Failed exchanges are limited per client address (SPEC §9).
        if let wait = req.failureLimitWait(now: now) {
            let text = "too many failed attempts"
            let response = try JSONBody.response(["error": text], status: .tooManyRequests)
            response.headers.replaceOrAdd(name: "X-Error", value: text)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(wait))
            return response
        }
        let result = try await LaunchCodes.exchange(
            code: req.queryValue("t"), key: req.queryValue("k"),
            now: now, hotPaths: portico.hotPaths, keys: portico.launchKeys
        )
        if case .failure = result { req.recordFailure(now: now) }
        switch result {
        case .success(let user):
            let first = user.firstName ?? "", last = user.lastName ?? ""
            let joined = [first, last].filter { !$0.isEmpty }.joined(separator: " ")
            return try JSONBody.response(Identity(
                userid: user.id.uuidString.lowercased(), username: user.partnerID, firstname: first, lastname: last,
                displayName: joined.isEmpty ? user.partnerID : joined
            ))
        case .failure(let failure):
            let response = try JSONBody.response(["error": failure.rawValue], status: HTTPResponseStatus(statusCode: failure.status))
            response.headers.replaceOrAdd(name: "X-Error", value: failure.rawValue)
            return response
        }
    }
}
