import NIOConcurrencyHelpers
import NIOCore
import PorticoCore
import Vapor

/// Reads each request's body before its handler runs: at most 1 MiB (`413` at once
/// when the declared length is larger, or as soon as more arrives), and without NUL in
/// any text (`422` in the route's error format: SQLite's C API would cut a text at a
/// NUL and PostgreSQL refuses one, so a NUL is refused where it enters, for every
/// field of every surface).
struct InputGuardMiddleware: Middleware {
    static let nulRefused = Abort(.unprocessableEntity, reason: "text must not contain NUL characters (\\u0000, %00)")

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if let declared = request.headers.first(name: .contentLength), let length = Int(declared), length > JSONBody.maxBodyBytes {
            return request.eventLoop.makeFailedFuture(Abort(.payloadTooLarge))
        }
        guard request.hasBody else { return next.respond(to: request) }
        return request.body.collect(max: JSONBody.maxBodyBytes).flatMap { body in
            if let body, body.readableBytes > 0 {
                let bytes = body.readableBytesView
                let hasNUL = request.headers.contentType == .urlEncodedForm
                    ? SafeText.formHasNUL(bytes)
                    : bytes.contains(0) || SafeText.jsonHasEscapedNUL(bytes)
                if hasNUL { return request.eventLoop.makeFailedFuture(Self.nulRefused) }
            }
            return next.respond(to: request)
        }
    }
}

extension Request {
    /// Whether a body was sent or is still arriving (a length over 0, or chunked).
    var hasBody: Bool {
        if body.data != nil { return true }
        let declared = headers.first(name: .contentLength).flatMap { Int($0) } ?? 0
        return declared > 0 || headers.contains(name: .transferEncoding)
    }
}

/// SPEC §9: a request whose body is not complete within the deadline (30 s) of its
/// head is dropped: the request fails with `ClientTooSlow`, outside the error
/// middleware, and Vapor closes the connection. (With the server's idle timeout, a
/// client that stalls or trickles its body cannot hold a connection or a handler.)
struct BodyDeadlineMiddleware: Middleware {
    var deadline: TimeAmount = .seconds(30)

    struct ClientTooSlow: Error, CustomStringConvertible {
        var description: String { "the request body did not arrive in time; connection closed" }
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard request.body.data == nil, request.hasBody else { return next.respond(to: request) }
        let promise = request.eventLoop.makePromise(of: Response.self)
        let settled = NIOLockedValueBox(false)
        @Sendable func settle(_ result: Result<Response, any Error>) {
            let first = settled.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { promise.completeWith(result) }
        }
        let timer = request.eventLoop.scheduleTask(in: deadline) {
            // Only the body has a deadline here, not the handler's work.
            if request.body.data == nil { settle(.failure(ClientTooSlow())) }
        }
        next.respond(to: request).whenComplete { result in
            timer.cancel()
            settle(result)
        }
        return promise.futureResult
    }
}
