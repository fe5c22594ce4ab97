import NIOConcurrencyHelpers
import NIOCore
import PorticoCore
import Vapor

/// Reads each request's body before routing: at most 1 MiB (413), complete within 30 s
/// of the request head (408; with the server's idle timeout, a client that trickles
/// or stalls cannot hold a handler), and without NUL in any text (422 in the surface's
/// error format: SQLite's C API would cut a text at a NUL and PostgreSQL refuses one,
/// so a NUL is refused where it enters, for every field of every surface).
struct InputGuardMiddleware: AsyncMiddleware {
    var bodyDeadline: TimeAmount = .seconds(30)
    static let nulRefused = Abort(.unprocessableEntity, reason: "text must not contain NUL characters (\\u0000, %00)")

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let body = try await Self.collectBody(request, deadline: bodyDeadline), body.readableBytes > 0 {
            let bytes = body.readableBytesView
            let hasNUL = request.headers.contentType == .urlEncodedForm
                ? SafeText.formHasNUL(bytes)
                : bytes.contains(0) || SafeText.jsonHasEscapedNUL(bytes)
            if hasNUL { throw Self.nulRefused }
        }
        return try await next.respond(to: request)
    }

    /// The whole body (nil when there is none), or 408 when it is not complete in time.
    static func collectBody(_ request: Request, deadline: TimeAmount) async throws -> ByteBuffer? {
        if let collected = request.body.data { return collected }
        let eventLoop = request.eventLoop
        let promise = eventLoop.makePromise(of: ByteBuffer?.self)
        let settled = NIOLockedValueBox(false)
        @Sendable func settle(_ result: Result<ByteBuffer?, any Error>) {
            let first = settled.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { promise.completeWith(result) }
        }
        let timer = eventLoop.scheduleTask(in: deadline) {
            settle(.failure(Abort(.requestTimeout, reason: "the request body did not arrive in time")))
        }
        request.body.collect(max: JSONBody.maxBodyBytes).whenComplete { result in
            timer.cancel()
            settle(result)
        }
        return try await promise.futureResult.get()
    }
}
