import FluentKit
import Foundation

/// A partner's webhook receiver. The key stays readable: it signs every delivery.
public final class WebhookEndpoint: Model, @unchecked Sendable {
    public static let schema = "webhook_endpoints"

    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    @Field(key: "org_id") public var orgID: UUID
    @Field(key: "url") public var url: String
    @Field(key: "key") public var key: String
    @OptionalField(key: "previous_key") public var previousKey: String?
    @OptionalField(key: "previous_key_expires_at") public var previousKeyExpiresAt: Date?
    /// Event types to send; nil means all.
    @OptionalField(key: "events") public var events: [String]?
    @Field(key: "enabled") public var enabled: Bool
    @OptionalField(key: "disabled_reason") public var disabledReason: String?
    /// The last outbox sequence of the org for which deliveries to this endpoint exist.
    @Field(key: "fanout_sequence") public var fanoutSequence: Int64
    /// A worker serves the endpoint until then; past it, the endpoint is free.
    @OptionalField(key: "locked_until") public var lockedUntil: Date?
    @OptionalField(key: "lease_owner") public var leaseOwner: String?

    public init() {}

    /// Whether `type` passes the endpoint's filter.
    public func wants(_ type: String) -> Bool { events?.contains(type) ?? true }
}

/// An event in the outbox, written in the transaction of the change that caused it.
public final class Event: Model, @unchecked Sendable {
    public static let schema = "events"

    @ID(custom: "id", generatedBy: .user) public var id: String?
    @Field(key: "org_id") public var orgID: UUID
    @Field(key: "sequence") public var sequence: Int64
    @Field(key: "type") public var type: String
    /// The user the event is about, so a deletion can scrub their personal data.
    @OptionalField(key: "user_id") public var userID: UUID?
    /// The `data` object of the webhook body, as JSON text.
    @Field(key: "payload") public var payload: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// The delivery of one event to one endpoint, across all its attempts.
public final class WebhookDelivery: Model, @unchecked Sendable {
    public static let schema = "webhook_deliveries"

    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    @Field(key: "event_id") public var eventID: String
    @Field(key: "endpoint_id") public var endpointID: UUID
    @Field(key: "org_id") public var orgID: UUID
    @Field(key: "sequence") public var sequence: Int64
    @Field(key: "attempt") public var attempt: Int
    @Field(key: "status") public var status: Status
    @OptionalField(key: "next_attempt_at") public var nextAttemptAt: Date?
    /// Set while a worker holds the delivery; a crashed worker's claim lapses.
    @OptionalField(key: "locked_until") public var lockedUntil: Date?
    @OptionalField(key: "response_status") public var responseStatus: Int?
    @OptionalField(key: "duration_ms") public var durationMS: Int?
    @OptionalField(key: "error") public var error: String?

    public init() {}

    public enum Status: String, Codable, Sendable {
        case pending, succeeded, failed
    }
}
