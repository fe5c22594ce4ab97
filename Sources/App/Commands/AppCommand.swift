import ArgumentParser
import Foundation
import PorticoCore

/// `portico app create|rotate-key|disable|enable`: partner apps for launch codes.
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app", abstract: "Manage partner apps (where members are launched to).",
        subcommands: [Create.self, RotateKey.self, Disable.self, Enable.self]
    )

    struct AppJSON: Encodable {
        var id: UUID
        var slug: String
        var key: String
        var launchURL: String
        enum CodingKeys: String, CodingKey {
            case id, slug, key
            case launchURL = "launch_url"
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an app and print its key k (the only time it is shown).")

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug (its /launch/{slug} path).") var slug: String
        @Option(help: "Display name, on the launch button.") var name: String
        @Option(name: .customLong("launch-url"), help: "https URL the member is sent to with t=<code> (http only for loopback).")
        var launchURL: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let (app, key) = try await withPortico { portico in
                    try await PartnerApps.create(
                        org: try await APIKeyCommand.organization(org, portico), slug: slug, name: name, launchURL: launchURL,
                        actor: "cli", now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(AppJSON(id: app.id!, slug: app.slug, key: key, launchURL: app.launchURL)) } else { Output.line(key) }
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rotate-key", abstract: "Give the app a new key k and print it.")

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The app's slug.") var slug: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let (app, key) = try await withPortico { portico in
                    try await PartnerApps.rotateKey(
                        org: try await APIKeyCommand.organization(org, portico), slug: slug, actor: "cli", now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(AppJSON(id: app.id!, slug: app.slug, key: key, launchURL: app.launchURL)) } else { Output.line(key) }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an app: its key stops working.")
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
