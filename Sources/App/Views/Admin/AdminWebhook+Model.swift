import FluentKit
import Foundation
import PorticoCore

/// `GET /admin/webhooks/{id}`: one endpoint (URL, filter, state) with the forms that
/// change it, and its delivery log: per event, every attempt with its time, HTTP
/// status, duration and error; filtered by event type, outcome and event; newest
/// first, a page at a time.
enum AdminWebhook {
    /// Deliveries per page of the log.
    static let pageSize = 50

    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var endpoint: AdminWebhooks.Endpoint
        /// While a rotated-out key still signs beside the new one.
        var previousKeyUntil: Date?
        /// The edit form (the endpoint's values, or what was typed).
        var form: AdminWebhooks.Form
        /// The re-send-failed form: its `since` value and what is wrong with it.
        var since: String
        var sinceError: String?
        /// A key just made by rotate-key: shown this once.
        var shownKey: AdminWebhooks.ShownKey?
        /// What the last action did.
        var notice: String?
        var log: Log
    }

    struct Log: Sendable, Equatable {
        var filter: Filter
        /// Newest event first.
        var entries: [Entry]
        /// The cursor of the next (older) page, when there is one.
        var olderBefore: Int64?
    }

    /// The log's query: `type`, `status`, `event`, `before` (all optional).
    struct Filter: Sendable, Equatable {
        var type: String?
        var status: WebhookDelivery.Status?
        var eventID: String?
        var before: Int64?

        static let unfiltered = Filter()

        /// The query pairs of this filter (the cursor left out), for links.
        var query: [(String, String)] {
            [("type", type), ("status", status?.rawValue), ("event", eventID)].compactMap { name, value in value.map { (name, $0) } }
        }
    }

    struct Entry: Sendable, Equatable {
        var eventID: String
        var eventType: String
        var eventCreatedAt: Date
        var sequence: Int64
        var status: WebhookDelivery.Status
        var nextAttemptAt: Date?
        /// Oldest first.
        var attempts: [Attempt]
    }

    struct Attempt: Sendable, Equatable {
        var attempt: Int
        var at: Date
        var responseStatus: Int?
        var durationMS: Int
        var error: String?
    }
}

extension AdminWebhook.Filter {
    /// Reads and checks the log's query. Empty values mean "any"; anything else that is
    /// not a known type, an outcome, an event id or a positive sequence is refused.
    static func parse(type: String?, status: String?, event: String?, before: String?) throws -> Self {
        func given(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        var filter = Self()
        if let type = given(type) {
            guard AdminWebhooks.eventTypes.contains(type) else { throw AdminPageError.invalid("type must be one of the event types.") }
            filter.type = type
        }
        if let status = given(status) {
            guard let parsed = WebhookDelivery.Status(rawValue: status) else {
                throw AdminPageError.invalid("status must be succeeded, failed or pending.")
            }
            filter.status = parsed
        }
        if let event = given(event) {
            guard isEventID(event) else { throw AdminPageError.invalid("event must be an event id (evt_…).") }
            filter.eventID = event
        }
        if let before = given(before) {
            guard let sequence = Int64(before), sequence > 0 else { throw AdminPageError.invalid("before must be a positive event sequence.") }
            filter.before = sequence
        }
        return filter
    }

    /// `evt_` and letters and digits, as the outbox makes them.
    static func isEventID(_ text: String) -> Bool {
        text.hasPrefix("evt_") && text.utf8.count <= 64 && text.utf8.count > 4
            && text.utf8.dropFirst(4).allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }
}

extension AdminWebhook.Model {
    static func query(
        endpoint: WebhookEndpoint, admin: Layout.Admin, filter: AdminWebhook.Filter, form: AdminWebhooks.Form?,
        since: String, sinceError: String?, shownKey: AdminWebhooks.ShownKey?, notice: String?, now: Date, on db: any Database
    ) async throws -> Self {
        let id = try endpoint.requireID()
        let health = try await Webhooks.health(orgID: endpoint.orgID, endpointID: id, on: db)[id]
        let page = AdminWebhook.pageSize
        let rows = try await Webhooks.deliveryLog(endpointID: id, query: .init(
            eventType: filter.type, status: filter.status, eventID: filter.eventID, beforeSequence: filter.before, limit: page + 1
        ), on: db)
        let entries = rows.prefix(page).map { row in
            AdminWebhook.Entry(
                eventID: row.eventID, eventType: row.eventType, eventCreatedAt: row.eventCreatedAt, sequence: row.sequence,
                status: row.status, nextAttemptAt: row.nextAttemptAt,
                attempts: row.attempts.map { AdminWebhook.Attempt(attempt: $0.attempt, at: $0.at, responseStatus: $0.responseStatus, durationMS: $0.durationMS, error: $0.error) }
            )
        }
        return .init(
            admin: admin, endpoint: try .init(endpoint, health: health),
            previousKeyUntil: endpoint.previousKeyExpiresAt.flatMap { $0 > now ? $0 : nil },
            form: form ?? .init(url: endpoint.url, events: endpoint.events ?? [], urlError: nil, eventsError: nil),
            since: since, sinceError: sinceError, shownKey: shownKey, notice: notice,
            log: .init(filter: filter, entries: Array(entries), olderBefore: rows.count > page ? entries.last?.sequence : nil)
        )
    }

    static let mock = Self(
        admin: .mock, endpoint: AdminWebhooks.Model.mock.endpoints[0],
        previousKeyUntil: Date(timeIntervalSince1970: 1_767_398_400),
        form: .init(url: "https://lms.demo.example/hooks/portico", events: [], urlError: nil, eventsError: nil),
        since: "2026-01-01T09:00", sinceError: nil, shownKey: nil, notice: "A test event was queued for this endpoint.",
        log: .init(
            filter: .unfiltered,
            entries: [
                .init(eventID: "evt_4f9Qx2LmN8pR5sT1vW3yZ6aB", eventType: "user.created", eventCreatedAt: Date(timeIntervalSince1970: 1_767_225_600),
                      sequence: 42, status: .succeeded, nextAttemptAt: nil, attempts: [
                        .init(attempt: 1, at: Date(timeIntervalSince1970: 1_767_225_600), responseStatus: 500, durationMS: 84, error: "the receiver answered 500"),
                        .init(attempt: 2, at: Date(timeIntervalSince1970: 1_767_226_200), responseStatus: 200, durationMS: 61, error: nil),
                      ]),
                .init(eventID: "evt_7hJ2kL9mN4pQ6rS8tU1vW3xY", eventType: "webhook.test", eventCreatedAt: Date(timeIntervalSince1970: 1_767_312_000),
                      sequence: 41, status: .pending, nextAttemptAt: Date(timeIntervalSince1970: 1_767_312_600), attempts: [
                        .init(attempt: 1, at: Date(timeIntervalSince1970: 1_767_312_000), responseStatus: nil, durationMS: 30000, error: "timed out after 30 s"),
                      ]),
            ],
            olderBefore: 41
        )
    )

    /// The edit and re-send forms refused, the typed values kept.
    static let mockInvalid = Self(
        admin: .mock, endpoint: mock.endpoint, previousKeyUntil: nil,
        form: .init(url: "https://127.0.0.1/hook", events: ["user.created"],
                    urlError: "The URL's host is, or resolves to, a loopback, private or reserved address.", eventsError: nil),
        since: "yesterday", sinceError: "Give a time like 2026-11-23T09:00 (UTC).", shownKey: nil, notice: nil,
        log: .init(filter: .init(type: "user.created", status: .failed, eventID: nil, before: nil), entries: [], olderBefore: nil)
    )

    static let mockRotated = Self(
        admin: .mock, endpoint: mock.endpoint, previousKeyUntil: mock.previousKeyUntil, form: mock.form, since: mock.since, sinceError: nil,
        shownKey: .init(title: "New signing key", key: "a1b2c3d4e5f60718293a4b5c6d7e8f90"), notice: nil, log: mock.log
    )

    static let mockHostile = Self(
        admin: .mock, endpoint: AdminWebhooks.Model.mockHostile.endpoints[0], previousKeyUntil: nil,
        form: AdminWebhooks.Model.mockHostile.form,
        since: "\"><script>alert('since')</script>", sinceError: "<script>alert('since error')</script>",
        shownKey: AdminWebhooks.Model.mockHostile.shownKey, notice: "<script>alert('notice')</script>",
        log: .init(
            filter: .init(type: "<script>alert('type')</script>", status: nil, eventID: "\"><script>alert('evt')</script>", before: nil),
            entries: [
                .init(eventID: "evt_\"><script>alert('id')</script>", eventType: "<script>alert('type')</script>",
                      eventCreatedAt: Date(timeIntervalSince1970: 0), sequence: 1, status: .failed, nextAttemptAt: nil, attempts: [
                        .init(attempt: 1, at: Date(timeIntervalSince1970: 0), responseStatus: 502, durationMS: 5, error: "<script>alert('error')</script>"),
                      ]),
            ],
            olderBefore: nil
        )
    )
}
