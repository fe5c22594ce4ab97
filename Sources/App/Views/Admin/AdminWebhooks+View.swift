import Foundation
import PorticoCore

extension AdminWebhooks {
    static func view(_ model: Model) -> HTML {
        let rows = model.endpoints.map { endpoint -> HTML in
            """
            <tr><td><a href="\(model.admin.link(.adminWebhook(.value(endpoint.id))))"><code>\(endpoint.url)</code></a></td>\
            <td>\(events(endpoint.events))</td><td>\(state(endpoint))</td><td>\(endpoint.pending)</td>\
            <td>\(Layout.time(endpoint.lastSuccessAt))</td><td>\(Layout.time(endpoint.lastFailureAt))</td></tr>
            """
        }
        let list: HTML = model.endpoints.isEmpty
            ? "<p>No endpoints yet. Register one below to be sent this organization's events.</p>"
            : """
                <table><thead><tr><th>URL</th><th>Events</th><th>State</th><th>Queue</th><th>Last success</th><th>Last failure</th></tr></thead>
                <tbody>\(rows)</tbody></table>
                """
        return Layout.adminDocument(title: "Webhooks", admin: model.admin, body: """
            \(model.shownKey.map { key -> HTML in shown(key) } ?? .empty)
            <section class="card"><h1>Webhooks</h1>
            <p class="meta">Each event is sent as a signed POST (Standard Webhooks), retried when the receiver fails, \
            and kept in the endpoint's delivery log.</p>
            \(list)
            </section>
            <section class="card"><h2>Register an endpoint</h2>
            <form method="post" action="\(model.admin.link(.adminWebhooks))">\(model.admin.csrf)
            \(fields(model.form))
            <button>Register endpoint</button></form>
            </section>
            """)
    }

    /// The URL field and one checkbox per event type, with what was typed and the errors.
    static func fields(_ form: Form) -> HTML {
        let boxes = eventTypes.map { type -> HTML in
            """
            <label class="check"><input type="checkbox" name="events" value="\(type)"\(form.events.contains(type) ? " checked" : "")> <code>\(type)</code></label>
            """
        }
        let eventsError: HTML = form.eventsError.map { error -> HTML in "<small class=\"error\" id=\"f-events-error\">\(error)</small>" } ?? .empty
        return """
            \(Layout.field("URL", name: "url", value: form.url, error: form.urlError, type: "url",
                           attributes: "required maxlength=\"2000\" placeholder=\"https://example.org/portico/webhooks\"",
                           hint: "https (http only where the operator allows private targets)."))
            <fieldset class="webhook-events\(form.eventsError == nil ? "" : " has-error")"><legend>Events</legend>
            <small class="hint">None checked: every event.</small>
            \(boxes)
            \(eventsError)</fieldset>
            """
    }

    /// "all events", or the list.
    static func events(_ events: [String]?) -> HTML {
        guard let events else { return "all events" }
        return HTML(raw: events.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: " "))
    }

    /// Enabled, or disabled and why.
    static func state(_ endpoint: Endpoint) -> HTML {
        if endpoint.enabled { return "<span class=\"state-ok\">enabled</span>" }
        let why: HTML = endpoint.disabledReason.map { reason -> HTML in "<br><small>\(reason)</small>" } ?? .empty
        return "<span class=\"state-bad\">disabled</span>\(why)"
    }

    /// A signing key, this once: as the 32-hex key and in its `whsec_` form.
    static func shown(_ shown: ShownKey) -> HTML {
        Layout.secretOnce(title: shown.title, values: [
            ("Signing key (its UTF-8 bytes are the HMAC key)", shown.key),
            ("The same key for the Standard Webhooks / svix libraries", WebhookSignature.whsec(shown.key)),
        ])
    }
}
