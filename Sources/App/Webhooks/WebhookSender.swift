import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import PorticoCore

/// Makes one delivery attempt over HTTP (SPEC §7): checks the target against the
/// SSRF rules with one lookup, connects to the address that was checked, signs the
/// body with this attempt's timestamp and gives the whole exchange `timeout` seconds.
struct WebhookSender: Sendable {
    let clients: WebhookClients
    let allowPrivate: Bool
    let resolver: any HostResolver
    let timeout: Int

    static let userAgent = "Portico-Webhooks/1.0"
    /// The most of a response body that is read (and thrown away).
    static let maxResponseBytes = 64 * 1024

    /// The request body: the webhook object "namespaced under the webhook key".
    static func body(_ event: EventFeed.WebhookObject) -> String { "{\"webhook\":" + event.json + "}" }

    func send(_ due: WebhookDispatch.Due, lease: WebhookDispatch.Lease, now: Date) async -> WebhookDispatch.Result {
        let target: WebhookTarget
        do {
            target = try await WebhookTargets.resolve(lease.url, allowPrivate: allowPrivate, resolver: resolver)
        } catch let error as WebhookTargetError {
            return .failed(status: nil, error: error.message, retryAfter: nil)
        } catch {
            return .failed(status: nil, error: "the target could not be checked", retryAfter: nil)
        }
        let body = Self.body(due.event)
        let timestamp = Int(now.timeIntervalSince1970)
        let keys = Webhooks.signingKeys(key: lease.key, previousKey: lease.previousKey, previousKeyExpiresAt: lease.previousKeyExpiresAt, now: now)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "user-agent", value: Self.userAgent)
        headers.add(name: "webhook-id", value: due.event.id)
        headers.add(name: "webhook-timestamp", value: String(timestamp))
        headers.add(name: "webhook-signature", value: WebhookSignature.header(id: due.event.id, timestamp: timestamp, body: body, keys: keys))

        let client = clients.client(for: target)
        // The loop this delivery runs on (the worker's slots run on the clients' loops):
        // the connection, the response's callbacks and the deadline's timer all stay on
        // it, so an exchange wakes no other thread.
        let eventLoop = clients.eventLoopGroup.any()
        let reader = StatusReader()
        do {
            let request = try HTTPClient.Request(url: target.url, method: .POST, headers: headers, body: .byteBuffer(ByteBuffer(string: body)))
            // The deadline covers the whole exchange, the response body too.
            let status: Int
            do {
                let exchange = client.execute(
                    request: request, delegate: reader, eventLoop: .delegateAndChannel(on: eventLoop),
                    deadline: .now() + .seconds(Int64(timeout))
                )
                // Shutting down cancels the worker: the exchange is cut off at once.
                status = try await withTaskCancellationHandler {
                    try await exchange.futureResult.get()
                } onCancel: {
                    exchange.cancel()
                }
            } catch is StatusReader.BodyTooLong {
                status = reader.status
            }
            let retryAfter = reader.retryAfter
            switch status {
            case 200..<300:
                return .succeeded(status: status)
            case 410:
                return .gone
            case 300..<400:
                return .failed(status: status, error: "HTTP \(status): redirects are not followed", retryAfter: nil)
            case 429, 503:
                return .failed(status: status, error: "HTTP \(status)", retryAfter: retryAfter.flatMap { Self.retryAfterSeconds($0, now: now) })
            default:
                return .failed(status: status, error: "HTTP \(status)", retryAfter: nil)
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .failed(status: nil, error: "no complete answer within \(timeout) s", retryAfter: nil)
        } catch {
            return .failed(status: nil, error: "connection failed: \(Self.describe(error))", retryAfter: nil)
        }
    }

    /// `Retry-After` as seconds (a number or an HTTP date), at most an hour.
    static func retryAfterSeconds(_ value: String, now: Date) -> Int? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            // Any run of digits, however long: more than an hour is an hour.
            return text.utf8.count > 4 ? 3600 : min(Int(text) ?? 3600, 3600)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        let seconds = date.timeIntervalSince(now).rounded(.up)
        guard seconds.isFinite else { return nil }
        return Int(min(max(seconds, 0), 3600))
    }

    /// A short reason for the delivery log; never the URL (it may carry a secret).
    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return String(text.prefix(200))
    }
}

/// Keeps what a delivery needs of the response (status, `Retry-After`) and reads at most
/// `WebhookSender.maxResponseBytes` of its body, throwing the rest away. Its callbacks all
/// come on the one event loop the exchange runs on.
private final class StatusReader: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Int

    struct BodyTooLong: Error {}

    private(set) var status = 0
    private(set) var retryAfter: String?
    private var read = 0

    func didReceiveHead(task: HTTPClient.Task<Int>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        retryAfter = head.headers.first(name: "retry-after")
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Int>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        read += buffer.readableBytes
        if read > WebhookSender.maxResponseBytes { return task.eventLoop.makeFailedFuture(BodyTooLong()) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Int>) throws -> Int { status }
}

/// HTTP clients for webhook delivery. A target whose URL names the checked address
/// itself goes through one shared client; a name goes through a client that maps it
/// to the checked address (`dnsOverride`: TLS still verifies the name), kept while
/// the name keeps resolving to that address, so connections are reused.
///
/// A lock, not an actor: every delivery asks for its client, and a task that visits an
/// actor carries on on the thread that runs it, which on NIO's loops (`EventLoopGlobalExecutor`)
/// gathers the deliveries onto one loop.
final class WebhookClients: Sendable {
    let eventLoopGroup: any EventLoopGroup
    private let timeout: Int
    private let shared: HTTPClient
    private struct Pinned {
        var clients: [String: HTTPClient] = [:]
        var recent: [String] = []
    }
    private let pinned = NIOLockedValueBox(Pinned())
    static let maxPinned = 64

    init(eventLoopGroup: any EventLoopGroup, timeout: Int) {
        self.eventLoopGroup = eventLoopGroup
        self.timeout = timeout
        shared = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: Self.configuration(timeout: timeout, override: [:]))
    }

    static func configuration(timeout: Int, override: [String: String]) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(timeout)), read: .seconds(Int64(timeout))),
            proxy: nil,
            decompression: .disabled
        )
        configuration.dnsOverride = override
        return configuration
    }

    func client(for target: WebhookTarget) -> HTTPClient {
        if target.host == target.address.description { return shared }
        let key = target.host + "\u{0}" + target.address.description
        let (client, evicted) = pinned.withLockedValue { pinned -> (HTTPClient, HTTPClient?) in
            if let client = pinned.clients[key] {
                pinned.recent.removeAll { $0 == key }
                pinned.recent.append(key)
                return (client, nil)
            }
            let client = HTTPClient(
                eventLoopGroupProvider: .shared(eventLoopGroup),
                configuration: Self.configuration(timeout: timeout, override: [target.host: target.address.description])
            )
            pinned.clients[key] = client
            pinned.recent.append(key)
            guard pinned.recent.count > Self.maxPinned else { return (client, nil) }
            return (client, pinned.clients.removeValue(forKey: pinned.recent.removeFirst()))
        }
        if let evicted {
            // Let a request still using it finish before it goes.
            let grace = timeout + 5
            Task {
                try? await Task.sleep(for: .seconds(grace))
                try? await evicted.shutdown()
            }
        }
        return client
    }

    func shutdown() async {
        let clients = pinned.withLockedValue { pinned in
            defer { pinned = Pinned() }
            return Array(pinned.clients.values)
        }
        for client in clients { try? await client.shutdown() }
        try? await shared.shutdown()
    }
}
