import ArgumentParser
import Foundation
import Logging
import PorticoCore
import Vapor

/// `portico serve`: migrates, then serves HTTP and runs the background jobs.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Migrate, then serve HTTP and run background jobs.")

    @ArgumentParser.Option(name: .long, help: "Address to listen on.") var hostname = "127.0.0.1"
    @ArgumentParser.Option(name: .long, help: "Port to listen on.") var port = 8080
    @ArgumentParser.Flag(name: .customLong("no-webhook-worker"), help: "Leave webhook delivery to separate `portico worker` processes.")
    var noWebhookWorker = false

    func run() async throws {
        try await reportingFailures {
            let config = try environmentConfig()
            LogSetup.bootstrapOnce(level: config.logLevel, format: config.logFormat)
            let app = try await Application.make(.init(
                name: "production", arguments: ["portico", "serve", "--hostname", hostname, "--port", String(port)]
            ))
            do {
                try await configure(app, config: config, runBackgroundJobs: true, runWebhookWorker: !noWebhookWorker)
                try await migrate(app)
                let secret = try await RootSecret.resolve(configured: config.secret, store: app.portico.store)
                if secret.storedInDatabase {
                    app.logger.warning("PORTICO_SECRET is not set: using a generated secret kept in the database; whoever can read the database can forge launch codes")
                }
                // The OpenID Connect signing key: made at first start (SPEC §10), read into memory
                // before the first request needs it.
                _ = try await app.portico.oidcKeys.keySet()
                app.logger.info("Portico serving", metadata: [
                    "public-url": .string(config.publicURL), "engine": .string(config.storage.engine.rawValue),
                    "tasks-on-event-loops": .stringConvertible(EventLoopGlobalExecutor.isInstalled),
                ])
                try await app.execute()
                // The HTTP server first: it stops accepting and lets the requests in flight
                // finish (up to 10 s) while the database writer and the stores they use are
                // still up. `asyncShutdown` alone would stop those before the server.
                await app.server.shutdown()
                try await app.asyncShutdown()
            } catch {
                try? await app.asyncShutdown()
                throw CLIFailure.from(error)
            }
        }
    }
}

/// `portico migrate`: applies pending migrations (under an advisory lock on PostgreSQL).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations.")

    func run() async throws {
        try await reportingFailures {
            try await withPortico { _ in }
            Output.line("migrations applied")
        }
    }
}
