import ArgumentParser
import Foundation
import PorticoCore

/// `portico admin create|update`.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Create and change administrators.",
        subcommands: [Create.self, Update.self, RevokeTokens.self]
    )

    struct AdminJSON: Encodable {
        var id: UUID
        var email: String
        var orgID: UUID
        var permissions: [String]

        init(_ admin: Admin) {
            id = admin.id!
            email = admin.email
            orgID = admin.orgID
            permissions = admin.permissions
        }

        enum CodingKeys: String, CodingKey {
            case id, email, permissions
            case orgID = "org_id"
        }
    }

    static func hashPassword(_ password: String) throws -> String {
        guard password.count >= 8 else { throw CLIFailure("the password must be at least 8 characters") }
        guard password.utf8.count <= 72 else { throw CLIFailure("the password must be at most 72 bytes") }
        return try Passwords.hash(password)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an administrator (all permissions unless --permissions).")

        @Option(help: "Slug of the admin's organization.") var org: String
        @Option(help: "Email address (the login).") var email: String
        @Option(help: "Password, at least 8 characters.") var password: String
        @Option(help: "Comma-separated: manage_keys,manage_webhooks,manage_users,use_sso_api,manage_org.") var permissions: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let parsed = try permissions.map(Credentials.parsePermissions)
                let hash = try AdminCommand.hashPassword(password)
                let admin = try await withPortico { portico in
                    guard let organization = try await Organizations.find(slug: org, on: portico.store.db) else {
                        throw PorticoError.notFound("no organization with slug '\(org)'")
                    }
                    return try await Credentials.createAdmin(
                        org: organization, email: email, passwordHash: hash, permissions: parsed,
                        actor: "system", now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(AdminJSON(admin)) } else {
                    Output.line("created admin \(admin.email) with \(admin.permissions.joined(separator: ","))")
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an administrator's permissions or password.")

        @Option(help: "The admin's email.") var email: String
        @Option(help: "Comma-separated permissions (replaces the list).") var permissions: String?
        @Option(help: "New password.") var password: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let parsed = try permissions.map(Credentials.parsePermissions)
                let hash = try password.map(AdminCommand.hashPassword)
                let admin = try await withPortico { portico in
                    try await Credentials.updateAdmin(
                        email: email, passwordHash: hash, permissions: parsed, actor: "system", now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(AdminJSON(admin)) } else { Output.line("updated admin \(admin.email)") }
            }
        }
    }

    struct RevokeTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-tokens", abstract: "Revoke every SSO API access token an administrator holds."
        )

        @Option(help: "The admin's email.") var email: String
        @Flag(help: "Print one JSON object.") var json = false

        struct Revoked: Encodable {
            var email: String
            var revoked: Int
        }

        func run() async throws {
            try await reportingFailures {
                let count = try await withPortico { portico in
                    try await SSOAPIService.revokeAccessTokens(adminEmail: email, actor: "system", now: portico.clock.now(), store: portico.store)
                }
                if json { try Output.json(Revoked(email: email.lowercased(), revoked: count)) } else {
                    Output.line("revoked \(count) access token\(count == 1 ? "" : "s") of \(email.lowercased())")
                }
            }
        }
    }
}
