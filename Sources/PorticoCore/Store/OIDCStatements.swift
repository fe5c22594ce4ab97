import Foundation

/// The OpenID Connect hot paths' SQL (token endpoint, UserInfo), written once for both
/// engines with numbered placeholders: PostgreSQL reads `$1`, SQLite the same text with
/// `?1` (`sqlite`). The row decoders below go with the select lists.
public enum OIDCStatements {
    public static let client = """
        SELECT id AS app_id, org_id, client_id, client_secret_hash, redirect_uris, post_logout_redirect_uris, is_public, enabled \
        FROM partner_apps WHERE client_id = $1
        """

    /// A code by its hash with its session, its user (and the user's org), and whether the
    /// user has a subscription in the client's org or a descendant of it (walking up
    /// from each of the user's subscriptions).
    public static let code = """
        WITH RECURSIVE c AS (SELECT * FROM oidc_codes WHERE code_hash = $1), \
        up(id) AS (SELECT sub.org_id FROM subscriptions sub JOIN c ON sub.user_id = c.user_id \
        UNION SELECT o2.parent_id FROM organizations o2 JOIN up ON o2.id = up.id WHERE o2.parent_id IS NOT NULL) \
        SELECT c.id AS code_id, c.app_id, c.redirect_uri, c.code_challenge, c.nonce, c.scope, c.auth_time, \
        c.expires_at AS code_expires_at, c.used_at, se.expires_at AS session_expires_at, se.last_seen_at AS session_last_seen_at, \
        EXISTS (SELECT 1 FROM up JOIN partner_apps a ON a.org_id = up.id WHERE a.id = c.app_id) AS entitled, \
        \(StoredColumns.user), o.slug AS org_slug \
        FROM c LEFT JOIN sessions se ON se.id = c.session_id LEFT JOIN users u ON u.id = c.user_id \
        LEFT JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id LEFT JOIN organizations o ON o.id = u.org_id
        """

    /// A token by its hash with its app's state, its user and the user's org.
    public static let token = """
        SELECT t.id AS token_id, t.kind, t.app_id, a.enabled AS app_enabled, t.family_id, t.scope, t.auth_time, \
        t.expires_at AS token_expires_at, t.rotated_at, t.revoked_at, \(StoredColumns.user), o.slug AS org_slug \
        FROM oidc_tokens t JOIN partner_apps a ON a.id = t.app_id LEFT JOIN users u ON u.id = t.user_id \
        LEFT JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id LEFT JOIN organizations o ON o.id = u.org_id \
        WHERE t.token_hash = $1
        """

    /// Marks a code used: `$1` code id, `$2` now; changes one row only for the first redemption.
    public static let useCode = "UPDATE oidc_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL"

    /// `$1` id, `$2` hash, `$3` kind, `$4` app, `$5` user, `$6` family, `$7` scope, `$8` auth_time, `$9` created, `$10` expires.
    public static let insertToken = """
        INSERT INTO oidc_tokens (id, token_hash, kind, app_id, user_id, family_id, scope, auth_time, created_at, expires_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """

    /// `$1` family, `$2` now.
    public static let revokeFamily = "UPDATE oidc_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL"

    /// The same statement with SQLite's numbered placeholders (`?1` for `$1`).
    public static func sqlite(_ sql: String) -> String {
        sql.replacingOccurrences(of: "$", with: "?")
    }
}

extension OpenIDConnect.Client {
    public init(row: some StoredRow) throws {
        self.init(
            appID: try row.required(row.uuid, "app_id"), orgID: try row.required(row.uuid, "org_id"),
            clientID: try row.required(row.string, "client_id"), secretHash: try row.string("client_secret_hash"),
            redirectURIs: OpenIDConnect.decodeList(try row.string("redirect_uris") ?? "[]"),
            postLogoutRedirectURIs: OpenIDConnect.decodeList(try row.string("post_logout_redirect_uris") ?? "[]"),
            isPublic: try row.bool("is_public") ?? false, enabled: try row.bool("enabled") ?? false
        )
    }
}

extension OpenIDConnect.StoredCode {
    public init(row: some StoredRow) throws {
        self.init(
            id: try row.required(row.uuid, "code_id"), appID: try row.required(row.uuid, "app_id"),
            redirectURI: try row.required(row.string, "redirect_uri"), codeChallenge: try row.string("code_challenge"),
            nonce: try row.string("nonce"), scope: try row.required(row.string, "scope"), authTime: try row.required(row.date, "auth_time"),
            expiresAt: try row.required(row.date, "code_expires_at"), used: try row.date("used_at") != nil,
            sessionExpiresAt: try row.date("session_expires_at"), sessionLastSeenAt: try row.date("session_last_seen_at"),
            user: try UserRecord.optional(row: row), orgSlug: try row.string("org_slug"),
            entitled: try row.bool("entitled") ?? false
        )
    }
}

extension OpenIDConnect.StoredToken {
    public init(row: some StoredRow) throws {
        guard let kind = OpenIDConnect.TokenKind(rawValue: try row.required(row.string, "kind")) else { throw MissingColumn(column: "kind") }
        self.init(
            id: try row.required(row.uuid, "token_id"), kind: kind, appID: try row.required(row.uuid, "app_id"),
            appEnabled: try row.bool("app_enabled") ?? false, familyID: try row.required(row.uuid, "family_id"),
            scope: try row.required(row.string, "scope"), authTime: try row.required(row.date, "auth_time"),
            expiresAt: try row.required(row.date, "token_expires_at"), rotated: try row.date("rotated_at") != nil,
            revoked: try row.date("revoked_at") != nil, user: try UserRecord.optional(row: row),
            orgSlug: try row.string("org_slug")
        )
    }
}
