import FluentKit
import Foundation

/// Who did what: every admin action, every state-changing key use, every SSO login.
public final class AuditEntry: Model, @unchecked Sendable {
    public static let schema = "audit_entries"

    @ID(key: .id) public var id: UUID?
    @OptionalField(key: "org_id") public var orgID: UUID?
    /// `admin:<email>`, `key:<prefix>`, `user:<partner_id>` or `system`.
    @Field(key: "actor") public var actor: String
    @Field(key: "action") public var action: String
    @OptionalField(key: "target") public var target: String?
    @Field(key: "at") public var at: Date
    @OptionalField(key: "ip") public var ip: String?

    public init() {}

    public init(orgID: UUID?, actor: String, action: String, target: String?, at: Date, ip: String?) {
        self.id = UUID.timeOrdered()
        self.orgID = orgID
        self.actor = actor
        self.action = action
        self.target = target
        self.at = at
        self.ip = ip
    }
}

/// Small process-wide values kept in the database (the generated `PORTICO_SECRET`).
public final class SystemSetting: Model, @unchecked Sendable {
    public static let schema = "system_settings"

    @ID(custom: "key", generatedBy: .user) public var id: String?
    @Field(key: "value") public var value: String

    public init() {}
    public init(key: String, value: String) {
        self.id = key
        self.value = value
    }
}
