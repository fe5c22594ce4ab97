import Foundation

/// A user as stored, with the subscription in the org that owns it.
public struct UserRecord: Sendable, Equatable {
    public var id: UUID
    public var orgID: UUID
    public var subscriptionID: UUID
    public var partnerID: String
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    public var anonymous: Bool
    public var expiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, orgID: UUID, subscriptionID: UUID, partnerID: String, email: String?, firstName: String?,
        lastName: String?, anonymous: Bool, expiresAt: Date?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.orgID = orgID
        self.subscriptionID = subscriptionID
        self.partnerID = partnerID
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.anonymous = anonymous
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Anonymous users are gone once `expires_at` has passed, even before the job deletes them.
    public func isLive(at now: Date) -> Bool {
        guard let expiresAt else { return true }
        return expiresAt > now
    }
}
