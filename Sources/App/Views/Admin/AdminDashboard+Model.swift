import Foundation
import PorticoCore

/// `GET /admin`: who is signed in, in which organization, with which permissions.
enum AdminDashboard {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var orgName: String
        var orgSlug: String
        var email: String
        var permissions: [Permission]

        struct Permission: Sendable, Equatable {
            var name: String
            var granted: Bool
        }
    }
}

extension AdminDashboard.Model {
    /// Everything is in the admin's session context: no query.
    init(context: AdminContext) {
        self.init(
            admin: context.layout, orgName: context.org.name, orgSlug: context.org.slug, email: context.admin.email,
            permissions: Admin.Permission.allCases.map { .init(name: $0.rawValue, granted: context.can($0)) }
        )
    }

    static let mock = Self(
        admin: .mock, orgName: "Demo University", orgSlug: "demo", email: "admin@demo.example",
        permissions: [.init(name: "manage_keys", granted: true), .init(name: "manage_webhooks", granted: false)]
    )

    static let mockHostile = Self(
        admin: .mock, orgName: "<script>alert('org')</script>", orgSlug: "demo", email: "\"<b>\"@demo.example",
        permissions: [.init(name: "manage_keys", granted: true)]
    )
}
