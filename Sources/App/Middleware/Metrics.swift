import Foundation
import Prometheus
import Vapor

/// Portico's Prometheus registry: request counts and latency per route and status
/// (and, as they arrive, webhook deliveries and queue depth).
public final class PorticoMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    public init() {
        // Delivery outcomes are shown from the start, at 0, so rates work before the first delivery.
        for outcome in ["succeeded", "retrying", "failed"] {
            _ = registry.makeCounter(name: "portico_webhook_deliveries_total", labels: [("outcome", outcome)])
        }
        registry.makeGauge(name: "portico_webhook_queue_depth").set(0.0)
    }

    func recordRequest(route: String, method: String, status: UInt, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(name: "portico_http_requests_total", labels: labels).increment()
        registry.makeDurationHistogram(
            name: "portico_http_request_duration_seconds", labels: labels, buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// One delivery attempt's effect: `succeeded`, `retrying` (failed, another attempt
    /// scheduled) or `failed` (no attempts left, or the endpoint answered 410).
    func recordDeliveries(outcome: String, count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(name: "portico_webhook_deliveries_total", labels: [("outcome", outcome)]).increment(by: Int64(count))
    }

    /// Deliveries waiting to be made (due now or scheduled for a retry).
    func setQueueDepth(_ depth: Int) {
        registry.makeGauge(name: "portico_webhook_queue_depth").set(Double(depth))
    }

    static let holdBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    /// One retention batch (`Retention.purge`): rows deleted of `kind`, and how long the
    /// batch held the writer (on SQLite its statements on the writer thread; on PostgreSQL
    /// its transaction, commit included).
    func recordRetentionBatch(kind: String, rows: Int, hold: Duration) {
        registry.makeCounter(name: "portico_retention_deleted_total", labels: [("kind", kind)]).increment(by: Int64(rows))
        registry.makeDurationHistogram(name: "portico_retention_batch_hold_seconds", labels: [], buckets: Self.holdBuckets).record(hold)
    }

    /// One restart of SQLite's write-ahead log: how long the checkpointer held the write
    /// lock (the last frames copied, the two syncs, readers waited for).
    func recordWALRestart(hold: Duration) {
        registry.makeDurationHistogram(name: "portico_sqlite_wal_restart_hold_seconds", labels: [], buckets: Self.holdBuckets)
            .record(hold)
    }

    public func text() -> String { registry.emitToString() }
}

/// Counts and times every request under its route pattern (never the raw path, so
/// partner ids do not become label values).
struct MetricsMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        request.portico.metrics.recordRequest(
            route: request.routePattern, method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - start
        )
        return response
    }
}

extension Request {
    /// The matched route's pattern (`/api/users/:partner_id`), or `unmatched`: never the
    /// raw path, whose ids (partner ids) are personal and unbounded. Metrics label
    /// requests with it, and the access log names them by it. The fallback route (`**`)
    /// is named by the SSO API operation it dispatches to in another letter case
    /// (`/api/v1/ssoapi/signin` → `/api/v1/SsoApi/SignIn`), else `unmatched`.
    var routePattern: String {
        guard let route else { return "unmatched" }
        if route.path.count == 1, case .catchall = route.path[0] {
            var path = url.path.lowercased()
            while path.hasSuffix("/"), path.count > 1 { path.removeLast() }
            return Self.ssoAPIPatterns[path] ?? "unmatched"
        }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }

    private static let ssoAPIPatterns: [String: String] = Dictionary(
        uniqueKeysWithValues: SSOAPI.operations.map { operation, _ in
            let path = SiteURL.ssoAPI(operation).path
            return (path.lowercased(), path)
        }
    )
}
