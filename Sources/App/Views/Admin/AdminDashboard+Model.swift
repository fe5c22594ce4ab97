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
        /// The org's direct children, with the link that opens each.
        var children: [Child]

        struct Child: Sendable, Equatable {
            var slug: String
            var name: String
        }

        struct Permission: Sendable, Equatable {
            var name: String
            var granted: Bool
        }
    }
}

extension AdminDashboard.Model {
    /// Everything is in the admin's session context (the reachable orgs): no query.
    init(context: AdminContext) {
        self.init(
            admin: context.layout, orgName: context.org.name, orgSlug: context.org.slug, email: context.admin.email,
            permissions: Admin.Permission.allCases.map { .init(name: $0.rawValue, granted: context.can($0)) },
            children: context.reachable.filter { $0.parentID == context.org.id }.map { .init(slug: $0.slug, name: $0.name) }
        )
    }

    static let mock = Self(
        admin: .mock, orgName: "Demo University", orgSlug: "demo", email: "admin@demo.example",
        permissions: [.init(name: "manage_keys", granted: true), .init(name: "manage_webhooks", granted: false)],
        children: [.init(slug: "demo-nursing", name: "School of Nursing")]
    )

    static let mockHostile = Self(
        admin: .mock, orgName: "<script>alert('org')</script>", orgSlug: "demo", email: "\"<b>\"@demo.example",
        permissions: [.init(name: "manage_keys", granted: true)],
        children: [.init(slug: "x", name: "<script>alert('child')</script>")]
    )
}
