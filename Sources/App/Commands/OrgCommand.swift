import ArgumentParser
import Foundation
import PorticoCore

/// `portico org create|update`.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Create and change organizations.", subcommands: [Create.self, Update.self]
    )

    struct OrgJSON: Encodable {
        var id: UUID
        var slug: String
        var name: String
        @NullEncoded var parentID: UUID?

        init(_ org: Organization) {
            id = org.id!
            slug = org.slug
            name = org.name
            parentID = org.parentID
        }

        enum CodingKeys: String, CodingKey {
            case id, slug, name
            case parentID = "parent_id"
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organization.")

        @Argument(help: "The slug: lowercase letters, digits and '-', 2-63 characters.") var slug: String
        @Option(help: "Display name.") var name: String
        @Option(help: "Slug of the parent organization.") var parent: String?
        @Flag(name: .customLong("anonymous-users"), help: "Allow anonymous users.") var anonymousUsers = false
        @Option(name: .customLong("allow-return-host"), help: "A host return URLs may point to (repeatable; *.domain allowed).")
        var allowReturnHosts: [String] = []
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let org = try await withPortico { portico in
                    try await Organizations.create(
                        slug: slug, name: name, parentSlug: parent,
                        settings: .init(anonymousUsersEnabled: anonymousUsers, allowedReturnHosts: allowReturnHosts),
                        actor: "system", now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(OrgJSON(org)) } else {
                    Output.line("created organization \(org.slug) (\(org.id!.uuidString.lowercased()))")
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an organization's settings.")

        @Argument var slug: String
        @Option(help: "Display name.") var name: String?
        @Option(name: .customLong("anonymous-users"), help: "on or off.") var anonymousUsers: OnOff?
        @Option(name: .customLong("allow-return-host"), help: "Replaces the allowed return hosts (repeatable).")
        var allowReturnHosts: [String] = []
        @Option(name: .customLong("landing-url"), help: "Where signed-out members go (\"\" clears).") var landingURL: String?
        @Option(name: .customLong("invalid-token-url"), help: "Where used tokens go (\"\" clears).") var invalidTokenURL: String?
        @Option(name: .customLong("expired-token-url"), help: "Where expired tokens go (\"\" clears).") var expiredTokenURL: String?
        @Option(name: .customLong("login-url"), help: "Where members sign in for an OpenID Connect request (\"\" clears).")
        var loginURL: String?
        @Option(name: .customLong("sso-token-ttl"), help: "Lifetime of Partner API SSO tokens, seconds.") var ssoTokenTTL: Int?
        @Option(name: .customLong("sso-api-token-ttl"), help: "Lifetime of SSO API tokens, seconds.") var ssoAPITokenTTL: Int?
        @Option(name: .customLong("single-use-tokens"), help: "on or off.") var singleUseTokens: OnOff?
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let settings = Organizations.Settings(
                    name: name, anonymousUsersEnabled: anonymousUsers?.value,
                    allowedReturnHosts: allowReturnHosts.isEmpty ? nil : allowReturnHosts,
                    landingURL: landingURL.map { $0.isEmpty ? nil : $0 },
                    invalidTokenURL: invalidTokenURL.map { $0.isEmpty ? nil : $0 },
                    expiredTokenURL: expiredTokenURL.map { $0.isEmpty ? nil : $0 },
                    loginURL: loginURL.map { $0.isEmpty ? nil : $0 },
                    ssoTokenTTL: ssoTokenTTL, ssoTokenSingleUse: singleUseTokens?.value, ssoAPITokenTTL: ssoAPITokenTTL
                )
                let org = try await withPortico { portico in
                    try await Organizations.update(slug: slug, settings: settings, actor: "system", now: portico.clock.now(), store: portico.store)
                }
                if json { try Output.json(OrgJSON(org)) } else { Output.line("updated organization \(org.slug)") }
            }
        }
    }
}

enum OnOff: String, ExpressibleByArgument, Sendable {
    case on, off
    var value: Bool { self == .on }
}
