import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/keys`: every admin of the org sees the list (prefix, name, creator,
    /// last use); creating and revoking take `manage_keys`.
    static func keys(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        return try await keysPage(req: req, context: context, created: nil)
    }

    /// `POST /admin/keys`: creates a key and shows it, this once.
    static func createKey(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageKeys)
        let name = (try? req.content.get(String.self, at: "name")) ?? ""
        let created: (key: String, record: APIKey)
        do {
            created = try await Credentials.createAPIKey(
                org: context.org, name: name, createdBy: "admin:" + context.admin.email, now: req.portico.clock.now(), store: req.portico.store
            )
        } catch let error as PorticoError {
            throw AdminPageError.invalid(error.description)
        }
        return try await keysPage(req: req, context: context, created: created)
    }

    /// `POST /admin/keys/:prefix/revoke`.
    static func revokeKey(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageKeys)
        let prefix = req.parameters.get("prefix") ?? ""
        do {
            _ = try await Credentials.revokeAPIKey(
                org: context.org, prefix: prefix, actor: "admin:" + context.admin.email, now: req.portico.clock.now(), store: req.portico.store
            )
        } catch let error as PorticoError {
            if case .notFound = error { throw AdminPageError.notFound("There is no active API key with that prefix.") }
            throw AdminPageError.invalid(error.description)
        }
        return Layout.redirect(to: SiteURL.adminKeys.path)
    }

    private static func keysPage(req: Request, context: AdminContext, created: (key: String, record: APIKey)?) async throws -> Response {
        let keys = try await Credentials.apiKeys(org: context.org, on: req.portico.store.db)
        let manage = context.can(.manageKeys)
        let rows = keys.reversed().map { key -> HTML in
            let state: HTML = if let revoked = key.revokedAt {
                "revoked \(RFC3339.string(from: revoked))"
            } else if manage {
                """
                <form method="post" action="\(SiteURL.adminKeyRevoke(.value(key.prefix)).path)" class="inline">\(csrf(context))\
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
        let shown: HTML = created.map { created in
            """
            <section class="card notice" role="status"><h2>New key: \(created.record.name)</h2>
            <p>Copy it now. It is shown only this once; Portico keeps only its hash.</p>
            <p><code class="secret">\(created.key)</code></p></section>
            """
        } ?? .empty
        let form: HTML = manage ? """
            <form method="post" action="\(SiteURL.adminKeys.path)" class="inline-form">\(csrf(context))
            <label>Name <input name="name" maxlength="100" placeholder="LMS production"></label>
            <button>Create key</button></form>
            """ : "<p>Creating and revoking keys takes the manage_keys permission.</p>"
        return page(title: "API keys", context: context, body: """
            \(shown)
            <section class="card"><h1>API keys</h1>
            \(form)
            <table><thead><tr><th>Prefix</th><th>Name</th><th>Created by</th><th>Created</th><th>Last used</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>
            """)
    }
}
