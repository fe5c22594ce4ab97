import Foundation
import PorticoCore

extension AdminUsers {
    static func view(_ model: Model) -> HTML {
        let admin = model.admin
        let rows = model.rows.map { user -> HTML in
            """
            <tr><td><a href="\(admin.link(.adminUser(.value(user.partnerID))))"><code>\(user.partnerID)</code></a></td>\
            <td>\(user.email ?? "")</td><td>\(user.name)\(user.anonymous ? " (anonymous)" : "")</td>\
            <td>\(Layout.time(user.createdAt))</td></tr>
            """
        }
        let heading = model.query.isEmpty ? "Newest users" : "Users starting with “\(model.query)”"
        let results: HTML = if model.queryError != nil {
            .empty
        } else if model.rows.isEmpty {
            "<p>\(model.page > 1 ? "No more users." : "No users found.")</p>"
        } else {
            """
            <table><thead><tr><th>partner_id</th><th>Email</th><th>Name</th><th>Created</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        }
        let query: [(String, String)] = model.query.isEmpty ? [] : [("q", model.query)]
        let previous: HTML = model.page > 1
            ? "<a href=\"\(admin.link(.adminUsers, query: query + (model.page > 2 ? [("page", String(model.page - 1))] : [])))\">← Previous</a>"
            : .empty
        let next: HTML = model.hasNext && model.page < AdminUsers.maxPage
            ? "<a href=\"\(admin.link(.adminUsers, query: query + [("page", String(model.page + 1))]))\">Next →</a>"
            : .empty
        // A GET form drops the query of its action: the org goes in a hidden field.
        let org: HTML = admin.orgQuery.map { "<input type=\"hidden\" name=\"org\" value=\"\($0)\">" } ?? .empty
        return Layout.adminDocument(title: "Users", admin: admin, body: """
            <section class="card"><h1>Users</h1>
            <form method="get" action="\(admin.link(.adminUsers))">\(org)
            \(Layout.field("Search", name: "q", value: model.query, error: model.queryError, type: "search",
                           attributes: "maxlength=\"\(AdminUsers.maxQueryLength)\"",
                           hint: "The start of a partner_id (exact letter case) or of an email (any letter case)."))
            <button>Search</button></form>
            </section>
            <section class="card"><h2>\(heading)</h2>
            \(results)
            <p class="pager">\(previous)\(next)</p>
            </section>
            """)
    }
}
