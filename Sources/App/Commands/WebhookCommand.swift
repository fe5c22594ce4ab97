import ArgumentParser
import Foundation
import PorticoCore

/// `portico webhook …`: an organization's webhook endpoints and re-sending (SPEC §7).
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Manage webhook endpoints and re-send events.",
        subcommands: [Create.self, List.self, Delete.self, RotateKey.self, Test.self, Redeliver.self]
    )

    /// An endpoint as `--json` prints it: the Partner API's webhook object.
    static func json(_ endpoint: WebhookEndpoint, showKey: Bool) -> PartnerAPI.WebhookDTO {
        PartnerAPI.WebhookDTO(endpoint: endpoint, showKey: showKey, now: Date())
    }

    static func endpointID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw CLIFailure("'\(text)' is not a webhook id") }
        return id
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint and print its signing key (shown once).")

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The receiver's URL (https; http only with PORTICO_WEBHOOK_ALLOW_PRIVATE=true).") var url: String
        @Option(help: "Comma-separated event types to send (default: all).") var events: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let endpoint = try await withPortico { portico in
                    let organization = try await APIKeyCommand.organization(org, portico)
                    let filter = try Webhooks.validatedFilter(events.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
                    let checked = try await Webhooks.validatedURL(url, allowPrivate: portico.config.webhookAllowPrivate, resolver: portico.webhookResolver)
                    return try await Webhooks.create(
                        orgID: organization.requireID(), url: checked, events: filter, actor: "cli", ip: nil, now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(WebhookCommand.json(endpoint, showKey: true)) } else {
                    Output.line("\(endpoint.id!.uuidString.lowercased()) \(endpoint.url)")
                    Output.line("key: \(endpoint.key) (\(WebhookSignature.whsec(endpoint.key)))")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organization's endpoints (without keys).")

        @Option(help: "Slug of the organization.") var org: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let endpoints = try await withPortico { portico in
                    try await Webhooks.list(orgID: try await APIKeyCommand.organization(org, portico).requireID(), on: portico.store.db)
                }
                if json { try Output.json(PartnerAPI.WebhookListResponse(webhooks: endpoints.map { WebhookCommand.json($0, showKey: false) })) } else {
                    for e in endpoints {
                        let state = e.enabled ? "enabled" : "disabled" + (e.disabledReason.map { " (\($0))" } ?? "")
                        Output.line("\(e.id!.uuidString.lowercased())  \(state)  \(e.events?.joined(separator: ",") ?? "all events")  \(e.url)")
                    }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an endpoint and its delivery history.")
        @Option(help: "Slug of the organization.") var org: String
        @Argument(help: "The endpoint's id.") var id: String

        func run() async throws {
            try await reportingFailures {
                let endpointID = try WebhookCommand.endpointID(id)
                try await withPortico { portico in
                    try await Webhooks.delete(
                        orgID: try await APIKeyCommand.organization(org, portico).requireID(), id: endpointID,
                        actor: "cli", ip: nil, now: portico.clock.now(), store: portico.store
                    )
                }
                Output.line("deleted \(id)")
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key", abstract: "Give the endpoint a new key (the old one signs too for 24 h) and print it."
        )
        @Option(help: "Slug of the organization.") var org: String
        @Argument(help: "The endpoint's id.") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailures {
                let endpointID = try WebhookCommand.endpointID(id)
                let endpoint = try await withPortico { portico in
                    try await Webhooks.rotateKey(
                        orgID: try await APIKeyCommand.organization(org, portico).requireID(), id: endpointID,
                        actor: "cli", ip: nil, now: portico.clock.now(), store: portico.store
                    )
                }
                if json { try Output.json(WebhookCommand.json(endpoint, showKey: true)) } else { Output.line(endpoint.key) }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a webhook.test event for the endpoint.")
        @Option(help: "Slug of the organization.") var org: String
        @Argument(help: "The endpoint's id.") var id: String

        func run() async throws {
            try await reportingFailures {
                let endpointID = try WebhookCommand.endpointID(id)
                let event = try await withPortico { portico in
                    try await Webhooks.sendTest(
                        orgID: try await APIKeyCommand.organization(org, portico).requireID(), id: endpointID,
                        now: portico.clock.now(), store: portico.store
                    )
                }
                Output.line("queued \(event.id ?? "")")
            }
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send one event again (--event), or every delivery that failed since a time (--failed-since)."
        )
        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "An event id (evt_…).") var event: String?
        @Option(name: .customLong("failed-since"), help: "An RFC 3339 time, e.g. 2026-11-23T09:00:00Z.") var failedSince: String?
        @Option(help: "Only this endpoint (its id).") var webhook: String?

        func validate() throws {
            guard (event == nil) != (failedSince == nil) else { throw ValidationError("give exactly one of --event and --failed-since") }
        }

        func run() async throws {
            try await reportingFailures {
                let endpointID = try webhook.map(WebhookCommand.endpointID)
                let since = try failedSince.map { text in
                    guard let date = RFC3339.date(from: text) else { throw CLIFailure("--failed-since must be an RFC 3339 time, e.g. 2026-11-23T09:00:00Z") }
                    return date
                }
                let queued = try await withPortico { portico in
                    let orgID = try await APIKeyCommand.organization(org, portico).requireID()
                    if let event {
                        return try await Webhooks.redeliver(
                            orgID: orgID, eventID: event, endpointID: endpointID, actor: "cli", ip: nil, now: portico.clock.now(), store: portico.store
                        )
                    }
                    return try await Webhooks.redeliverFailed(
                        orgID: orgID, since: since!, endpointID: endpointID, actor: "cli", ip: nil, now: portico.clock.now(), store: portico.store
                    )
                }
                Output.line("queued \(queued) deliveries")
            }
        }
    }
}
