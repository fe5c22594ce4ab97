import FluentKit
import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/audit` (any admin): the log of the page's org and its descendants,
    /// newest first, filtered by `actor` (exact, or a prefix ending in `*`), `action`
    /// (exact) and `from`/`to` (YYYY-MM-DD, UTC, both days included), `page`d;
    /// `format=csv` exports every page of it (bounded) as an attachment.
    static func audit(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        let db = req.portico.store.db
        var filter = AdminAudit.Model.Filter(
            actor: String((req.queryValue("actor") ?? "").trimmingCharacters(in: .whitespaces).prefix(1000)),
            action: String((req.queryValue("action") ?? "").trimmingCharacters(in: .whitespaces).prefix(1000)),
            from: String((req.queryValue("from") ?? "").trimmingCharacters(in: .whitespaces).prefix(100)),
            to: String((req.queryValue("to") ?? "").trimmingCharacters(in: .whitespaces).prefix(100))
        )
        var search = Audit.Filter(orgIDs: Array(try await Organizations.subtreeIDs(of: context.orgID, on: db)).sorted { $0.uuidString < $1.uuidString })

        if filter.actor.count > 300 || hasControlCharacter(filter.actor) {
            filter.actorError = "An actor is at most 300 characters, without control characters."
        } else if !filter.actor.isEmpty {
            let prefix = filter.actor.hasSuffix("*")
            let actor = prefix ? String(filter.actor.dropLast()) : filter.actor
            if !(prefix && actor.isEmpty) {
                search.actor = actor
                search.actorIsPrefix = prefix
            }
        }
        if filter.action.count > 100 || hasControlCharacter(filter.action) {
            filter.actionError = "An action is at most 100 characters, without control characters."
        } else if !filter.action.isEmpty {
            search.action = filter.action
        }
        if !filter.from.isEmpty {
            if let from = day(filter.from) { search.from = from } else { filter.fromError = "Give a date as YYYY-MM-DD." }
        }
        if !filter.to.isEmpty {
            if let to = day(filter.to) {
                search.to = to.addingTimeInterval(86_400)
                if let from = search.from, from > to { filter.toError = "The end is before the start." }
            } else {
                filter.toError = "Give a date as YYYY-MM-DD."
            }
        }

        var page = 1
        if let text = req.queryValue("page"), !text.isEmpty {
            guard text.utf8.count <= 4, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let number = Int(text), (1...AdminAudit.maxPage).contains(number)
            else { throw AdminPageError.invalid("The page must be a number from 1 to \(AdminAudit.maxPage).") }
            page = number
        }
        let format = req.queryValue("format") ?? "html"
        guard format == "html" || format == "csv" else { throw AdminPageError.invalid("The format is html or csv.") }

        let slugs = Dictionary(context.reachable.map { ($0.id!, $0.slug) }, uniquingKeysWith: { first, _ in first })
        if filter.hasErrors {
            let model = AdminAudit.Model(
                admin: context.layout, orgName: context.org.name, filter: filter, entries: [], page: 1, hasNextPage: false,
                showsOrg: search.orgIDs.count > 1
            )
            return Layout.adminResponse(AdminAudit.view(model), status: .unprocessableEntity)
        }
        if format == "csv" { return try await auditCSV(search: search, slug: context.org.slug, on: db) }
        let model = try await AdminAudit.Model.query(
            search: search, filter: filter, page: page, slugs: slugs, orgName: context.org.name, admin: context.layout, on: db
        )
        return Layout.adminResponse(AdminAudit.view(model))
    }

    /// Every entry of `search` (at most `AdminAudit.csvLimit`), newest first, as CSV.
    private static func auditCSV(search: Audit.Filter, slug: String, on db: any Database) async throws -> Response {
        var csv = AdminAudit.csvHeader
        let batch = 1000
        var offset = 0
        while offset < AdminAudit.csvLimit {
            let entries = try await Audit.search(search, limit: min(batch, AdminAudit.csvLimit - offset), offset: offset, on: db)
            for entry in entries { csv += AdminAudit.csvRow(entry) }
            offset += entries.count
            if entries.count < batch { break }
        }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"audit-\(Organization.isValidSlug(slug) ? slug : "org").csv\"")
        headers.cacheControl = .init(noStore: true)
        return Response(status: .ok, headers: headers, body: .init(string: csv))
    }

    /// A C0 control character or DEL (a filter value never needs one; NUL cannot be bound).
    private static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
    }

    /// Midnight UTC of `YYYY-MM-DD` (years 1970-9999), or nil.
    static func day(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) }),
              let year = Int(text.prefix(4)), let month = Int(text.dropFirst(5).prefix(2)), let day = Int(text.suffix(2)),
              (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        guard let date = Calendar.utc.date(from: DateComponents(year: year, month: month, day: day)) else { return nil }
        let back = Calendar.utc.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        return date
    }
}
