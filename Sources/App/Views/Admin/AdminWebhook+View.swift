import Foundation
import PorticoCore

extension AdminWebhook {
    static func view(_ model: Model) -> HTML {
        let admin = model.admin
        let endpoint = model.endpoint
        let id = endpoint.id
        let notice: HTML = model.notice.map { text -> HTML in "<p class=\"card notice\" role=\"status\">\(text)</p>" } ?? .empty
        let overlap: HTML = model.previousKeyUntil.map { until -> HTML in
            "<p class=\"meta\">The previous key also signs every delivery until \(Layout.time(until)).</p>"
        } ?? .empty
        return Layout.adminDocument(title: "Webhook endpoint", admin: admin, body: """
            \(model.shownKey.map { key -> HTML in AdminWebhooks.shown(key) } ?? .empty)
            \(notice)
            <p class="meta"><a href="\(admin.link(.adminWebhooks))">← All webhook endpoints</a></p>
            <section class="card"><h1>Webhook endpoint</h1>
            <p><code class="url">\(endpoint.url)</code></p>
            <table class="facts"><tbody>
            <tr><th>State</th><td>\(AdminWebhooks.state(endpoint))</td></tr>
            <tr><th>Events</th><td>\(AdminWebhooks.events(endpoint.events))</td></tr>
            <tr><th>Queue</th><td>\(endpoint.pending) pending</td></tr>
            <tr><th>Last success</th><td>\(Layout.time(endpoint.lastSuccessAt))</td></tr>
            <tr><th>Last failure</th><td>\(Layout.time(endpoint.lastFailureAt))</td></tr>
            <tr><th>Registered</th><td>\(Layout.time(endpoint.createdAt))</td></tr>
            </tbody></table>
            \(overlap)
            <div class="admin-actions">
            \(button(admin, id, endpoint.enabled ? .disable : .enable, endpoint.enabled ? "Disable" : "Enable"))
            \(button(admin, id, .test, "Send a test event"))
            \(button(admin, id, .rotateKey, "Rotate the signing key"))
            \(button(admin, id, .delete, "Delete endpoint", danger: true))
            </div>
            </section>
            <section class="card"><h2>Edit</h2>
            <form method="post" action="\(admin.link(.adminWebhook(.value(id))))">\(admin.csrf)
            \(AdminWebhooks.fields(model.form))
            <button>Save</button></form>
            </section>
            \(log(model))
            <section class="card"><h2>Re-send failed deliveries</h2>
            <form method="post" action="\(admin.link(.adminWebhookAction(.value(id), .redeliverFailed)))" class="inline-form">\(admin.csrf)
            \(Layout.field("Failed since (UTC)", name: "since", value: model.since, error: model.sinceError, type: "text",
                           attributes: "required maxlength=\"40\" placeholder=\"2026-11-23T09:00\"",
                           hint: "Every delivery to this endpoint that gave up at or after this time goes out again."))
            <button>Re-send failed</button></form>
            </section>
            """)
    }

    /// One action of the endpoint as a one-button form.
    static func button(_ admin: Layout.Admin, _ id: UUID, _ action: SiteURL.AdminWebhookAction, _ label: String, danger: Bool = false) -> HTML {
        """
        <form method="post" action="\(admin.link(.adminWebhookAction(.value(id), action)))" class="inline-form">\(admin.csrf)\
        <button class="small\(danger ? " danger" : "")">\(label)</button></form>
        """
    }

    /// The delivery log: its filter, one row per event with every attempt, and the pager.
    static func log(_ model: Model) -> HTML {
        let admin = model.admin
        let id = model.endpoint.id
        let filter = model.log.filter
        let typeOptions = ([("", "any type")] + AdminWebhooks.eventTypes.map { ($0, $0) }).map { value, label -> HTML in
            "<option value=\"\(value)\"\(filter.type == value || (value.isEmpty && filter.type == nil) ? " selected" : "")>\(label)</option>"
        }
        let statuses: [(String, String)] = [("", "any outcome"), ("succeeded", "succeeded"), ("failed", "failed (gave up)"), ("pending", "pending")]
        let statusOptions = statuses.map { value, label -> HTML in
            "<option value=\"\(value)\"\((filter.status?.rawValue ?? "") == value ? " selected" : "")>\(label)</option>"
        }
        let orgField: HTML = admin.orgQuery.map { slug -> HTML in "<input type=\"hidden\" name=\"org\" value=\"\(slug)\">" } ?? .empty
        let rows = model.log.entries.map { entry -> HTML in
            let attempts: HTML = entry.attempts.isEmpty
                ? "<span class=\"meta\">no attempt yet</span>"
                : "<ol class=\"attempts\">\(entry.attempts.map(attemptItem))</ol>"
            let next: HTML = entry.nextAttemptAt.map { next -> HTML in " <small>next \(Layout.time(next))</small>" } ?? .empty
            return """
                <tr><td><code>\(entry.eventID)</code><br><small>\(entry.eventType) · #\(String(entry.sequence)) · \(Layout.time(entry.eventCreatedAt))</small></td>\
                <td>\(outcome(entry.status))\(entry.status == .pending ? next : .empty)</td><td>\(attempts)</td>\
                <td><form method="post" action="\(admin.link(.adminWebhookRedeliver(.value(id), .value(entry.eventID))))">\(admin.csrf)\
                <button class="small">Re-send</button></form></td></tr>
                """
        }
        let filtered = filter.type != nil || filter.status != nil || filter.eventID != nil
        let table: HTML = model.log.entries.isEmpty
            ? (filtered ? "<p>No delivery matches this filter.</p>" : "<p>No deliveries yet.</p>")
            : """
                <table class="delivery-log"><thead><tr><th>Event</th><th>Outcome</th><th>Attempts (time · HTTP status · duration · error)</th><th></th></tr></thead>
                <tbody>\(rows)</tbody></table>
                """
        let newest: HTML = filter.before != nil
            ? "<a href=\"\(admin.link(.adminWebhook(.value(id)), query: filter.query))\">Newest</a>" : .empty
        let older: HTML = model.log.olderBefore.map { before -> HTML in
            "<a href=\"\(admin.link(.adminWebhook(.value(id)), query: filter.query + [("before", String(before))]))\">Older →</a>"
        } ?? .empty
        return """
            <section class="card"><h2>Delivery log</h2>
            <form method="get" action="\(SiteURL.adminWebhook(.value(id)).path)" class="inline-form">\(orgField)
            <label>Event type <select name="type">\(typeOptions)</select></label>
            <label>Outcome <select name="status">\(statusOptions)</select></label>
            <label>Event id <input type="text" name="event" value="\(filter.eventID ?? "")" maxlength="64" placeholder="evt_…"></label>
            <button class="small">Filter</button></form>
            \(table)
            <p class="pager">\(newest) \(older)</p>
            </section>
            """
    }

    /// One attempt: time · HTTP status · duration · error.
    static func attemptItem(_ attempt: Attempt) -> HTML {
        let status: String = attempt.responseStatus.map { "HTTP \($0)" } ?? "no answer"
        // The worker's error for a plain bad status is that status again ("HTTP 500"): said once.
        let error: HTML = attempt.error.flatMap { e -> HTML? in
            e == status ? nil : " · <span class=\"state-bad\">\(e)</span>"
        } ?? .empty
        return "<li>\(Layout.time(attempt.at)) · \(status) · \(attempt.durationMS) ms\(error)</li>"
    }

    static func outcome(_ status: WebhookDelivery.Status) -> HTML {
        switch status {
        case .succeeded: "<span class=\"state-ok\">succeeded</span>"
        case .failed: "<span class=\"state-bad\">failed</span>"
        case .pending: "pending"
        }
    }
}
