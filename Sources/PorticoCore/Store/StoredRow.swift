import Foundation
import SQLKit

/// A result row of either engine, read by column name. Each row type Portico reads on
/// its hot paths has one decoder below, used by every store; an engine only says how
/// to read one cell (`SQLiteRowView`, PostgreSQL's random-access row, SQLKit's row).
public protocol StoredRow {
    func uuid(_ column: String) throws -> UUID?
    func string(_ column: String) throws -> String?
    func int(_ column: String) throws -> Int?
    func bool(_ column: String) throws -> Bool?
    func date(_ column: String) throws -> Date?
}

public struct MissingColumn: Error, CustomStringConvertible {
    public var column: String
    public var description: String { "unexpected NULL or malformed value in column \(column)" }
}

extension StoredRow {
    func required<T>(_ read: (String) throws -> T?, _ column: String) throws -> T {
        guard let value = try read(column) else { throw MissingColumn(column: column) }
        return value
    }
}

/// The select lists that go with the decoders (SQL text only; each engine adds its
/// own FROM, WHERE and placeholders).
public enum StoredColumns {
    /// A user with its subscription in its own org (`users u JOIN subscriptions s`).
    public static let user = """
        u.id, u.org_id, u.partner_id, u.email, u.first_name, u.last_name, u.anonymous, u.expires_at, \
        u.created_at, u.updated_at, s.id AS subscription_id
        """

    /// An API key with its org's settings (`api_keys k JOIN organizations o`).
    public static let apiKey = """
        k.id AS key_id, k.org_id, k.prefix, k.key_hash, k.expires_at, k.revoked_at, k.last_used_at, \
        o.anonymous_users_enabled, o.sso_token_ttl, o.sso_token_single_use
        """

    /// An SSO token (`sso_tokens t`) with the org of its subscription (`subscriptions ts`);
    /// a query adds `user` for the token's user.
    public static let ssoToken = """
        t.id AS token_id, t.subscription_id AS token_subscription_id, t.purpose, t.redirect_to, t.display, \
        t.single_use, t.expires_at AS token_expires_at, t.consumed_at, ts.org_id AS token_org_id
        """

    /// A launch (`launch_codes l`).
    public static let launch = "l.app_id, l.user_id AS launch_user_id, l.expires_at AS launch_expires_at, l.used_at"
}

extension UserRecord {
    public init(row: some StoredRow) throws {
        self.init(
            id: try row.required(row.uuid, "id"), orgID: try row.required(row.uuid, "org_id"),
            subscriptionID: try row.required(row.uuid, "subscription_id"), partnerID: try row.required(row.string, "partner_id"),
            email: try row.string("email"), firstName: try row.string("first_name"), lastName: try row.string("last_name"),
            anonymous: try row.bool("anonymous") ?? false, expiresAt: try row.date("expires_at"),
            createdAt: try row.required(row.date, "created_at"), updatedAt: try row.required(row.date, "updated_at")
        )
    }

    /// The user of a row that may carry none (a LEFT JOIN that found nothing).
    public static func optional(row: some StoredRow) throws -> UserRecord? {
        guard try row.uuid("id") != nil, try row.uuid("subscription_id") != nil else { return nil }
        return try UserRecord(row: row)
    }
}

extension APIKeyContext {
    public init(row: some StoredRow) throws {
        self.init(
            keyID: try row.required(row.uuid, "key_id"), orgID: try row.required(row.uuid, "org_id"),
            prefix: try row.string("prefix") ?? "", keyHash: try row.string("key_hash") ?? "",
            expiresAt: try row.date("expires_at"), revokedAt: try row.date("revoked_at"), lastUsedAt: try row.date("last_used_at"),
            anonymousUsersEnabled: try row.bool("anonymous_users_enabled") ?? false,
            ssoTokenTTL: try row.int("sso_token_ttl") ?? 0, ssoTokenSingleUse: try row.bool("sso_token_single_use") ?? true
        )
    }
}

extension SSOTokens.Stored {
    /// A row of `StoredColumns.ssoToken` and `StoredColumns.user` (user columns NULL when gone).
    public init(row: some StoredRow) throws {
        self.init(
            id: try row.required(row.uuid, "token_id"), subscriptionID: try row.required(row.uuid, "token_subscription_id"),
            purpose: SSOToken.Purpose(rawValue: try row.string("purpose") ?? "") ?? .login,
            redirectTo: try row.string("redirect_to"), display: try row.int("display"),
            singleUse: try row.bool("single_use") ?? true, expiresAt: try row.required(row.date, "token_expires_at"),
            consumed: try row.date("consumed_at") != nil, user: try UserRecord.optional(row: row),
            subscriptionOrgID: try row.uuid("token_org_id")
        )
    }
}

extension LaunchCodes.StoredLaunch {
    /// A row of `StoredColumns.launch`, or nil when its columns are NULL (no such launch).
    public static func optional(row: some StoredRow) throws -> LaunchCodes.StoredLaunch? {
        guard let appID = try row.uuid("app_id") else { return nil }
        return LaunchCodes.StoredLaunch(
            appID: appID, userID: try row.required(row.uuid, "launch_user_id"),
            expiresAt: try row.required(row.date, "launch_expires_at"), used: try row.date("used_at") != nil
        )
    }
}

extension PartnerAppContext {
    public init(row: some StoredRow) throws {
        self.init(id: try row.required(row.uuid, "id"), orgID: try row.required(row.uuid, "org_id"), keyHash: try row.string("key_hash") ?? "")
    }
}

/// SQLKit's rows (both engines through Fluent) read by name.
public struct SQLKitRow: StoredRow {
    let row: any SQLRow

    public init(_ row: any SQLRow) {
        self.row = row
    }

    private func value<T: Decodable>(_ column: String, _ type: T.Type) throws -> T? {
        guard row.contains(column: column), try !row.decodeNil(column: column) else { return nil }
        return try row.decode(column: column, as: T.self)
    }

    public func uuid(_ column: String) throws -> UUID? { try value(column, UUID.self) }
    public func string(_ column: String) throws -> String? { try value(column, String.self) }
    public func int(_ column: String) throws -> Int? { try value(column, Int.self) }
    public func bool(_ column: String) throws -> Bool? { try value(column, Bool.self) }
    public func date(_ column: String) throws -> Date? { try value(column, Date.self) }
}
