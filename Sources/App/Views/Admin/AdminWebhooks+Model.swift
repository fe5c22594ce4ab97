import FluentKit
import Foundation
import PorticoCore

/// `GET|POST /admin/webhooks`: the org's webhook endpoints with how their deliveries
/// stand, and the form that registers one; right after registering, its signing key,
/// this once.
enum AdminWebhooks {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        /// Oldest first, as registered.
        var endpoints: [Endpoint]
        /// The register form: what was typed and what is wrong with it.
        var form: Form
        /// The key of an endpoint just registered: the only time the list page shows it.
        var shownKey: ShownKey?
    }

    /// An endpoint and its state, as the list and the endpoint page show it.
    struct Endpoint: Sendable, Equatable {
        var id: UUID
        var url: String
        /// nil: all events.
        var events: [String]?
        var enabled: Bool
        var disabledReason: String?
        /// Deliveries waiting to be made (the queue).
        var pending: Int
        var lastSuccessAt: Date?
        var lastFailureAt: Date?
        var createdAt: Date
    }

    /// The URL + event filter form (register, and edit on the endpoint page).
    struct Form: Sendable, Equatable {
        var url: String
        /// The checked event types; none checked means all events.
        var events: [String]
        var urlError: String?
        var eventsError: String?

        static let empty = Form(url: "", events: [], urlError: nil, eventsError: nil)

        var hasErrors: Bool { urlError != nil || eventsError != nil }
    }

    /// A signing key shown once (at registration and at rotation).
    struct ShownKey: Sendable, Equatable {
        var title: String
        /// The 32-hex key; the view also shows its `whsec_` form.
        var key: String
    }

    /// Every event type an endpoint may subscribe to, one checkbox each.
    static var eventTypes: [String] { Webhooks.eventTypes }
}

extension AdminWebhooks.Endpoint {
    init(_ endpoint: WebhookEndpoint, health: Webhooks.Health?) throws {
        self.init(
            id: try endpoint.requireID(), url: endpoint.url, events: endpoint.events, enabled: endpoint.enabled,
            disabledReason: endpoint.disabledReason, pending: health?.pending ?? 0,
            lastSuccessAt: health?.lastSuccessAt, lastFailureAt: health?.lastFailureAt, createdAt: endpoint.createdAt
        )
    }
}

extension AdminWebhooks.Model {
    static func query(
        org: Organization, admin: Layout.Admin, form: AdminWebhooks.Form, shownKey: AdminWebhooks.ShownKey?, on db: any Database
    ) async throws -> Self {
        let orgID = try org.requireID()
        let endpoints = try await Webhooks.list(orgID: orgID, on: db)
        let health = try await Webhooks.health(orgID: orgID, on: db)
        return .init(
            admin: admin,
            endpoints: try endpoints.map { try .init($0, health: health[try $0.requireID()]) },
            form: form, shownKey: shownKey
        )
    }

    static let mock = Self(
        admin: .mock,
        endpoints: [
            .init(id: UUID(uuidString: "0f2a4c6e-8a1b-4c3d-9e5f-0a1b2c3d4e5f")!, url: "https://lms.demo.example/hooks/portico",
                  events: nil, enabled: true, disabledReason: nil, pending: 2,
                  lastSuccessAt: Date(timeIntervalSince1970: 1_767_312_000), lastFailureAt: Date(timeIntervalSince1970: 1_767_225_600),
                  createdAt: Date(timeIntervalSince1970: 1_764_547_200)),
            .init(id: UUID(uuidString: "1f2a4c6e-8a1b-4c3d-9e5f-0a1b2c3d4e5f")!, url: "https://old.demo.example/webhook",
                  events: ["user.created", "user.deleted"], enabled: false, disabledReason: "the receiver answered 410 Gone at 2026-01-02T00:00:00Z",
                  pending: 0, lastSuccessAt: nil, lastFailureAt: Date(timeIntervalSince1970: 1_767_312_000),
                  createdAt: Date(timeIntervalSince1970: 1_764_547_200)),
        ],
        form: .empty, shownKey: nil
    )

    static let mockCreated = Self(
        admin: .mock, endpoints: mock.endpoints, form: .empty,
        shownKey: .init(title: "Signing key of https://lms.demo.example/hooks/portico", key: "a1b2c3d4e5f60718293a4b5c6d7e8f90")
    )

    /// The register form refused: the typed values kept, the errors beside their fields.
    static let mockInvalid = Self(
        admin: .mock, endpoints: [], form: .init(
            url: "http://127.0.0.1/hook", events: ["user.created"],
            urlError: "The URL must use https (http only where private targets are allowed).", eventsError: nil
        ),
        shownKey: nil
    )

    static let mockHostile = Self(
        admin: .mock,
        endpoints: [
            .init(id: UUID(uuidString: "2f2a4c6e-8a1b-4c3d-9e5f-0a1b2c3d4e5f")!, url: "https://x.example/\"><script>alert('url')</script>",
                  events: ["<script>alert('event')</script>"], enabled: false, disabledReason: "<script>alert('reason')</script>",
                  pending: 0, lastSuccessAt: nil, lastFailureAt: nil, createdAt: Date(timeIntervalSince1970: 0)),
        ],
        form: .init(url: "\"><script>alert('typed')</script>", events: ["<b>x</b>"],
                    urlError: "<script>alert('error')</script>", eventsError: "<script>alert('events')</script>"),
        shownKey: .init(title: "<script>alert('title')</script>", key: "\"><script>alert('key')</script>")
    )
}
