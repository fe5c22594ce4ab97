import Foundation
import PorticoCore
import SQLKit

/// `GET /admin/users?q=TEXT&page=N`: the org's users whose partner_id (case-sensitive)
/// or email (case-insensitive) starts with `q`, a page at a time; without `q`, the
/// newest users.
enum AdminUsers {
    /// Users per page.
    static let pageSize = 50
    /// The last page one may ask for (keeps the offset small and in range).
    static let maxPage = 10_000
    /// The longest search text (an email is at most 320 characters).
    static let maxQueryLength = 320

    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var query: String
        /// What is wrong with `query` (then nothing was searched).
        var queryError: String?
        var page: Int
        var rows: [Row]
        var hasNext: Bool

        struct Row: Sendable, Equatable {
            var partnerID: String
            var email: String?
            var name: String
            var anonymous: Bool
            var createdAt: Date
        }
    }
}

extension AdminUsers.Model {
    /// The search text's problem, if any: too long, or a control character.
    static func problem(query: String) -> String? {
        if query.count > AdminUsers.maxQueryLength { return "Search text is limited to \(AdminUsers.maxQueryLength) characters." }
        if query.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "Search text must not contain control characters."
        }
        return nil
    }

    static func query(orgID: UUID, admin: Layout.Admin, query: String, page: Int, now: Date, on sql: any SQLDatabase) async throws -> Self {
        if let error = problem(query: query) {
            return .init(admin: admin, query: query, queryError: error, page: 1, rows: [], hasNext: false)
        }
        let result = try await Users.search(
            orgID: orgID, query: query, offset: (page - 1) * AdminUsers.pageSize, limit: AdminUsers.pageSize, now: now, on: sql
        )
        return .init(
            admin: admin, query: query, queryError: nil, page: page,
            rows: result.users.map { user in
                .init(partnerID: user.partnerID, email: user.email, name: displayName(user), anonymous: user.anonymous, createdAt: user.createdAt)
            },
            hasNext: result.hasMore
        )
    }

    /// First and last name, space-joined ("" when both are empty).
    static func displayName(_ user: UserRecord) -> String {
        [user.firstName, user.lastName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    static let mock = Self(
        admin: .mock, query: "", queryError: nil, page: 1,
        rows: [
            .init(partnerID: "ann-lee", email: "ann@xyz.edu", name: "Ann Lee", anonymous: false, createdAt: Date(timeIntervalSince1970: 1_767_225_600)),
            .init(partnerID: "anon-a1b2c3d4e5f6g7h8i9j0", email: nil, name: "", anonymous: true, createdAt: Date(timeIntervalSince1970: 1_767_312_000)),
        ],
        hasNext: true
    )

    static let mockEmpty = Self(admin: .mock, query: "nobody", queryError: nil, page: 1, rows: [], hasNext: false)

    /// A refused search: the message beside the field, no results.
    static let mockInvalid = Self(admin: .mock, query: "\"><script>q</script>", queryError: "<script>error</script>", page: 1, rows: [], hasNext: false)

    static let mockHostile = Self(
        admin: .mock, query: "\"><script>q</script>", queryError: nil, page: 2,
        rows: [.init(partnerID: "x_y", email: "\"><script>alert('mail')</script>@e.example", name: "<b>O'Neil & co</b>",
                     anonymous: false, createdAt: Date(timeIntervalSince1970: 0))],
        hasNext: true
    )
}
