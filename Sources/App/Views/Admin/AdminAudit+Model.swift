import FluentKit
import Foundation
import PorticoCore

/// `GET /admin/audit` (any admin): the audit log of the page's org and its descendants
/// (SPEC §8), newest first, filtered by actor, action and date, 100 a page; the same
/// entries as CSV with `?format=csv`.
enum AdminAudit {
    static let pageSize = 100
    /// Pages beyond this are refused (a bounded offset): narrow the filter instead.
    static let maxPage = 1000
    /// At most this many entries go into one CSV export.
    static let csvLimit = 100_000

    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var orgName: String
        /// The filter form's values, as typed, and what is wrong with them.
        var filter: Filter
        /// Newest first.
        var entries: [Entry]
        /// 1-based.
        var page: Int
        var hasNextPage: Bool
        /// Whether entries come from more than one org (then each row names its org).
        var showsOrg: Bool

        struct Filter: Sendable, Equatable {
            var actor = ""
            var action = ""
            var from = ""
            var to = ""
            var actorError: String?
            var actionError: String?
            var fromError: String?
            var toError: String?

            var hasErrors: Bool { actorError != nil || actionError != nil || fromError != nil || toError != nil }

            /// The query of a link that keeps this filter (empty values left out).
            var query: [(String, String)] {
                [("actor", actor), ("action", action), ("from", from), ("to", to)].filter { !$0.1.isEmpty }
            }
        }

        struct Entry: Sendable, Equatable {
            var at: Date
            /// The slug of the entry's org.
            var org: String
            var actor: String
            var action: String
            var target: String?
            var ip: String?
        }
    }
}

extension AdminAudit.Model {
    /// Page `page` of the entries `search` wants; `slugs` names the orgs of the rows.
    static func query(
        search: Audit.Filter, filter: Filter, page: Int, slugs: [UUID: String], orgName: String, admin: Layout.Admin, on db: any Database
    ) async throws -> Self {
        let size = AdminAudit.pageSize
        let found = try await Audit.search(search, limit: size + 1, offset: (page - 1) * size, on: db)
        return .init(
            admin: admin, orgName: orgName, filter: filter,
            entries: found.prefix(size).map { entry in
                .init(at: entry.at, org: entry.orgID.flatMap { slugs[$0] } ?? "", actor: entry.actor, action: entry.action, target: entry.target, ip: entry.ip)
            },
            page: page, hasNextPage: found.count > size, showsOrg: search.orgIDs.count > 1
        )
    }

    static let mock = Self(
        admin: .mock, orgName: "Demo University", filter: .init(),
        entries: [
            .init(at: Date(timeIntervalSince1970: 1_767_312_000), org: "demo", actor: "admin:admin@demo.example", action: "apikey.create", target: "a1b2c3d4", ip: nil),
            .init(at: Date(timeIntervalSince1970: 1_767_225_600), org: "demo-law", actor: "user:demo-student", action: "sso.login", target: "demo-student", ip: "127.0.0.1"),
        ],
        page: 1, hasNextPage: false, showsOrg: true
    )

    /// The second page of a filtered log with one more after it.
    static let mockFiltered = Self(
        admin: .mock, orgName: "Demo University",
        filter: .init(actor: "admin:*", action: "apikey.create", from: "2026-01-01", to: "2026-01-31"),
        entries: [mock.entries[0]], page: 2, hasNextPage: true, showsOrg: false
    )

    static let mockHostile = Self(
        admin: .mock, orgName: "<script>org</script>",
        filter: .init(actor: "\"><script>alert('actor')</script>", action: "<b>a</b>", from: "\"><i>", to: "<u>",
                      actorError: "<script>e</script>", actionError: nil, fromError: "<b>f</b>", toError: nil),
        entries: [
            .init(at: Date(timeIntervalSince1970: 0), org: "<i>o</i>", actor: "user:<script>alert(1)</script>", action: "sso.login",
                  target: "\"><script>", ip: "<b>"),
        ],
        page: 1, hasNextPage: false, showsOrg: true
    )
}
