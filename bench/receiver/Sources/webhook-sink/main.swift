// webhook-sink: the benchmark's webhook receiver (bench/run, scenario "webhooks").
//
//   webhook-sink [--host 127.0.0.1] [--port 9999] [--threads 1]
//
// Answers every POST with 200 and an empty body as soon as the request has arrived
// (no signature check: the benchmark measures Portico, not the receiver), and counts
// them. `GET /stats` → {"count": N, "first_at": unix seconds, "last_at": unix seconds}
// (times of the first and last counted POST, null before any); `POST /reset` sets
// the count back to zero. Any other GET gets 200 with an empty body.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Wall-clock time in unix seconds.
func unixNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A line on stderr (without touching the C `stderr` global, which Swift 6 refuses).
func complain(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

struct Stats: Sendable {
    var count = 0
    var firstAt: Double?
    var lastAt: Double?

    var json: String {
        func number(_ value: Double?) -> String { value.map { String($0) } ?? "null" }
        return "{\"count\": \(count), \"first_at\": \(number(firstAt)), \"last_at\": \(number(lastAt))}"
    }
}

/// Shared by every event loop.
enum Sink {
    static let stats = NIOLockedValueBox(Stats())
}

final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Route { case count, stats, reset, other }

    // One handler per connection, used only on its event loop.
    private var route = Route.other
    private var keepAlive = true
    private var version = HTTPVersion.http1_1

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            version = head.version
            let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
            switch (head.method, path) {
            case (.GET, "/stats"): route = .stats
            case (.POST, "/reset"): route = .reset
            case (.POST, _): route = .count
            default: route = .other
            }
        case .body:
            break
        case .end:
            var body: ByteBuffer?
            switch route {
            case .count:
                let now = unixNow()
                Sink.stats.withLockedValue { s in
                    s.count += 1
                    if s.firstAt == nil { s.firstAt = now }
                    s.lastAt = now
                }
            case .reset:
                Sink.stats.withLockedValue { $0 = Stats() }
            case .stats:
                body = context.channel.allocator.buffer(string: Sink.stats.withLockedValue { $0.json })
            case .other:
                break
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: String(body?.readableBytes ?? 0))
            if body != nil { headers.add(name: "content-type", value: "application/json") }
            if !keepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
            if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

// MARK: - Command line

var host = "127.0.0.1"
var port = 9999
var threads = 1
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--host": host = arguments.next() ?? host
    case "--port": port = arguments.next().flatMap { Int($0) } ?? port
    case "--threads": threads = max(1, arguments.next().flatMap { Int($0) } ?? threads)
    case "-h", "--help":
        print("usage: webhook-sink [--host 127.0.0.1] [--port 9999] [--threads 1]")
        exit(0)
    default:
        complain("webhook-sink: unknown argument \(argument)")
        exit(2)
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 1024)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(SinkHandler())
        }
    }

do {
    let channel = try bootstrap.bind(host: host, port: port).wait()
    print("webhook-sink listening on \(host):\(channel.localAddress?.port ?? port)")
    fflush(nil)  // all streams: bench/run waits for this line on a pipe
    try channel.closeFuture.wait()
} catch {
    complain("webhook-sink: \(error)")
    exit(1)
}
