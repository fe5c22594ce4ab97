import FluentKit
import Foundation
import PorticoCore

/// `GET /admin/admins` (`manage_org`): the admins of the page's org with their
/// permissions; create one, change permissions, remove, revoke SSO API access tokens.
enum AdminAdmins {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var orgName: String
        /// By email.
        var admins: [Row]
        /// The create form: what was typed and what is wrong with it.
        var form: Form
        /// A refused change to one admin (their row shows it).
        var rowError: RowError?

        struct Row: Sendable, Equatable {
            var id: UUID
            var email: String
            var permissions: [String]
            var createdAt: Date
            /// The signed-in admin.
            var isYou: Bool
            /// Unrevoked, unexpired SSO API access tokens.
            var liveTokens: Int
        }

        struct Form: Sendable, Equatable {
            var email: String = ""
            var permissions: [String] = []
            var emailError: String?
            var passwordError: String?
            var permissionsError: String?

            static let empty = Form()
            var hasErrors: Bool { emailError != nil || passwordError != nil || permissionsError != nil }
        }

        struct RowError: Sendable, Equatable {
            var adminID: UUID
            var message: String
        }
    }

    /// Each permission with what it allows, in the order the forms show them.
    static let permissions: [(name: String, meaning: String)] = Admin.Permission.allCases.map { permission in
        let meaning = switch permission {
        case .manageKeys: "create and revoke API keys"
        case .manageWebhooks: "webhooks and their deliveries"
        case .manageUsers: "search, view and delete users"
        case .useSSOAPI: "the SSO API (AdminApi/Authenticate)"
        case .manageOrg: "settings, apps, child organizations, admins"
        }
        return (permission.rawValue, meaning)
    }
}

extension AdminAdmins.Model {
    static func query(
        org: Organization, admin: Layout.Admin, you: UUID?, form: Form, rowError: RowError?, now: Date, on db: any Database
    ) async throws -> Self {
        let admins = try await Credentials.admins(org: org, on: db)
        let tokens = try await Credentials.liveAccessTokenCounts(adminIDs: admins.compactMap(\.id), now: now, on: db)
        return .init(
            admin: admin, orgName: org.name,
            admins: admins.map { a in
                .init(id: a.id!, email: a.email, permissions: a.permissions, createdAt: a.createdAt, isYou: a.id == you, liveTokens: tokens[a.id!] ?? 0)
            },
            form: form, rowError: rowError
        )
    }

    static let mock = Self(
        admin: .mock, orgName: "Demo University",
        admins: [
            .init(id: UUID(uuidString: "00000000-0000-0000-0000-00000000000a")!, email: "admin@demo.example",
                  permissions: Admin.Permission.allCases.map(\.rawValue), createdAt: Date(timeIntervalSince1970: 1_767_225_600), isYou: true, liveTokens: 0),
            .init(id: UUID(uuidString: "00000000-0000-0000-0000-00000000000b")!, email: "support@demo.example",
                  permissions: ["manage_users"], createdAt: Date(timeIntervalSince1970: 1_767_312_000), isYou: false, liveTokens: 2),
        ],
        form: .empty, rowError: nil
    )

    /// A create form sent back with errors.
    static let mockInvalid = Self(
        admin: .mock, orgName: "Demo University", admins: mock.admins,
        form: .init(email: "ops@demo.example", permissions: ["manage_keys"], emailError: "An admin with this email already exists.",
                    passwordError: "Use at least 12 characters.", permissionsError: nil),
        rowError: .init(adminID: UUID(uuidString: "00000000-0000-0000-0000-00000000000a")!, message: "You cannot remove yourself.")
    )

    static let mockHostile = Self(
        admin: .mock, orgName: "<script>alert('org')</script>",
        admins: [
            .init(id: UUID(uuidString: "00000000-0000-0000-0000-00000000000c")!, email: "\"><script>alert(1)</script>@x.example",
                  permissions: ["<b>manage</b>", "manage_org"], createdAt: Date(timeIntervalSince1970: 0), isYou: false, liveTokens: 1),
        ],
        form: .init(email: "\"><script>alert('email')</script>", permissions: ["\"><i>"], emailError: "<script>e</script>",
                    passwordError: "<b>p</b>", permissionsError: "<i>perm</i>"),
        rowError: .init(adminID: UUID(uuidString: "00000000-0000-0000-0000-00000000000c")!, message: "<script>row</script>")
    )
}
