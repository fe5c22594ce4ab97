import PorticoCore
import Vapor

/// The access log: one line per request, written when its response is ready, with the
/// method, the route pattern (`/api/users/:partner_id`, or `unmatched`), the status, the
/// duration in milliseconds and (from the request's logger) the request id. Never the raw
/// path (partner ids are personal identifiers) nor the query (it carries tokens, codes and
/// keys). In text the message reads `GET /api/users/:partner_id 200`; the same values are
/// metadata fields (`method`, `route`, `status`, `duration-ms`), one JSON field each with
/// `LOG_FORMAT=json`.
struct RequestLogMiddleware: Middleware {
    var level: Logger.Level = .info

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        return next.respond(to: request).always { result in
            let status: UInt
            switch result {
            case .success(let response): status = response.status.code
            // The error middleware answers every error; one that still gets here is
            // answered by Vapor with its status, else 500.
            case .failure(let error): status = (error as? any AbortError)?.status.code ?? 500
            }
            Self.log(request: request, status: status, duration: ContinuousClock.now - start, level: level)
        }
    }

    static func log(request: Request, status: UInt, duration: Duration, level: Logger.Level = .info) {
        let logger = request.logger
        guard logger.logLevel <= level else { return }
        let method = request.method.rawValue
        let route = request.routePattern
        logger.log(level: level, "\(method) \(route) \(status)", metadata: [
            "method": .string(method),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration-ms": .stringConvertible(milliseconds(duration)),
        ])
    }

    /// Milliseconds with microsecond precision (`3.127`).
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return Double(micros) / 1000
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

    func log(event: LogEvent) {
        let text = event.message.description
        var metadata = event.metadata
        // An error goes on as metadata (as the stream handler would write it), escaped too.
        if let error = event.error {
            metadata = (metadata ?? [:]).merging(
                ["error.message": "\(error)", "error.type": "\(String(reflecting: type(of: error)))"]
            ) { _, new in new }
        }
        wrapped.log(event: LogEvent(
            level: event.level, message: LogText.needsEscaping(text) ? "\(LogText.escaped(text))" : event.message,
            metadata: metadata.map(Self.escaped), source: event.source, file: event.file, function: event.function, line: event.line
        ))
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
