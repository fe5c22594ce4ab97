import PorticoCore
import Vapor

/// One log line per request: method and path as received (still percent-encoded, and
/// escaped), never the query, which can carry tokens, codes and keys.
struct RequestLogMiddleware: Middleware {
    var level: Logger.Level = .info

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        request.logger.log(level: level, "\(request.method) \(LogText.escaped(request.url.path))")
        return next.respond(to: request)
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
        let text = message.description
        wrapped.log(
            level: level, message: LogText.needsEscaping(text) ? "\(LogText.escaped(text))" : message, metadata: metadata.map(Self.escaped),
            source: source, file: file, function: function, line: line
        )
    }

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        // Most lines need nothing escaped: keep the dictionary as it is.
        guard metadata.values.contains(where: needsEscaping) else { return metadata }
        return metadata.mapValues(escaped)
    }

    static func needsEscaping(_ value: Logger.Metadata.Value) -> Bool {
        switch value {
        case .string(let text): LogText.needsEscaping(text)
        case .stringConvertible(let convertible): LogText.needsEscaping(convertible.description)
        case .array(let values): values.contains(where: needsEscaping)
        case .dictionary(let values): values.values.contains(where: needsEscaping)
        }
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
