import Foundation
import PorticoCore

extension AdminApp {
    static func view(_ model: Model) -> HTML {
        let app = model.app
        let admin = model.admin
        let shown: HTML = model.secret.map { Layout.secretOnce(title: $0.title, values: [($0.label, $0.value)]) } ?? .empty
        let state: HTML = app.enabled
            ? "<span class=\"state-ok\">enabled</span>"
            : "<span class=\"state-bad\">disabled</span>: members cannot launch it and its key is refused"
        let toggle: SiteURL.AdminAppAction = app.enabled ? .disable : .enable
        return Layout.adminDocument(title: "App \(app.slug)", admin: admin, body: """
            \(shown)
            <p><a href="\(admin.link(.adminApps))">← All apps</a></p>
            <section class="card"><h1>\(app.name) <code>\(app.slug)</code></h1>
            <p>\(state)</p>
            <p class="meta">Created \(Layout.time(app.createdAt)) · changed \(Layout.time(app.updatedAt))</p>
            <form method="post" action="\(admin.link(.adminAppAction(.value(app.slug), toggle)))" class="inline-form">\(admin.csrf)\
            <button class="small\(app.enabled ? " danger" : "")">\(app.enabled ? "Disable app" : "Enable app")</button></form>
            </section>
            \(launchSection(model))
            \(clientSection(model))
            """)
    }

    /// OpenID Connect (SPEC §10): client_id, redirect and post-logout URIs, the client secret.
    private static func clientSection(_ model: Model) -> HTML {
        let admin = model.admin
        let app = model.app
        let form = model.client
        let kind: HTML = app.isPublic
            ? "Public client: no secret; it must use PKCE (S256)."
            : app.hasClientSecret ? "Confidential client: authenticates with its client secret (HTTP Basic or form)."
            : "Confidential client: it gets its client secret when it gets its first redirect URI."
        let rotate: HTML = app.isPublic || !app.hasClientSecret ? .empty : """
            <h3>Client secret</h3>
            <p class="meta">Portico keeps only its hash, so a lost secret can only be replaced; the old one stops working at once. \
            The launch key k is never accepted as the client secret.</p>
            <form method="post" action="\(admin.link(.adminAppAction(.value(app.slug), .rotateSecret)))" class="inline-form">\(admin.csrf)\
            <button class="small">Rotate client secret</button></form>
            """
        return """
            <section class="card"><h2>OpenID Connect</h2>
            <p>client_id <code>\(app.clientID)</code></p>
            <p class="meta">\(kind) Discovery: <code>/.well-known/openid-configuration</code>.</p>
            <form method="post" action="\(admin.link(.adminAppAction(.value(app.slug), .client)))">\(admin.csrf)
            \(Layout.textArea("Redirect URIs", name: "redirect_uris", value: form.redirectURIs, error: form.error,
                              hint: "One per line: https (http only on 127.0.0.1, [::1], localhost), matched exactly, port included."))
            \(Layout.textArea("Post-logout redirect URIs", name: "post_logout_redirect_uris", value: form.postLogoutRedirectURIs,
                              hint: "One per line: where RP-initiated logout may send the member back."))
            <button>Save</button></form>
            \(rotate)
            </section>
            """
    }

    /// Launch codes (SPEC §6): name, launch URL and the key `k`.
    private static func launchSection(_ model: Model) -> HTML {
        let admin = model.admin
        let slug = model.app.slug
        let form = model.launch
        guard !model.app.launchURL.isEmpty else {
            return """
                <section class="card"><h2>Name</h2>
                <p class="meta">This app has no launch URL and no launch key: it signs members in with OpenID Connect only.</p>
                <form method="post" action="\(admin.link(.adminApp(.value(slug))))">\(admin.csrf)
                \(Layout.field("Name", name: "name", value: form.name, error: form.errors[.name], attributes: "maxlength=\"200\" required"))
                <button>Save</button></form>
                </section>
                """
        }
        return """
            <section class="card"><h2>Launch</h2>
            <form method="post" action="\(admin.link(.adminApp(.value(slug))))">\(admin.csrf)
            \(Layout.field("Name", name: "name", value: form.name, error: form.errors[.name], attributes: "maxlength=\"200\" required",
                           hint: "Shown on the member's launch button."))
            \(Layout.field("Launch URL", name: "launch_url", value: form.launchURL, error: form.errors[.launchURL], type: "url",
                           attributes: "maxlength=\"2048\" required", hint: "https (http only for loopback hosts); t=<code> is added to its query."))
            <button>Save</button></form>
            <h3>Launch key k</h3>
            <p class="meta">The app's server sends k with each code to /jsp/api/getUserId. Portico keeps only its hash, \
            so a lost key can only be replaced; the old one stops working at once.</p>
            <form method="post" action="\(admin.link(.adminAppAction(.value(slug), .rotateKey)))" class="inline-form">\(admin.csrf)\
            <button class="small">Rotate key</button></form>
            </section>
            """
    }
}
