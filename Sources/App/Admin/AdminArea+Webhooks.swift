import Foundation
import PorticoCore
import Vapor

/// The webhook pages (SPEC §7, §8; `manage_webhooks`): endpoints, their delivery log
/// and re-sending. The rules (SSRF guard, event filter, writes, audit) are `Webhooks`'s,
/// the same the Partner API's `/api/webhooks` uses.
extension AdminArea {
    /// `GET /admin/webhooks`: the endpoints with their state, and the register form.
    static func webhooks(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageWebhooks)
        return try await webhooksPage(req: req, context: context, form: .empty, shownKey: nil)
    }

    /// `POST /admin/webhooks`: registers an endpoint and shows its signing key, this once;
    /// a refused URL or filter re-renders the form (422) with the error beside the field.
    static func createWebhook(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageWebhooks)
        var form = webhookForm(req)
        guard let checked = await checkWebhookForm(&form, req: req) else {
            return try await webhooksPage(req: req, context: context, form: form, shownKey: nil, status: .unprocessableEntity)
        }
        let endpoint = try await Webhooks.create(
            orgID: context.orgID, url: checked.url, events: checked.events, actor: context.actor, ip: context.ip,
            now: req.portico.clock.now(), store: req.portico.store
        )
        return try await webhooksPage(
            req: req, context: context, form: .empty, shownKey: .init(title: "Signing key of \(endpoint.url)", key: endpoint.key)
        )
    }

    /// `GET /admin/webhooks/{id}`: the endpoint and its delivery log (`type`, `status`,
    /// `event`, `before`).
    static func webhook(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageWebhooks)
        let endpoint = try await webhookEndpoint(req, context: context)
        let filter = try AdminWebhook.Filter.parse(
            type: req.queryValue("type"), status: req.queryValue("status"), event: req.queryValue("event"), before: req.queryValue("before")
        )
        return try await webhookPage(req: req, context: context, endpoint: endpoint, filter: filter, notice: notice(req))
    }

    /// `POST /admin/webhooks/{id}`: a new URL and event filter.
    static func updateWebhook(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageWebhooks)
        let endpoint = try await webhookEndpoint(req, context: context)
        var form = webhookForm(req)
        guard let checked = await checkWebhookForm(&form, req: req) else {
            return try await webhookPage(req: req, context: context, endpoint: endpoint, form: form, status: .unprocessableEntity)
        }
        let id = try endpoint.requireID()
        try await mapNotFound {
            _ = try await Webhooks.update(
                orgID: context.orgID, id: id, change: .init(url: checked.url, events: .some(checked.events)),
                actor: context.actor, ip: context.ip, now: req.portico.clock.now(), store: req.portico.store
            )
        }
        return Layout.redirect(to: context.link(.adminWebhook(.value(id)), query: [("done", "updated")]))
    }

    /// `POST /admin/webhooks/{id}/ACTION`: enable, disable, delete, test, rotate-key, redeliver-failed.
    static func webhookAction(req: Request, action: SiteURL.AdminWebhookAction) async throws -> Response {
        let context = try await req.requireAdminForm(.manageWebhooks)
        let endpoint = try await webhookEndpoint(req, context: context)
        let id = try endpoint.requireID()
        let portico = req.portico
        let now = portico.clock.now()
        let back = { (done: String, extra: [(String, String)]) in
            Layout.redirect(to: context.link(.adminWebhook(.value(id)), query: [("done", done)] + extra))
        }
        switch action {
        case .enable, .disable:
            try await mapNotFound {
                _ = try await Webhooks.update(
                    orgID: context.orgID, id: id, change: .init(enabled: action == .enable),
                    actor: context.actor, ip: context.ip, now: now, store: portico.store
                )
            }
            return back(action.rawValue + "d", [])
        case .delete:
            try await mapNotFound {
                try await Webhooks.delete(orgID: context.orgID, id: id, actor: context.actor, ip: context.ip, now: now, store: portico.store)
            }
            return Layout.redirect(to: context.link(.adminWebhooks))
        case .test:
            try await mapNotFound {
                _ = try await Webhooks.sendTest(orgID: context.orgID, id: id, actor: context.actor, ip: context.ip, now: now, store: portico.store)
            }
            return back("test", [])
        case .rotateKey:
            let rotated = try await mapNotFound {
                try await Webhooks.rotateKey(orgID: context.orgID, id: id, actor: context.actor, ip: context.ip, now: now, store: portico.store)
            }
            return try await webhookPage(
                req: req, context: context, endpoint: rotated, shownKey: .init(title: "New signing key of \(rotated.url)", key: rotated.key)
            )
        case .redeliverFailed:
            let raw = (try? req.content.get(String.self, at: "since")) ?? ""
            guard let since = parseSince(raw) else {
                return try await webhookPage(
                    req: req, context: context, endpoint: endpoint, since: raw,
                    sinceError: "Give a time like 2026-11-23T09:00 (UTC) or 2026-11-23T09:00:00Z.", status: .unprocessableEntity
                )
            }
            let queued = try await Webhooks.redeliverFailed(
                orgID: context.orgID, since: since, endpointID: id, actor: context.actor, ip: context.ip, now: now, store: portico.store
            )
            return back("resent-failed", [("queued", String(queued))])
        }
    }

    /// `POST /admin/webhooks/{id}/events/{event_id}/redeliver`: one event again, to this endpoint.
    static func redeliverWebhookEvent(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageWebhooks)
        let endpoint = try await webhookEndpoint(req, context: context)
        let id = try endpoint.requireID()
        let eventID = req.parameters.get(SiteURL.Key.eventID) ?? ""
        guard AdminWebhook.Filter.isEventID(eventID) else { throw AdminPageError.notFound("There is no such event.") }
        do {
            _ = try await Webhooks.redeliver(
                orgID: context.orgID, eventID: eventID, endpointID: id, actor: context.actor, ip: context.ip,
                now: req.portico.clock.now(), store: req.portico.store
            )
        } catch PorticoError.notFound {
            throw AdminPageError.notFound("There is no such event in this organization.")
        }
        return Layout.redirect(to: context.link(.adminWebhook(.value(id)), query: [("done", "resent")]))
    }

    // MARK: - Helpers

    /// The `{webhook_id}` endpoint of the page's org; anything else is a 404.
    private static func webhookEndpoint(_ req: Request, context: AdminContext) async throws -> WebhookEndpoint {
        guard let raw = req.parameters.get(SiteURL.Key.webhookID), let id = UUID(uuidString: raw),
              let endpoint = try await Webhooks.find(orgID: context.orgID, id: id, on: req.portico.store.db)
        else { throw AdminPageError.notFound("There is no such webhook endpoint in this organization.") }
        return endpoint
    }

    /// An endpoint gone between the lookup and the write (deleted meanwhile) is a 404.
    private static func mapNotFound<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch PorticoError.notFound {
            throw AdminPageError.notFound("There is no such webhook endpoint in this organization.")
        }
    }

    /// The form's `url` and checked `events`, as typed.
    private static func webhookForm(_ req: Request) -> AdminWebhooks.Form {
        let url = (try? req.content.get(String.self, at: "url")) ?? ""
        let events = (try? req.content.get([String].self, at: "events")) ?? []
        return .init(url: url, events: events, urlError: nil, eventsError: nil)
    }

    /// Checks the URL (SSRF rules, as the Partner API does) and the filter (none checked:
    /// all events); on a refusal, the errors go on the form and nil comes back.
    private static func checkWebhookForm(_ form: inout AdminWebhooks.Form, req: Request) async -> (url: String, events: [String]?)? {
        let portico = req.portico
        var events: [String]? = nil
        if !form.events.isEmpty {
            do { events = try Webhooks.validatedFilter(form.events) } catch {
                form.eventsError = "Pick event types from the list (none checked: every event)."
            }
        }
        var url = ""
        let typed = form.url.trimmingCharacters(in: .whitespaces)
        if typed.isEmpty {
            form.urlError = "Enter the receiver's URL."
        } else {
            do {
                url = try await Webhooks.validatedURL(typed, allowPrivate: portico.config.webhookAllowPrivate, resolver: portico.webhookResolver)
            } catch let error as PorticoError {
                form.urlError = sentence(error.description)
            } catch {
                form.urlError = "This URL cannot be used."
            }
        }
        // What was typed goes back into the form; a control character cannot (HTML has no way to show it).
        form.url = printable(form.url)
        form.events = form.events.filter(AdminWebhooks.eventTypes.contains)
        return form.hasErrors ? nil : (url, events)
    }

    /// Typed text without its control characters, to show it back in a form.
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }))
    }

    /// `url: the URL must use https` → `The URL must use https.`
    private static func sentence(_ message: String) -> String {
        var text = message.hasPrefix("url: ") ? String(message.dropFirst(5)) : message
        if let first = text.first { text = first.uppercased() + text.dropFirst() }
        return text.hasSuffix(".") ? text : text + "."
    }

    /// `since` as RFC 3339 (`2026-11-23T09:00:00Z`) or as a browser's local date-time
    /// (`2026-11-23T09:00`, taken as UTC).
    static func parseSince(_ raw: String) -> Date? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.utf8.count <= 40 else { return nil }
        if let date = RFC3339.date(from: text) { return date }
        let local = text.replacingOccurrences(of: " ", with: "T")
        guard local.utf8.count == 16 || local.utf8.count == 19,
              local.utf8.allSatisfy({ (0x30...0x3A).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "T") })
        else { return nil }
        return RFC3339.date(from: local + (local.utf8.count == 16 ? ":00Z" : "Z"))
    }

    /// `2026-11-23T09:00` (UTC), as the `since` field shows a time.
    static func sinceText(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1, c.hour ?? 0, c.minute ?? 0)
    }

    /// What the action before the redirect did (`?done=`; unknown values say nothing).
    private static func notice(_ req: Request) -> String? {
        guard let done = req.queryValue("done") else { return nil }
        switch done {
        case "updated": return "Saved."
        case "enabled": return "The endpoint is enabled: it is sent the events committed from now on."
        case "disabled": return "The endpoint is disabled: nothing is sent to it until it is enabled again."
        case "test": return "A webhook.test event was queued for this endpoint."
        case "resent": return "The event was queued again for this endpoint."
        case "resent-failed":
            guard let queued = req.queryValue("queued").flatMap({ Int($0) }), queued >= 0 else { return "The failed deliveries were queued again." }
            return "\(queued) failed \(queued == 1 ? "delivery was" : "deliveries were") queued again."
        default: return nil
        }
    }

    private static func webhooksPage(
        req: Request, context: AdminContext, form: AdminWebhooks.Form, shownKey: AdminWebhooks.ShownKey?, status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let model = try await AdminWebhooks.Model.query(org: context.org, admin: context.layout, form: form, shownKey: shownKey, on: req.portico.store.db)
        return Layout.adminResponse(AdminWebhooks.view(model), status: status)
    }

    private static func webhookPage(
        req: Request, context: AdminContext, endpoint: WebhookEndpoint, filter: AdminWebhook.Filter = .unfiltered,
        form: AdminWebhooks.Form? = nil, since: String? = nil, sinceError: String? = nil, shownKey: AdminWebhooks.ShownKey? = nil,
        notice: String? = nil, status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let now = req.portico.clock.now()
        let model = try await AdminWebhook.Model.query(
            endpoint: endpoint, admin: context.layout, filter: filter, form: form,
            since: since.map(printable) ?? sinceText(now.addingTimeInterval(-24 * 3600)),
            sinceError: sinceError, shownKey: shownKey, notice: notice, now: now, on: req.portico.store.db
        )
        return Layout.adminResponse(AdminWebhook.view(model), status: status)
    }
}
