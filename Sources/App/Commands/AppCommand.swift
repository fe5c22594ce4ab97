import ArgumentParser
import Foundation
import PorticoCore

/// `portico app create|update|rotate-key|rotate-secret|disable|enable`: partner apps, for
/// launch codes (SPEC §6) and as OpenID Connect clients (§10).
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app", abstract: "Manage partner apps (launch codes and OpenID Connect clients).",
        subcommands: [Create.self, Update.self, RotateKey.self, RotateSecret.self, Disable.self, Enable.self]
    )

    /// `app create --json` (SPEC §2): absent values are `null`.
    struct AppJSON: Encodable {
        var id: UUID
        var slug: String
        var key: String?
        var launchURL: String?
        var clientID: String?
        var clientSecret: String?
        var redirectURIs: [String]
        var postLogoutRedirectURIs: [String]
        var isPublic: Bool

        init(_ app: PartnerApp, key: String?, clientSecret: String?) {
            id = app.id!
            slug = app.slug
            self.key = key
            launchURL = app.launchURLIfAny
            clientID = app.clientID
            self.clientSecret = clientSecret
            redirectURIs = app.redirectURIs
            postLogoutRedirectURIs = app.postLogoutRedirectURIs
            isPublic = app.isPublic
        }

        enum CodingKeys: String, CodingKey {
            case id, slug, key
            case launchURL = "launch_url", clientID = "client_id", clientSecret = "client_secret", redirectURIs = "redirect_uris"
            case postLogoutRedirectURIs = "post_logout_redirect_uris", isPublic = "public"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(slug, forKey: .slug)
            try c.encode(key, forKey: .key)
            try c.encode(launchURL, forKey: .launchURL)
            try c.encode(clientID, forKey: .clientID)
            try c.encode(clientSecret, forKey: .clientSecret)
            try c.encode(redirectURIs, forKey: .redirectURIs)
            try c.encode(postLogoutRedirectURIs, forKey: .postLogoutRedirectURIs)
            try c.encode(isPublic, forKey: .isPublic)
        }

        /// The secrets, one per line, for a terminal (a launch-only app: just `k`).
        var lines: [String] {
            if clientSecret == nil && redirectURIs.isEmpty, let key { return [key] }
            return [key.map { "key \($0)" }, clientID.map { "client_id \($0)" }, clientSecret.map { "client_secret \($0)" }].compactMap { $0 }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an app and print its key k and/or client secret (the only time they are shown)."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug (its /launch/{slug} path).") var slug: String
        @Option(help: "Display name, on the launch button.") var name: String
        @Option(name: .customLong("launch-url"), help: "https URL the member is sent to with t=<code> (http only for loopback).")
        var launchURL: String?
        @Option(name: .customLong("redirect-uri"), help: "An OpenID Connect redirect URI (repeatable).") var redirectURIs: [String] = []
        @Option(name: .customLong("post-logout-redirect-uri"), help: "Where RP-initiated logout may return (repeatable).")
        var postLogoutRedirectURIs: [String] = []
        @Flag(name: .customLong("public"), help: "A public client (no secret; PKCE required; no launch URL).") var isPublic = false
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let registered = try await withPortico { portico in
                    try await PartnerApps.register(
                        org: try await APIKeyCommand.organization(org, portico),
                        .init(
                            slug: slug, name: name, launchURL: launchURL, redirectURIs: redirectURIs,
                            postLogoutRedirectURIs: postLogoutRedirectURIs, isPublic: isPublic
                        ),
                        actor: "cli", now: portico.clock.now(), store: portico.store
                    )
                }
                let out = AppJSON(registered.app, key: registered.key, clientSecret: registered.clientSecret)
                if json { try Output.json(out) } else { out.lines.forEach(Output.line) }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace an app's redirect URIs or post-logout redirect URIs (a list given replaces that list; \"\" empties it)."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug.") var slug: String
        @Option(name: .customLong("redirect-uri"), help: "An OpenID Connect redirect URI (repeatable).") var redirectURIs: [String] = []
        @Option(name: .customLong("post-logout-redirect-uri"), help: "Where RP-initiated logout may return (repeatable).")
        var postLogoutRedirectURIs: [String] = []
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            func list(_ given: [String]) -> [String]? { given.isEmpty ? nil : given.filter { !$0.isEmpty } }
            try await reportingFailures {
                let (app, secret) = try await withPortico { portico in
                    try await PartnerApps.updateClient(
                        org: try await APIKeyCommand.organization(org, portico), slug: slug, redirectURIs: list(redirectURIs),
                        postLogoutRedirectURIs: list(postLogoutRedirectURIs), actor: "cli", now: portico.clock.now(), store: portico.store
                    )
                }
                let out = AppJSON(app, key: nil, clientSecret: secret)
                if json { try Output.json(out) } else { Output.line(secret.map { "client_secret \($0)" } ?? "updated \(slug)") }
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key", abstract: "Give the app a new key k and print it (the client secret is unchanged)."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug.") var slug: String
        @Flag(help: "Print one JSON object.") var json = false

        struct KeyJSON: Encodable {
            var slug: String
            var key: String
        }

        func run() async throws {
            try await reportingFailures {
                let (app, key) = try await withPortico { portico in
                    try await PartnerApps.rotateKey(
                        org: try await APIKeyCommand.organization(org, portico), slug: slug, actor: "cli", now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(KeyJSON(slug: app.slug, key: key)) } else { Output.line(key) }
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret", abstract: "Give the app a new client secret and print it; the old one stops working at once."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug.") var slug: String
        @Flag(help: "Print one JSON object.") var json = false

        struct SecretJSON: Encodable {
            var clientID: String?
            var clientSecret: String
            enum CodingKeys: String, CodingKey {
                case clientID = "client_id", clientSecret = "client_secret"
            }
        }

        func run() async throws {
            try await reportingFailures {
                let (app, secret) = try await withPortico { portico in
                    try await PartnerApps.rotateSecret(
                        org: try await APIKeyCommand.organization(org, portico), slug: slug, actor: "cli", now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(SecretJSON(clientID: app.clientID, clientSecret: secret)) } else { Output.line(secret) }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an app: its key and client stop working; its codes and tokens end."
        )
        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug.") var slug: String

        func run() async throws {
            try await reportingFailures {
                try await AppCommand.setEnabled(false, org: org, slug: slug)
                Output.line("disabled \(slug)")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled app again.")
        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug.") var slug: String

        func run() async throws {
            try await reportingFailures {
                try await AppCommand.setEnabled(true, org: org, slug: slug)
                Output.line("enabled \(slug)")
            }
        }
    }

    static func setEnabled(_ enabled: Bool, org: String, slug: String) async throws {
        _ = try await withPortico { portico in
            try await PartnerApps.setEnabled(
                enabled, org: try await APIKeyCommand.organization(org, portico), slug: slug, actor: "cli", now: portico.clock.now(), store: portico.store
            )
        }
    }
}

/// `portico oidc rotate-key`: a new OpenID Connect signing key (SPEC §10).
struct OIDCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oidc", abstract: "Manage the OpenID Connect provider.", subcommands: [RotateKey.self]
    )

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key", abstract: "Make a new ID-token signing key; the old one stays in the JWKS for 24 hours."
        )
        @Flag(help: "Print one JSON object.") var json = false

        struct KeyJSON: Encodable {
            var kid: String
            var alg = "RS256"
            var previousKID: String?
            enum CodingKeys: String, CodingKey {
                case kid, alg
                case previousKID = "previous_kid"
            }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(kid, forKey: .kid)
                try c.encode(alg, forKey: .alg)
                try c.encode(previousKID, forKey: .previousKID)
            }
        }

        func run() async throws {
            try await reportingFailures {
                let (kid, previous) = try await withPortico { portico in
                    return try await portico.oidcKeys.rotate()
                }
                if json { try Output.json(KeyJSON(kid: kid, previousKID: previous)) } else { Output.line("new signing key \(kid)") }
            }
        }
    }
}
