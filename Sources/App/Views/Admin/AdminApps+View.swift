import Foundation
import PorticoCore

extension AdminApps {
    static func view(_ model: Model) -> HTML {
        let rows = model.apps.map { app -> HTML in
            let state: HTML = app.enabled ? "<span class=\"state-ok\">enabled</span>" : "<span class=\"state-bad\">disabled</span>"
            return """
            <tr><td><a href="\(model.admin.link(.adminApp(.value(app.slug))))"><code>\(app.slug)</code></a></td><td>\(app.name)</td>\
            <td>\(app.launchURL.isEmpty ? "—" : HTML("<code>\(app.launchURL)</code>"))</td><td><code>\(app.clientID)</code></td>\
            <td>\(state)</td>\
            <td>\(Layout.time(app.createdAt))</td></tr>
            """
        }
        let shown: HTML = model.created.map { created in
            Layout.secretOnce(
                title: "New app: \(created.name) (\(created.slug))",
                values: (created.key.map { [("Launch key k, for /jsp/api/getUserId (Portico keeps only its hash)", $0)] } ?? [])
                    + [("OpenID Connect client_id", created.clientID)]
                    + (created.clientSecret.map { [("OpenID Connect client_secret (Portico keeps only its hash)", $0)] } ?? [])
            )
        } ?? .empty
        let list: HTML = model.apps.isEmpty
            ? "<p>No partner apps yet.</p>"
            : """
                <table><thead><tr><th>Slug</th><th>Name</th><th>Launch URL</th><th>Client ID</th><th>State</th><th>Created</th></tr></thead>
                <tbody>\(rows)</tbody></table>
                """
        let form = model.form
        return Layout.adminDocument(title: "Partner apps", admin: model.admin, body: """
            \(shown)
            <section class="card"><h1>Partner apps</h1>
            <p class="meta">Sites that members are launched to from their dashboard, with a launch code the site exchanges for who they are, \
            and OpenID Connect clients that sign members in through <code>/.well-known/openid-configuration</code>.</p>
            \(list)
            </section>
            <section class="card"><h2>Create an app</h2>
            <form method="post" action="\(model.admin.link(.adminApps))">\(model.admin.csrf)
            \(Layout.field("Slug", name: "slug", value: form.slug, error: form.errors[.slug], attributes: "maxlength=\"63\" required",
                           hint: "Lowercase letters, digits and '-'; members launch it at /launch/{slug}."))
            \(Layout.field("Name", name: "name", value: form.name, error: form.errors[.name], attributes: "maxlength=\"200\" required",
                           hint: "Shown on the member's launch button."))
            \(Layout.field("Launch URL", name: "launch_url", value: form.launchURL, error: form.errors[.launchURL], type: "url",
                           attributes: "maxlength=\"2048\"",
                           hint: "Optional: for launch codes. https (http only for loopback hosts); t=<code> is added to its query."))
            \(Layout.textArea("OpenID Connect redirect URIs", name: "redirect_uris", value: form.redirectURIs, error: form.errors[.redirectURIs],
                              hint: "Optional, one per line: https (http only on 127.0.0.1, [::1], localhost), matched exactly. An app needs a launch URL or a redirect URI."))
            \(Layout.textArea("Post-logout redirect URIs", name: "post_logout_redirect_uris", value: form.postLogoutRedirectURIs,
                              hint: "Optional, one per line: where RP-initiated logout may send the member back."))
            <div class="field"><label><input type="checkbox" name="public" value="1"\(form.isPublic ? HTML(" checked") : .empty)> \
            Public client (no secret, PKCE required, no launch URL)</label></div>
            <button>Create app</button></form>
            </section>
            """)
    }
}
