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
            """)
    }

    /// Launch codes (SPEC §6): name, launch URL and the key `k`.
    private static func launchSection(_ model: Model) -> HTML {
        let admin = model.admin
        let slug = model.app.slug
        let form = model.launch
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
