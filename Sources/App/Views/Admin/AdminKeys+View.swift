import Foundation
import PorticoCore

extension AdminKeys {
    static func view(_ model: Model) -> HTML {
        let csrf = Layout.csrf(model.admin.csrfToken)
        let rows = model.keys.map { key -> HTML in
            let state: HTML = if let revoked = key.revokedAt {
                "revoked \(Layout.time(revoked))"
            } else if model.canManage {
                """
                <form method="post" action="\(model.admin.link(.adminKeyRevoke(.value(key.prefix))))" class="inline">\(csrf)\
                <button class="link">Revoke</button></form>
                """
            } else {
                "active"
            }
            return """
                <tr><td><code>\(key.prefix)</code></td><td>\(key.name)</td><td>\(key.createdBy)</td>\
                <td>\(Layout.time(key.createdAt))</td><td>\(Layout.time(key.lastUsedAt))</td><td>\(state)</td></tr>
                """
        }
        let shown: HTML = model.created.map { created in
            Layout.secretOnce(title: "New key: \(created.name)", values: [("API key (Portico keeps only its hash)", created.key)])
        } ?? .empty
        let form: HTML = model.canManage ? """
            <form method="post" action="\(model.admin.link(.adminKeys))" class="inline-form">\(csrf)
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
