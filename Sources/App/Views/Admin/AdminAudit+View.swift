import Foundation
import PorticoCore

extension AdminAudit {
    static func view(_ model: Model) -> HTML {
        let rows = model.entries.map { entry -> HTML in
            """
            <tr><td>\(RFC3339.string(from: entry.at))</td><td>\(entry.actor)</td><td><code>\(entry.action)</code></td>\
            <td>\(entry.target ?? "")</td><td>\(entry.ip ?? "")</td></tr>
            """
        }
        return Layout.adminDocument(title: "Audit log", admin: model.admin, body: """
            <section class="card"><h1>Audit log</h1>
            <p>The latest \(model.entries.count) entries of \(model.orgName): admin actions, key uses that change state, sign-ins.</p>
            <table><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>Target</th><th>Address</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>
            """)
    }
}
