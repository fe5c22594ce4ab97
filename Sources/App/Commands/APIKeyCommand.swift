import ArgumentParser
import Foundation
import PorticoCore

/// `portico apikey create|list|revoke`.
struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage an organization's Partner API keys.", subcommands: [Create.self, List.self, Revoke.self]
    )

    struct CreatedJSON: Encodable {
        var key: String
        var prefix: String
        var orgID: UUID
        enum CodingKeys: String, CodingKey {
            case key, prefix
            case orgID = "org_id"
        }
    }

    static func organization(_ slug: String, _ portico: PorticoServices) async throws -> Organization {
        guard let org = try await Organizations.find(slug: slug, on: portico.store.db) else {
            throw PorticoError.notFound("no organization with slug '\(slug)'")
        }
        return org
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the only time it is shown).")

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "A name to recognise the key by.") var name: String = "API key"
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let (key, record) = try await withPortico { portico in
                    try await Credentials.createAPIKey(
                        org: try await APIKeyCommand.organization(org, portico), name: name, createdBy: "cli",
                        now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(CreatedJSON(key: key, prefix: record.prefix, orgID: record.orgID)) } else {
                    Output.line(key)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organization's keys (prefixes only).")

        @Option(help: "Slug of the organization.") var org: String
        @Flag(help: "Print one JSON object.") var json = false

        struct KeyJSON: Encodable {
            var prefix: String
            var name: String
            var createdBy: String
            var createdAt: Date
            @NullEncoded var lastUsedAt: Date?
            @NullEncoded var revokedAt: Date?
            enum CodingKeys: String, CodingKey {
                case prefix, name
                case createdBy = "created_by"
                case createdAt = "created_at"
                case lastUsedAt = "last_used_at"
                case revokedAt = "revoked_at"
            }
        }

        func run() async throws {
            try await reportingFailures {
                let keys = try await withPortico { portico in
                    try await Credentials.apiKeys(org: try await APIKeyCommand.organization(org, portico), on: portico.store.db)
                }
                let rows = keys.map {
                    KeyJSON(prefix: $0.prefix, name: $0.name, createdBy: $0.createdBy, createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt, revokedAt: $0.revokedAt)
                }
                if json { try Output.json(["keys": rows]) } else {
                    for row in rows {
                        let state = row.revokedAt.map { "revoked " + RFC3339.string(from: $0) } ?? "active"
                        let used = row.lastUsedAt.map { RFC3339.string(from: $0) } ?? "never"
                        Output.line("\(row.prefix)  \(row.name)  created \(RFC3339.string(from: row.createdAt)) by \(row.createdBy)  last used \(used)  \(state)")
                    }
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke the key with this prefix.")

        @Option(help: "Slug of the organization.") var org: String
        @Argument(help: "The key's prefix (its first 8 characters).") var prefix: String

        func run() async throws {
            try await reportingFailures {
                let key = try await withPortico { portico in
                    try await Credentials.revokeAPIKey(
                        org: try await APIKeyCommand.organization(org, portico), prefix: prefix, actor: "cli",
                        now: portico.clock.now(), store: portico.store
                    )
                }
                Output.line("revoked \(key.prefix)")
            }
        }
    }
}
