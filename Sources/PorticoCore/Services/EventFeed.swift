import FluentKit
import Foundation
import SQLKit

/// Reading the outbox in sequence order: the pull side of webhooks (SPEC §7,
/// `GET /api/events`), so a partner that was away can catch up without gaps.
public enum EventFeed {
    public struct Page: Sendable {
        /// Each event as the webhook object (`{"id","type","created_at","sequence","data"}`), JSON-ready.
        public var events: [WebhookObject]
        public var nextAfterSequence: Int64
    }

    /// The webhook object of one event, with its `data` kept as the stored JSON text.
    public struct WebhookObject: Sendable {
        public var id: String
        public var type: String
        public var createdAt: Date
        public var sequence: Int64
        public var data: String

        public init(_ event: Event) {
            self.init(id: event.id ?? "", type: event.type, createdAt: event.createdAt, sequence: event.sequence, data: event.payload)
        }

        public init(id: String, type: String, createdAt: Date, sequence: Int64, data: String) {
            self.id = id
            self.type = type
            self.createdAt = createdAt
            self.sequence = sequence
            self.data = data
        }

        /// `{"id", "type", "created_at", "sequence", "data"}` as JSON text.
        public var json: String {
            "{\"id\":\(JSONText.quoted(id)),\"type\":\(JSONText.quoted(type)),\"created_at\":\"\(RFC3339.string(from: createdAt))\",\"sequence\":\(sequence),\"data\":\(data)}"
        }
    }

    public enum Failure: Error, Equatable {
        /// Events after `after_sequence` were purged (older than the retention window).
        case expired
    }

    /// Up to `limit` of the org's events after `afterSequence`, in sequence order.
    public static func page(orgID: UUID, afterSequence: Int64, limit: Int, on db: any Database) async throws -> Page {
        let events = try await Event.query(on: db)
            .filter(\.$orgID == orgID).filter(\.$sequence > afterSequence)
            .sort(\.$sequence).limit(limit).all()
        // The feed has no gaps, so a first event past the next number means purged events.
        // (`first.sequence - afterSequence`, not `afterSequence + 1`: the request may
        // ask for Int64.max, and nothing here may trap on it.)
        if let first = events.first, first.sequence - afterSequence > 1 {
            throw Failure.expired
        }
        if events.isEmpty, let counter = try await EventCounter.find(orgID, on: db), counter.lastSequence > afterSequence {
            throw Failure.expired
        }
        return Page(events: events.map(WebhookObject.init), nextAfterSequence: events.last?.sequence ?? afterSequence)
    }
}
