import Foundation
import PorticoCore
import Vapor

/// Webhook endpoints and re-sending through the Partner API (SPEC §3, §7).
extension PartnerAPI {
    /// `{"webhook": {...}}`: the endpoint as the API shows it. The key only when
    /// it was just made (create, rotate-key).
    struct WebhookDTO: Encodable {
        var endpoint: WebhookEndpoint
        var showKey: Bool
        /// For whether a rotated-out key still signs.
        var now: Date

        enum CodingKeys: String, CodingKey {
            case id, url, events, key, enabled
            case disabledReason = "disabled_reason"
            case previousKeyExpiresAt = "previous_key_expires_at"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(endpoint.id, forKey: .id)
            try c.encode(endpoint.url, forKey: .url)
            try c.encode(endpoint.events, forKey: .events)
            if showKey { try c.encode(endpoint.key, forKey: .key) }
            try c.encode(endpoint.enabled, forKey: .enabled)
            try c.encode(endpoint.disabledReason, forKey: .disabledReason)
            let overlap = endpoint.previousKeyExpiresAt.flatMap { $0 > now ? $0 : nil }
            try c.encode(overlap, forKey: .previousKeyExpiresAt)
            try c.encode(endpoint.createdAt, forKey: .createdAt)
            try c.encode(endpoint.updatedAt, forKey: .updatedAt)
        }
    }

    struct WebhookResponse: Encodable {
        var webhook: WebhookDTO
    }

    struct WebhookListResponse: Encodable {
        var webhooks: [WebhookDTO]
    }

    /// `POST /api/webhooks` and `PATCH /api/webhooks/{id}`: each field absent, or set
    /// (`events: null` = all events; a `null` url or enabled is the wrong type: 400).
    struct WebhookBody: Decodable {
        var url: String?
        var events: [String]??
        var enabled: Bool?

        enum CodingKeys: String, CodingKey { case url, events, enabled }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if c.contains(.url) { url = try c.decode(String.self, forKey: .url) }
            if c.contains(.events) {
                events = try c.decodeNil(forKey: .events) ? .some(nil) : .some(try c.decode([String].self, forKey: .events))
            }
            if c.contains(.enabled) { enabled = try c.decode(Bool.self, forKey: .enabled) }
        }
    }

    /// `POST /api/webhooks` → 201 with the key, shown this once.
    static func createWebhook(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let body = try JSONBody.decode(WebhookBody.self, from: req)
        guard let rawURL = body.url else { throw APIError.invalidRequest("url is required") }
        let portico = req.portico
        let events = try Webhooks.validatedFilter(body.events ?? nil)
        let url = try await Webhooks.validatedURL(rawURL, allowPrivate: portico.config.webhookAllowPrivate, resolver: portico.webhookResolver)
        let endpoint = try await Webhooks.create(
            orgID: key.orgID, url: url, events: events, actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(WebhookResponse(webhook: WebhookDTO(endpoint: endpoint, showKey: true, now: portico.clock.now())), status: .created)
    }

    /// `GET /api/webhooks`.
    static func listWebhooks(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let endpoints = try await Webhooks.list(orgID: key.orgID, on: req.portico.store.db)
        return try JSONBody.response(WebhookListResponse(webhooks: endpoints.map { WebhookDTO(endpoint: $0, showKey: false, now: req.portico.clock.now()) }))
    }

    /// `GET /api/webhooks/{id}`.
    static func showWebhook(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        guard let endpoint = try await Webhooks.find(orgID: key.orgID, id: try webhookID(req), on: req.portico.store.db) else {
            throw APIError.webhookNotFound
        }
        return try JSONBody.response(WebhookResponse(webhook: WebhookDTO(endpoint: endpoint, showKey: false, now: req.portico.clock.now())))
    }

    /// `PATCH /api/webhooks/{id}`: `url`, `events`, `enabled`.
    static func updateWebhook(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let id = try webhookID(req)
        let body = try JSONBody.decodeRequired(WebhookBody.self, from: req)
        let portico = req.portico
        var change = Webhooks.Change(enabled: body.enabled)
        if let events = body.events { change.events = .some(try Webhooks.validatedFilter(events)) }
        guard try await Webhooks.find(orgID: key.orgID, id: id, on: portico.store.db) != nil else { throw APIError.webhookNotFound }
        if let url = body.url {
            change.url = try await Webhooks.validatedURL(url, allowPrivate: portico.config.webhookAllowPrivate, resolver: portico.webhookResolver)
        }
        let endpoint = try await Webhooks.update(
            orgID: key.orgID, id: id, change: change, actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(WebhookResponse(webhook: WebhookDTO(endpoint: endpoint, showKey: false, now: req.portico.clock.now())))
    }

    /// `DELETE /api/webhooks/{id}` → 204.
    static func deleteWebhook(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let portico = req.portico
        try await Webhooks.delete(
            orgID: key.orgID, id: try webhookID(req), actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return Response(status: .noContent)
    }

    /// `POST /api/webhooks/{id}/rotate-key`: the new key, shown this once; the old
    /// one keeps signing beside it for 24 hours.
    static func rotateWebhookKey(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let portico = req.portico
        let endpoint = try await Webhooks.rotateKey(
            orgID: key.orgID, id: try webhookID(req), actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(WebhookResponse(webhook: WebhookDTO(endpoint: endpoint, showKey: true, now: portico.clock.now())))
    }

    /// `POST /api/webhooks/{id}/test` → 202 with the `webhook.test` event queued for this endpoint.
    static func testWebhook(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let portico = req.portico
        let event = try await Webhooks.sendTest(
            orgID: key.orgID, id: try webhookID(req), actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return rawJSON("{\"event\":" + EventFeed.WebhookObject(event).json + "}", status: .accepted)
    }

    /// `{"webhook_id"}` (optional) of `POST /api/events/{id}/redeliver`; `{"since", "webhook_id"}` of
    /// `POST /api/events/redeliver-failed`.
    struct RedeliverBody: Decodable {
        var webhookID: String?
        var since: String?
        enum CodingKeys: String, CodingKey {
            case webhookID = "webhook_id"
            case since
        }

        func endpointID() throws -> UUID? {
            guard let webhookID else { return nil }
            guard let id = UUID(uuidString: webhookID) else { throw APIError.webhookNotFound }
            return id
        }
    }

    struct RedeliverResponse: Encodable {
        var queued: Int
    }

    /// `POST /api/events/{id}/redeliver` → 202 `{"queued": n}`.
    static func redeliverEvent(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let body = try JSONBody.decode(RedeliverBody.self, from: req)
        let eventID = req.parameters.get("event_id") ?? ""
        let portico = req.portico
        let queued = try await Webhooks.redeliver(
            orgID: key.orgID, eventID: eventID, endpointID: try body.endpointID(),
            actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(RedeliverResponse(queued: queued), status: .accepted)
    }

    /// `POST /api/events/redeliver-failed` `{"since": "…Z"}` → 202 `{"queued": n}`: every
    /// delivery that failed at or after `since` goes out again.
    static func redeliverFailed(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let body = try JSONBody.decode(RedeliverBody.self, from: req)
        guard let raw = body.since else { throw APIError.invalidRequest("since is required (an RFC 3339 time, e.g. 2026-11-23T09:00:00Z)") }
        guard let since = RFC3339.date(from: raw) else { throw APIError.invalidRequest("since must be an RFC 3339 time, e.g. 2026-11-23T09:00:00Z") }
        let portico = req.portico
        let endpointID = try body.endpointID()
        if let endpointID, try await Webhooks.find(orgID: key.orgID, id: endpointID, on: portico.store.db) == nil {
            throw APIError.webhookNotFound
        }
        let queued = try await Webhooks.redeliverFailed(
            orgID: key.orgID, since: since, endpointID: endpointID, actor: req.apiActor, ip: req.clientIP,
            now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(RedeliverResponse(queued: queued), status: .accepted)
    }

    /// The `{id}` path parameter; anything that is not a UUID names no webhook.
    private static func webhookID(_ req: Request) throws -> UUID {
        guard let raw = req.parameters.get("webhook_id"), let id = UUID(uuidString: raw) else { throw APIError.webhookNotFound }
        return id
    }

    static func rawJSON(_ body: String, status: HTTPResponseStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.cacheControl = .init(noStore: true)
        return Response(status: status, headers: headers, body: .init(string: body))
    }
}

extension APIError {
    static let webhookNotFound = APIError.notFound("no such webhook")
}
