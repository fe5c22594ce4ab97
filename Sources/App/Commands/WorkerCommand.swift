import ArgumentParser
import Foundation
import PorticoCore
import Vapor

/// `portico worker`: the background work of `serve` without HTTP — webhook
/// delivery, anonymous-user expiry, event retention — for deployments that run
/// them apart. Any number may run against one PostgreSQL database.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run webhook delivery and the background jobs, without HTTP.")

    func run() async throws {
        try await reportingFailures {
            let config = try environmentConfig()
            LogSetup.bootstrapOnce(level: config.logLevel, format: config.logFormat)
            let app = try await Application.make(.init(name: "production", arguments: ["portico"]))
            do {
                try await configure(app, config: config, runBackgroundJobs: true)
                try await migrate(app)
                try await app.asyncBoot()
                app.logger.info("Portico worker running", metadata: ["engine": .string(config.storage.engine.rawValue)])
                await Self.untilSignalled()
                app.logger.info("Portico worker stopping")
                try await app.asyncShutdown()
            } catch {
                try? await app.asyncShutdown()
                throw CLIFailure.from(error)
            }
        }
    }

    /// Waits for SIGINT or SIGTERM.
    static func untilSignalled() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        withExtendedLifetime(sources) {}
    }
}
