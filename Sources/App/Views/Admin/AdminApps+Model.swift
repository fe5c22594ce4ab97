import FluentKit
import Foundation
import PorticoCore

/// `GET|POST /admin/apps`: the org's partner apps (slug, name, launch URL, client id,
/// enabled) and the form to create one; right after creating one, its key `k` and/or its
/// client secret, this once.
enum AdminApps {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        /// By slug.
        var apps: [Row]
        /// The create form: what was typed, and what is wrong with it.
        var form: Form
        var created: Created?

        struct Row: Sendable, Equatable {
            var slug: String
            var name: String
            var launchURL: String
            var clientID: String
            var enabled: Bool
            var createdAt: Date
        }

        struct Form: Sendable, Equatable {
            var slug = ""
            var name = ""
            var launchURL = ""
            /// One per line, as typed.
            var redirectURIs = ""
            var postLogoutRedirectURIs = ""
            var isPublic = false
            /// A message per field (the rules of `PartnerApps.problems`).
            var errors: [PartnerApps.Field: String] = [:]

            static let empty = Form()
        }

        /// An app just created: the only time its key and client secret are shown.
        struct Created: Sendable, Equatable {
            var slug: String
            var name: String
            var key: String?
            var clientID: String
            var clientSecret: String?
        }
    }
}

extension AdminApps.Model {
    static func query(org: Organization, admin: Layout.Admin, form: Form, created: Created?, on db: any Database) async throws -> Self {
        let apps = try await PartnerApps.all(org: org, on: db)
        return .init(
            admin: admin,
            apps: apps.map {
                .init(slug: $0.slug, name: $0.name, launchURL: $0.launchURL, clientID: $0.clientID ?? "", enabled: $0.enabled, createdAt: $0.createdAt)
            },
            form: form, created: created
        )
    }

    static let mock = Self(
        admin: .mock,
        apps: [
            .init(slug: "tutoring", name: "Demo Tutoring", launchURL: "https://tutoring.demo.example/launch",
                  clientID: "app_0123456789abcdef01234567", enabled: true, createdAt: Date(timeIntervalSince1970: 1_767_225_600)),
            .init(slug: "old-portal", name: "Old portal", launchURL: "https://old.demo.example/sso?from=portico",
                  clientID: "app_89abcdef0123456789abcdef", enabled: false,
                  createdAt: Date(timeIntervalSince1970: 1_764_547_200)),
        ],
        form: .empty, created: nil
    )

    static let mockCreated = Self(
        admin: .mock, apps: mock.apps, form: .empty,
        created: .init(
            slug: "tutoring", name: "Demo Tutoring", key: "a1b2c3d4e5f60718293a4b5c6d7e8f90", clientID: "app_0123456789abcdef01234567",
            clientSecret: "q8ChRIdQ1b7Yb2eJm9k4Wb8lN0sZ1cT6uV3xA5yE7gH"
        )
    )

    /// A refused form: every field wrong, what was typed kept.
    static let mockInvalid = Self(
        admin: .mock, apps: mock.apps,
        form: .init(slug: "Bad Slug", name: "", launchURL: "http://example.com/x",
                    errors: [.slug: "app slug must match ^[a-z0-9][a-z0-9-]{1,62}$", .name: "name must be 1-200 characters",
                             .launchURL: "launch URL must be https (http only for loopback hosts)"]),
        created: nil
    )

    static let mockHostile = Self(
        admin: .mock,
        apps: [.init(slug: "x\"><script>", name: "<script>alert('app')</script>", launchURL: "https://e.example/?a=\"><script>x</script>",
                     clientID: "<script>id</script>", enabled: true, createdAt: Date(timeIntervalSince1970: 0))],
        form: .init(slug: "\"><script>slug</script>", name: "<b onmouseover='x'>", launchURL: "javascript:alert(1)\"><script>",
                    redirectURIs: "</textarea><script>x</script>", errors: [.slug: "<script>error</script>", .redirectURIs: "<b>x</b>"]),
        created: .init(slug: "x\"><script>", name: "<script>created</script>", key: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                       clientID: "\"><script>", clientSecret: "<script>secret</script>")
    )
}
