import Foundation

extension AdminDashboard {
    static func view(_ model: Model) -> HTML {
        let permissions = model.permissions.map { p -> HTML in
            "<li>\(p.name): \(p.granted ? "yes" : "no")</li>"
        }
        let children: HTML = model.children.isEmpty ? "<p class=\"meta\">No child organizations.</p>" : """
            <ul>\(model.children.map { child -> HTML in
                "<li><a href=\"\(AdminLinks.link(.admin, org: child.slug))\">\(child.name)</a> <code>\(child.slug)</code></li>"
            })</ul>
            """
        return Layout.adminDocument(title: "Admin", admin: model.admin, body: """
            <section class="card"><h1>\(model.orgName)</h1>
            <p>Signed in as \(model.email). This page is about <code>\(model.orgSlug)</code>.</p>
            <h2>Child organizations</h2>\(children)
            <h2>Your permissions</h2><ul>\(permissions)</ul>
            <p class="meta">A permission granted in your organization holds in every organization below it.</p>
            </section>
            """)
    }
}
