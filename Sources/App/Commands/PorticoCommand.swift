import ArgumentParser
import Foundation
import Logging
import NIOConcurrencyHelpers
import PorticoCore
import Vapor

/// `portico`: one executable for the server and its administration (SPEC §2).
public struct PorticoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "portico",
        abstract: "Single sign-on and partner integration for learning platforms.",
        subcommands: [
            ServeCommand.self, WorkerCommand.self, MigrateCommand.self, OrgCommand.self, AdminCommand.self, APIKeyCommand.self, AppCommand.self,
            WebhookCommand.self, OIDCCommand.self, DemoCommand.self, BackupCommand.self,
        ]
    )

    public init() {}
}

/// Runs `body` against a migrated database with the configuration of the environment,
/// printing failures as one line on stderr and exiting non-zero (never a stack trace).
/// (`package`: the benchmark's seeding executable runs on it too.)
package func withPortico<T>(
    _ body: (PorticoServices) async throws -> T
) async throws -> T {
    var config = try environmentConfig()
    // Commands print their results on stdout; only warnings and worse go to the log.
    config.logLevel = max(config.logLevel, .warning)
    LogSetup.bootstrapOnce(level: config.logLevel, format: config.logFormat)
    let app = try await Application.make(.init(name: "production", arguments: ["portico"]))
    do {
        try await configure(app, config: config)
        try await migrate(app)
        let result = try await body(app.portico)
        try await app.asyncShutdown()
        return result
    } catch {
        try? await app.asyncShutdown()
        throw CLIFailure.from(error)
    }
}

/// The configuration of the process's environment; a malformed value is a `CLIFailure`
/// naming every problem.
func environmentConfig() throws -> PorticoConfig {
    do {
        return try PorticoConfig.from(environment: ProcessInfo.processInfo.environment)
    } catch {
        throw CLIFailure(String(describing: error))
    }
}

/// A command failure, worded for the operator.
package struct CLIFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ message: String) { description = message }

    static func from(_ error: any Error) -> any Error {
        switch error {
        case let e as CLIFailure: return e
        case let e as PorticoError: return CLIFailure(e.description)
        case let e as ValidationError: return e
        case let e as ExitCode: return e
        default: return CLIFailure("failed: \(String(describing: error))")
        }
    }
}

extension AsyncParsableCommand {
    /// Runs the command body; a `CLIFailure` becomes `error: …` on stderr and exit code 1.
    package func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
            throw ExitCode(1)
        } catch let failure as PorticoError {
            FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Printing results: text for people, one JSON object for scripts.
package enum Output {
    package static func json(_ value: some Encodable) throws {
        let encoder = PorticoJSON.encoder()
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    package static func line(_ text: String) { print(text) }
}

enum LogSetup {
    private static let bootstrapped = NIOLockedValueBox(false)

    /// Structured logs on stderr; set up once per process. Text: the stream handler's
    /// lines under the `EscapingLogHandler`. JSON (`LOG_FORMAT=json`): the
    /// `JSONLogHandler` alone, which escapes for JSON itself (escaping twice would turn
    /// a newline into `\\n`).
    static func bootstrapOnce(level: Logger.Level, format: PorticoConfig.LogFormat) {
        bootstrapped.withLockedValue { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in handler(label: label, level: level, format: format) }
        }
    }

    static func handler(label: String, level: Logger.Level, format: PorticoConfig.LogFormat) -> any LogHandler {
        switch format {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return EscapingLogHandler(wrapped: handler)
        case .json:
            return JSONLogHandler(label: label, level: level)
        }
    }
}

