import FluentKit
import Foundation
import SQLKit

/// The OpenID Connect provider (SPEC §10): apps become clients, orgs get a sign-in URL,
/// and the provider's signing keys, pending authorizations, codes and tokens get tables.
///
/// SQLite cannot drop `NOT NULL` from a column in place, so an app without a launch URL
/// keeps `launch_url = ''` and a `key_hash` that no key hashes to (`PartnerApp.noKeyHash`);
/// the model reads both as absent. Codes, tokens and request ids are stored as SHA-256.
struct AddOpenIDConnect: AsyncMigration {
    var name: String { "006_add_openid_connect" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organizations").field("login_url", .string).update()
        // SQLite adds one column per statement.
        let apps = { database.schema("partner_apps") }
        try await apps().field("client_id", .string).update()
        try await apps().field("client_secret_hash", .string).update()
        try await apps().field("redirect_uris", .string, .required, .custom(SQLColumnConstraintAlgorithm.default("[]"))).update()
        try await apps().field("post_logout_redirect_uris", .string, .required, .custom(SQLColumnConstraintAlgorithm.default("[]"))).update()
        try await apps().field("is_public", .bool, .required, .custom(SQLColumnConstraintAlgorithm.default(false))).update()
        // Every app is a client: the apps made before this migration get their client_id now.
        let ids = try await database.sql.raw("SELECT id FROM partner_apps").all().map { try $0.decode(column: "id", as: UUID.self) }
        for id in ids {
            try await database.sql.raw("UPDATE partner_apps SET client_id = \(bind: PartnerApp.newClientID()) WHERE id = \(bind: id)").run()
        }
        try await database.sql.create(index: "idx_partner_apps_client_id").unique().on("partner_apps").column("client_id").run()

        try await database.schema("oidc_keys")
            .id()
            .field("kid", .string, .required)
            // AES-GCM (nonce, ciphertext, tag) of the PKCS#8 DER private key, base64.
            .field("sealed_private_key", .string, .required)
            .field("created_at", .datetime, .required)
            .field("retired_at", .datetime)
            .unique(on: "kid")
            .create()
        // At most one current (unretired) key, even when two instances make the first at once.
        try await database.sql.raw("CREATE UNIQUE INDEX idx_oidc_keys_current ON oidc_keys ((retired_at IS NULL)) WHERE retired_at IS NULL").run()

        try await database.schema("oidc_pending_authorizations")
            .id()
            .field("request_hash", .string, .required)
            .field("app_id", .uuid, .required, .references("partner_apps", "id", onDelete: .cascade))
            // The validated request (`OpenIDConnect.AuthorizationRequest`) as JSON.
            .field("request", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "request_hash")
            .create()

        try await database.schema("oidc_codes")
            .id()
            .field("code_hash", .string, .required)
            .field("app_id", .uuid, .required, .references("partner_apps", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("session_id", .uuid, .required)
            .field("redirect_uri", .string, .required)
            .field("code_challenge", .string)
            .field("nonce", .string)
            .field("scope", .string, .required)
            .field("auth_time", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "code_hash")
            .create()

        try await database.schema("oidc_tokens")
            .id()
            .field("token_hash", .string, .required)
            // `access` or `refresh`.
            .field("kind", .string, .required)
            .field("app_id", .uuid, .required, .references("partner_apps", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            // The code every token of one sign-in descends from (RFC 6749 §4.1.2, §10.4).
            .field("family_id", .uuid, .required)
            .field("scope", .string, .required)
            .field("auth_time", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            // A refresh token that was exchanged for the next one.
            .field("rotated_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
        for (index, table, columns) in [
            ("idx_oidc_codes_session", "oidc_codes", ["session_id"]),
            ("idx_oidc_codes_expires", "oidc_codes", ["expires_at"]),
            ("idx_oidc_tokens_family", "oidc_tokens", ["family_id"]),
            ("idx_oidc_tokens_app", "oidc_tokens", ["app_id"]),
            ("idx_oidc_tokens_user", "oidc_tokens", ["user_id"]),
            ("idx_oidc_tokens_expires", "oidc_tokens", ["expires_at"]),
            ("idx_oidc_pending_expires", "oidc_pending_authorizations", ["expires_at"]),
        ] {
            var create = database.sql.create(index: index).on(table)
            for column in columns { create = create.column(column) }
            try await create.run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["oidc_tokens", "oidc_codes", "oidc_pending_authorizations", "oidc_keys"] {
            try await database.schema(table).delete()
        }
        try await database.sql.drop(index: "idx_partner_apps_client_id").run()
        for column in ["client_id", "client_secret_hash", "redirect_uris", "post_logout_redirect_uris", "is_public"] {
            try await database.schema("partner_apps").deleteField(.string(column)).update()
        }
        try await database.schema("organizations").deleteField("login_url").update()
    }
}
