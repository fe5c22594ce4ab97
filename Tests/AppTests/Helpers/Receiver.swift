import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A real HTTP receiver on 127.0.0.1 for webhook tests: records every request and
/// answers as `respond` says (status, headers, an optional delay before answering).
final class Receiver: Sendable {
    struct Hit: Sendable {
        var path: String
        var headers: HTTPHeaders
        var body: String

        var json: JSON { JSON((try? JSONSerialization.jsonObject(with: Data(body.utf8))) ?? NSNull()) }
        var webhookID: String? { headers.first(name: "webhook-id") }
    }

    struct Answer: Sendable {
        var status: HTTPResponseStatus = .ok
        var headers: [(String, String)] = []
        var delay: Duration? = nil
        /// A body of this many bytes, sent at once.
        var bodyBytes = 0
        /// A body sent a byte at a time at this interval, for a minute.
        var trickle: Duration? = nil
    }

    private let app: Application
    let port: Int
    private let recorded: NIOLockedValueBox<[Hit]>
    /// Chooses the answer from the request's number (0-based) and the hit itself.
    private let respond: NIOLockedValueBox<@Sendable (Int, Hit) -> Answer>

    var hits: [Hit] { recorded.withLockedValue { $0 } }
    /// The most requests that were in flight at once to one path.
    var mostInFlight: Int { inFlight.withLockedValue { $0.most } }
    private let inFlight: NIOLockedValueBox<(now: [String: Int], most: Int)>
    func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(port)\(path)" }

    func answer(_ rule: @escaping @Sendable (Int, Hit) -> Answer) { respond.withLockedValue { $0 = rule } }

    private init(
        app: Application, port: Int, recorded: NIOLockedValueBox<[Hit]>, respond: NIOLockedValueBox<@Sendable (Int, Hit) -> Answer>,
        inFlight: NIOLockedValueBox<(now: [String: Int], most: Int)>
    ) {
        self.app = app
        self.inFlight = inFlight
        self.port = port
        self.recorded = recorded
        self.respond = respond
    }

    static func start(_ rule: @escaping @Sendable (Int, Hit) -> Answer = { _, _ in Answer() }) async throws -> Receiver {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let recorded = NIOLockedValueBox<[Hit]>([])
        let respond = NIOLockedValueBox<@Sendable (Int, Hit) -> Answer>(rule)
        let inFlight = NIOLockedValueBox<(now: [String: Int], most: Int)>(([:], 0))
        app.on(.POST, "**", body: .collect(maxSize: "2mb")) { req async throws -> Response in
            let hit = Hit(
                path: req.url.path, headers: req.headers,
                body: req.body.data.map { String(buffer: $0) } ?? ""
            )
            inFlight.withLockedValue { state in
                state.now[hit.path, default: 0] += 1
                state.most = max(state.most, state.now[hit.path]!)
            }
            defer { inFlight.withLockedValue { $0.now[hit.path, default: 1] -= 1 } }
            let index = recorded.withLockedValue { hits in
                hits.append(hit)
                return hits.count - 1
            }
            let answer = respond.withLockedValue { $0 }(index, hit)
            if let delay = answer.delay { try? await Task.sleep(for: delay) }
            var headers = HTTPHeaders()
            for (name, value) in answer.headers { headers.add(name: name, value: value) }
            let response = Response(status: answer.status, headers: headers)
            if let every = answer.trickle {
                response.body = Response.Body(asyncStream: { writer in
                    do {
                        for _ in 0..<Int(60 / (Double(every.components.attoseconds) / 1e18 + Double(every.components.seconds))) {
                            try await writer.write(.buffer(ByteBuffer(string: "x")))
                            try await Task.sleep(for: every)
                        }
                        try await writer.write(.end)
                    } catch {
                        // The client gave up (as it should): the stream ends with the error.
                        try? await writer.write(.error(error))
                    }
                })
            } else if answer.bodyBytes > 0 {
                response.body = Response.Body(string: String(repeating: "x", count: answer.bodyBytes))
            }
            return response
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        guard let port = app.http.server.shared.localAddress?.port else { throw Abort(.internalServerError, reason: "receiver has no port") }
        let receiver = Receiver(app: app, port: port, recorded: recorded, respond: respond, inFlight: inFlight)
        return receiver
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    /// Runs `body` with a started receiver and stops it afterwards.
    static func with(
        _ rule: @escaping @Sendable (Int, Hit) -> Answer = { _, _ in Answer() }, _ body: (Receiver) async throws -> Void
    ) async throws {
        let receiver = try await start(rule)
        do { try await body(receiver) } catch {
            try? await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }
}
