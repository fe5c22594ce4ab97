import Foundation
import PorticoCore

extension AdminApps {
    static func view(_ model: Model) -> HTML {
        let rows = model.apps.map { app -> HTML in
            let state: HTML = app.enabled ? "<span class=\"state-ok\">enabled</span>" : "<span class=\"state-bad\">disabled</span>"
            return """
            <tr><td><a href="\(model.admin.link(.adminApp(.value(app.slug))))"><code>\(app.slug)</code></a></td><td>\(app.name)</td>\
            <td><code>\(app.launchURL)</code></td>\
            <td>\(state)</td>\
            <td>\(Layout.time(app.createdAt))</td></tr>
            """
        }
        let shown: HTML = model.created.map { created in
            Layout.secretOnce(
                title: "New app: \(created.name) (\(created.slug))",
                values: [("Launch key k, for /jsp/api/getUserId (Portico keeps only its hash)", created.key)]
            )
        } ?? .empty
        let list: HTML = model.apps.isEmpty
            ? "<p>No partner apps yet.</p>"
            : """
                <table><thead><tr><th>Slug</th><th>Name</th><th>Launch URL</th><th>State</th><th>Created</th></tr></thead>
                <tbody>\(rows)</tbody></table>
                """
        let form = model.form
        return Layout.adminDocument(title: "Partner apps", admin: model.admin, body: """
            \(shown)
            <section class="card"><h1>Partner apps</h1>
            <p class="meta">Sites that members are launched to from their dashboard, with a launch code the site exchanges for who they are.</p>
            \(list)
            </section>
            <section class="card"><h2>Create an app</h2>
            <form method="post" action="\(model.admin.link(.adminApps))">\(model.admin.csrf)
            \(Layout.field("Slug", name: "slug", value: form.slug, error: form.errors[.slug], attributes: "maxlength=\"63\" required",
                           hint: "Lowercase letters, digits and '-'; members launch it at /launch/{slug}."))
            \(Layout.field("Name", name: "name", value: form.name, error: form.errors[.name], attributes: "maxlength=\"200\" required",
                           hint: "Shown on the member's launch button."))
            \(Layout.field("Launch URL", name: "launch_url", value: form.launchURL, error: form.errors[.launchURL], type: "url",
                           attributes: "maxlength=\"2048\" required", hint: "https (http only for loopback hosts); t=<code> is added to its query."))
            <button>Create app</button></form>
            </section>
            """)
    }
}
