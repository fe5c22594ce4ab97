import Foundation
import PorticoCore

extension AdminAudit {
    static func view(_ model: Model) -> HTML {
        let rows = model.entries.map { entry -> HTML in
            """
            <tr><td>\(Layout.time(entry.at))</td>\(model.showsOrg ? "<td><code>\(entry.org)</code></td>" as HTML : .empty)\
            <td>\(entry.actor)</td><td><code>\(entry.action)</code></td><td>\(entry.target ?? "")</td><td>\(entry.ip ?? "")</td></tr>
            """
        }
        let filter = model.filter
        // A GET form drops its action's query: the org travels in a hidden field.
        let org: HTML = model.admin.orgQuery.map { slug -> HTML in "<input type=\"hidden\" name=\"org\" value=\"\(slug)\">" } ?? .empty
        let previous: HTML = model.page > 1
            ? "<a href=\"\(model.admin.link(.adminAudit, query: filter.query + (model.page > 2 ? [("page", String(model.page - 1))] : [])))\" rel=\"prev\">← Newer</a>"
            : .empty
        let next: HTML = model.hasNextPage
            ? "<a href=\"\(model.admin.link(.adminAudit, query: filter.query + [("page", String(model.page + 1))]))\" rel=\"next\">Older →</a>"
            : .empty
        let empty: HTML = model.entries.isEmpty ? "<p>No entries match.</p>" : .empty
        return Layout.adminDocument(title: "Audit log", admin: model.admin, body: """
            <section class="card"><h1>Audit log</h1>
            <p>Admin actions, key uses that change state and sign-ins in \(model.orgName) and the organizations below it, newest first.</p>
            <form method="get" action="\(SiteURL.adminAudit.path)" class="inline-form">\(org)
            \(Layout.field("Actor", name: "actor", value: filter.actor, error: filter.actorError, attributes: "maxlength=\"300\"",
                           hint: "Exact, or ending in * for a prefix (admin:*)"))
            \(Layout.field("Action", name: "action", value: filter.action, error: filter.actionError, attributes: "maxlength=\"100\"",
                           hint: "Exact, e.g. apikey.create"))
            \(Layout.field("From", name: "from", value: filter.from, error: filter.fromError, type: "date", hint: "YYYY-MM-DD, UTC"))
            \(Layout.field("To", name: "to", value: filter.to, error: filter.toError, type: "date", hint: "YYYY-MM-DD, included"))
            <button>Filter</button> <a href="\(model.admin.link(.adminAudit))">Clear</a>
            </form>
            <p><a href="\(model.admin.link(.adminAudit, query: filter.query + [("format", "csv")]))">Download as CSV</a> \
            <span class="meta">(these filters, every page, at most \(AdminAudit.csvLimit) entries)</span></p>
            <table><thead><tr><th>When</th>\(model.showsOrg ? "<th>Org</th>" as HTML : .empty)<th>Who</th><th>What</th><th>Target</th><th>Address</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            \(empty)
            <nav class="pager" aria-label="Pages">\(previous)<span class="meta">Page \(model.page)</span>\(next)</nav>
            </section>
            """)
    }

    /// The CSV export's header row (SPEC §8).
    static let csvHeader = "time,actor,action,target,address\r\n"

    /// One CSV row (RFC 4180, CRLF).
    static func csvRow(_ entry: Audit.Entry) -> String {
        [RFC3339.string(from: entry.at), entry.actor, entry.action, entry.target ?? "", entry.ip ?? ""].map(csvField).joined(separator: ",") + "\r\n"
    }

    /// A field as a spreadsheet may safely open it: one starting with `=`, `+`, `-`, `@`,
    /// a tab or a CR gets a leading apostrophe (no formula), then a field holding a comma,
    /// a quote or a line break is quoted, its quotes doubled.
    static func csvField(_ text: String) -> String {
        var field = text
        if let first = field.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { field = "'" + field }
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
