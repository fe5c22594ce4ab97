import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/audit`: the organization's latest 200 audit entries, newest first.
    static func audit(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        let entries = try await Audit.recent(orgID: try context.org.requireID(), on: req.portico.store.db)
        let rows = entries.map { entry -> HTML in
            """
            <tr><td>\(RFC3339.string(from: entry.at))</td><td>\(entry.actor)</td><td><code>\(entry.action)</code></td>\
            <td>\(entry.target ?? "")</td><td>\(entry.ip ?? "")</td></tr>
            """
        }
        return page(title: "Audit log", context: context, body: """
            <section class="card"><h1>Audit log</h1>
            <p>The latest \(entries.count) entries of \(context.org.name): admin actions, key uses that change state, sign-ins.</p>
            <table><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>Target</th><th>Address</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>
            """)
    }
}
