import Foundation
import PorticoCore

extension AdminOrgs {
    static func view(_ model: Model) -> HTML {
        let rows = model.orgs.map { org -> HTML in
            let indent = String(repeating: "— ", count: max(0, org.depth - 1))
            return """
                <tr><td>\(indent)<a href="\(AdminLinks.link(.admin, org: org.slug))"><code>\(org.slug)</code></a></td>\
                <td>\(org.name)</td><td><code>\(org.parentSlug)</code></td><td>\(Layout.time(org.createdAt))</td>\
                <td><a href="\(AdminLinks.link(.admin, org: org.slug))">Open</a> · \
                <a href="\(AdminLinks.link(.adminSettings, org: org.slug))">Settings</a></td></tr>
                """
        }
        let list: HTML = model.orgs.isEmpty ? "<p>This organization has no child organizations yet.</p>" : """
            <table><thead><tr><th>Slug</th><th>Name</th><th>Parent</th><th>Created</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        return Layout.adminDocument(title: "Organizations", admin: model.admin, body: """
            <section class="card"><h1>Child organizations</h1>
            <p>Organizations below \(model.admin.orgName). As an admin here you manage each of them: open one to see its pages.</p>
            \(list)
            </section>
            <section class="card" id="create"><h2>New child organization</h2>
            \(model.formError.map { e -> HTML in "<p class=\"error\" role=\"alert\">\(e)</p>" } ?? .empty)\
            <form method="post" action="\(model.admin.link(.adminOrgs))">\(model.admin.csrf)
            \(Layout.field("Slug", name: "slug", value: model.form.slug, error: model.errors["slug"],
                           attributes: "maxlength=\"63\" autocomplete=\"off\" spellcheck=\"false\" required",
                           hint: "2-63 lowercase letters, digits and dashes, starting with a letter or digit; it cannot change later."))
            \(Layout.field("Name", name: "name", value: model.form.name, error: model.errors["name"],
                           attributes: "maxlength=\"200\" required"))
            <button>Create organization</button>
            </form></section>
            """)
    }
}
