import FluentKit
import Foundation
import PorticoCore

/// `GET|POST /admin/apps/{slug}`: one partner app. Its launch section (name, launch URL,
/// key `k`: rotate, shown once), its OpenID Connect section (`client_id`, public or
/// confidential, redirect and post-logout URIs, client secret: rotate, shown once) and
/// its state (enable / disable).
enum AdminApp {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var app: App
        /// The launch form: the stored values, or what was typed when it was refused.
        var launch: LaunchForm
        /// The OpenID Connect form: the stored lists, or what was typed when it was refused.
        var client: ClientForm
        /// A secret just issued (the key `k` or the client secret after a rotation): shown this once.
        var secret: Secret?

        struct App: Sendable, Equatable {
            var slug: String
            var name: String
            var launchURL: String
            var enabled: Bool
            var createdAt: Date
            var updatedAt: Date
            var clientID: String
            var isPublic: Bool
            var hasClientSecret: Bool
        }

        struct ClientForm: Sendable, Equatable {
            /// One per line.
            var redirectURIs: String
            var postLogoutRedirectURIs: String
            var error: String?
        }

        struct LaunchForm: Sendable, Equatable {
            var name: String
            var launchURL: String
            var errors: [PartnerApps.Field: String] = [:]
        }

        struct Secret: Sendable, Equatable {
            var title: String
            var label: String
            var value: String
        }
    }
}

extension AdminApp.Model {
    /// The page of `app`, its form filled with the stored values unless `launch` is given.
    static func make(app: PartnerApp, admin: Layout.Admin, launch: LaunchForm? = nil, client: ClientForm? = nil, secret: Secret? = nil) -> Self {
        .init(
            admin: admin,
            app: .init(slug: app.slug, name: app.name, launchURL: app.launchURL, enabled: app.enabled,
                       createdAt: app.createdAt, updatedAt: app.updatedAt, clientID: app.clientID ?? "", isPublic: app.isPublic,
                       hasClientSecret: app.clientSecretHash != nil),
            launch: launch ?? .init(name: app.name, launchURL: app.launchURL),
            client: client ?? .init(
                redirectURIs: app.redirectURIs.joined(separator: "\n"), postLogoutRedirectURIs: app.postLogoutRedirectURIs.joined(separator: "\n")
            ),
            secret: secret
        )
    }

    /// The client secret after `rotate-secret`, or the first one when redirect URIs were added.
    static func newClientSecret(_ secret: String) -> Secret {
        .init(title: "New client secret", label: "client_secret (the old one no longer works; Portico keeps only the hash)", value: secret)
    }

    /// The key `k` after `rotate-key`.
    static func newKey(_ key: String) -> Secret {
        .init(title: "New launch key", label: "Launch key k (the old one no longer works; Portico keeps only the hash)", value: key)
    }

    static let mock = Self(
        admin: .mock,
        app: .init(slug: "tutoring", name: "Demo Tutoring", launchURL: "https://tutoring.demo.example/launch", enabled: true,
                   createdAt: Date(timeIntervalSince1970: 1_764_547_200), updatedAt: Date(timeIntervalSince1970: 1_767_225_600),
                   clientID: "app_0123456789abcdef01234567", isPublic: false, hasClientSecret: true),
        launch: .init(name: "Demo Tutoring", launchURL: "https://tutoring.demo.example/launch"),
        client: .init(redirectURIs: "https://tutoring.demo.example/oidc/callback", postLogoutRedirectURIs: "https://tutoring.demo.example/"),
        secret: nil
    )

    static let mockRotated = Self(
        admin: .mock, app: mock.app, launch: mock.launch, client: mock.client, secret: newKey("a1b2c3d4e5f60718293a4b5c6d7e8f90")
    )

    static let mockDisabled: Self = {
        var model = mock
        model.app.enabled = false
        return model
    }()

    static let mockHostile = Self(
        admin: .mock,
        app: .init(slug: "x\"><script>", name: "<script>alert('app')</script>", launchURL: "https://e.example/?a=\"><script>x</script>",
                   enabled: true, createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0),
                   clientID: "\"><script>id</script>", isPublic: false, hasClientSecret: true),
        launch: .init(name: "\"><script>name</script>", launchURL: "javascript:alert('x')\"><b>",
                      errors: [.name: "<script>error</script>", .launchURL: "\"><i>bad</i>"]),
        client: .init(redirectURIs: "</textarea><script>r</script>", postLogoutRedirectURIs: "\"><b>p</b>", error: "<script>e</script>"),
        secret: .init(title: "<script>title</script>", label: "<b>label</b>", value: "\"><script>secret</script>")
    )
}
