import Foundation
import PorticoCore

extension AdminKeys {
    static func view(_ model: Model) -> HTML {
        let csrf = Layout.csrf(model.admin.csrfToken)
        let rows = model.keys.map { key -> HTML in
            let state: HTML = if let revoked = key.revokedAt {
                "revoked \(RFC3339.string(from: revoked))"
            } else if model.canManage {
                """
                <form method="post" action="\(SiteURL.adminKeyRevoke(.value(key.prefix)).path)" class="inline">\(csrf)\
                <button class="link">Revoke</button></form>
                """
            } else {
                "active"
            }
            return """
                <tr><td><code>\(key.prefix)</code></td><td>\(key.name)</td><td>\(key.createdBy)</td>\
                <td>\(RFC3339.string(from: key.createdAt))</td><td>\(key.lastUsedAt.map(RFC3339.string(from:)) ?? "never")</td><td>\(state)</td></tr>
                """
        }
        let shown: HTML = model.created.map { created in
            """
            <section class="card notice" role="status"><h2>New key: \(created.name)</h2>
            <p>Copy it now. It is shown only this once; Portico keeps only its hash.</p>
            <p><code class="secret">\(created.key)</code></p></section>
            """
        } ?? .empty
        let form: HTML = model.canManage ? """
            <form method="post" action="\(SiteURL.adminKeys.path)" class="inline-form">\(csrf)
            <label>Name <input name="name" maxlength="100" placeholder="LMS production"></label>
            <button>Create key</button></form>
            """ : "<p>Creating and revoking keys takes the manage_keys permission.</p>"
        return Layout.adminDocument(title: "API keys", admin: model.admin, body: """
            \(shown)
            <section class="card"><h1>API keys</h1>
            \(form)
            <table><thead><tr><th>Prefix</th><th>Name</th><th>Created by</th><th>Created</th><th>Last used</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>
            """)
    }
}
