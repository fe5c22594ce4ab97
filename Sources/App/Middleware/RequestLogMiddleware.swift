import PorticoCore
import Vapor

/// One log line per request: method and path as received (still percent-encoded, and
/// escaped), never the query, which can carry tokens, codes and keys.
struct RequestLogMiddleware: AsyncMiddleware {
    var level: Logger.Level = .info

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.logger.log(level: level, "\(request.method) \(LogText.escaped(request.url.path))")
        return try await next.respond(to: request)
    }
}

/// Wraps the process's log handler so that no message or metadata string can hold a
/// control character: a value from input (a path, a header, an email) can never start
/// a forged line of its own (SPEC §9).
struct EscapingLogHandler: LogHandler {
    var wrapped: any LogHandler

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        wrapped.log(
            level: level, message: "\(LogText.escaped(message.description))", metadata: metadata.map(Self.escaped),
            source: source, file: file, function: function, line: line
        )
    }

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(escaped)
    }

    static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(LogText.escaped(text))
        case .stringConvertible(let convertible): .string(LogText.escaped(convertible.description))
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let values): .dictionary(values.mapValues(escaped))
        }
    }
}
