import Foundation

extension AdminDashboard {
    static func view(_ model: Model) -> HTML {
        let permissions = model.permissions.map { p -> HTML in
            "<li>\(p.name): \(p.granted ? "yes" : "no")</li>"
        }
        return Layout.adminDocument(title: "Admin", admin: model.admin, body: """
            <section class="card"><h1>\(model.orgName)</h1>
            <p>Signed in as \(model.email) in <code>\(model.orgSlug)</code>.</p>
            <h2>Your permissions</h2><ul>\(permissions)</ul>
            <p><a href="\(SiteURL.adminKeys.path)">API keys</a> · <a href="\(SiteURL.adminAudit.path)">Audit log</a></p>
            </section>
            """)
    }
}
