import PorticoCore
import Vapor

/// The last line against response splitting (SPEC §9): no header value Portico writes
/// may carry CR, LF or NUL. Every value that came from input is checked where it is
/// used; should one slip through anyway, this outermost middleware drops the whole
/// response for a bare 500 (and logs which header, escaped), so the bytes never leave
/// the server. SwiftNIO's HTTP/1 encoder would write them as they are.
///
/// (Future-based, like the other per-request guards: an `AsyncMiddleware` costs a task
/// per request.)
struct HeaderGuardMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            guard let bad = Self.unsafeHeader(in: response.headers) else { return response }
            request.logger.error("refused to send a header with CR, LF or NUL", metadata: ["header": .string(LogText.escaped(bad))])
            var headers = HTTPHeaders()
            headers.contentType = .plainText
            headers.cacheControl = .init(noStore: true)
            return Response(status: .internalServerError, headers: headers, body: .init(string: "internal error\n"))
        }
    }

    /// The name of the first header whose name or value holds CR, LF or NUL.
    static func unsafeHeader(in headers: HTTPHeaders) -> String? {
        headers.first { !SafeText.isSafeHeaderValue($0.name) || !SafeText.isSafeHeaderValue($0.value) }?.name
    }
}
