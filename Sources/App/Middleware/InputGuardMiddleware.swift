import NIOConcurrencyHelpers
import NIOCore
import PorticoCore
import Vapor

/// Reads each request's body before its handler runs: at most 1 MiB (`413` at once
/// when the declared length is larger, or as soon as more arrives), and without NUL in
/// any text (`422` in the route's error format: SQLite's C API would cut a text at a
/// NUL and PostgreSQL refuses one, so a NUL is refused where it enters, for every
/// field of every surface).
///
/// A form body holds at most `maxFormFields` fields (`413`): Vapor's form decoder works
/// in time that grows faster than the number of fields, and it runs on the event loop,
/// so one large form of repeated fields stalled every request of the process. Multipart
/// bodies, which no endpoint takes, are refused (`415`) before anything parses them.
struct InputGuardMiddleware: Middleware {
    static let nulRefused = Abort(.unprocessableEntity, reason: "text must not contain NUL characters (\\u0000, %00)")
    /// A route's `userInfo` key: its handler reads a NUL in the body itself (`Surface.readsNUL`).
    static let readsNULKey = "portico.reads_nul"
    static let maxFormFields = 1_000
    /// Brackets (`a[b][c]`, raw or `%5B`) make nested keys, which the decoder also pays
    /// for per level; Portico's forms have none.
    static let maxFormBrackets = 64
    static let tooManyFields = Abort(
        .payloadTooLarge, reason: "a form may have at most \(maxFormFields) fields and \(maxFormBrackets) brackets in its names"
    )

    /// Too many fields or brackets to hand to the decoder (one pass over the bytes).
    static func formTooComplex(_ bytes: some Collection<UInt8>) -> Bool {
        var fields = 1, brackets = 0
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch bytes[index] {
            case UInt8(ascii: "&"): fields += 1
            case UInt8(ascii: "["): brackets += 1
            case UInt8(ascii: "%"):
                let next = bytes.index(after: index)
                if next != bytes.endIndex, bytes[next] == UInt8(ascii: "5") {
                    let last = bytes.index(after: next)
                    if last != bytes.endIndex, bytes[last] | 0x20 == UInt8(ascii: "b") { brackets += 1 }
                }
            default: break
            }
            if fields > maxFormFields || brackets > maxFormBrackets { return true }
            index = bytes.index(after: index)
        }
        return false
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if let declared = request.headers.first(name: .contentLength), let length = Int(declared), length > JSONBody.maxBodyBytes {
            return request.eventLoop.makeFailedFuture(Abort(.payloadTooLarge))
        }
        guard request.hasBody else { return next.respond(to: request) }
        if let type = request.headers.contentType, type.type.lowercased() == "multipart" {
            return request.eventLoop.makeFailedFuture(Abort(.unsupportedMediaType))
        }
        return request.body.collect(max: JSONBody.maxBodyBytes).flatMap { body in
            if let body, body.readableBytes > 0 {
                let bytes = body.readableBytesView
                let isForm = request.headers.contentType == .urlEncodedForm
                if isForm, Self.formTooComplex(bytes) { return request.eventLoop.makeFailedFuture(Self.tooManyFields) }
                let readsNUL = request.route?.userInfo[Self.readsNULKey] as? Bool == true
                let hasNUL = !readsNUL && (isForm ? SafeText.formHasNUL(bytes) : bytes.contains(0) || SafeText.jsonHasEscapedNUL(bytes))
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
