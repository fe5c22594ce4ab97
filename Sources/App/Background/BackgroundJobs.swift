import Foundation
import PorticoCore
import Vapor

/// The background work of `portico serve` and `portico worker`: the webhook
/// delivery worker, deleting anonymous users whose 24 hours have passed (with
/// `user.expired`, once a minute, with sign-in attempts past the throttle's window) and
/// retention every `PORTICO_RETENTION_INTERVAL` seconds (`Retention`: expired sessions, tokens and codes, events and
/// delivery history past `PORTICO_EVENT_RETENTION_DAYS`). Stops with the application.
final class BackgroundJobs: LifecycleHandler, @unchecked Sendable {
    private let webhookWorker: Bool
    private var tasks: [Task<Void, Never>] = []

    init(webhookWorker: Bool = true) {
        self.webhookWorker = webhookWorker
    }

    func didBootAsync(_ app: Application) async throws {
        let portico = app.portico
        let logger = app.logger
        if webhookWorker {
            let worker = portico.webhookWorker(logger: logger)
            tasks.append(Task { await worker.run() })
        }
        tasks.append(Task {
            while !Task.isCancelled {
                do {
                    let removed = try await Users.expireAnonymous(now: portico.clock.now(), store: portico.store)
                    if removed > 0 { logger.info("expired anonymous users", metadata: ["count": .stringConvertible(removed)]) }
                    try await portico.loginThrottle.purge(now: portico.clock.now())
                } catch {
                    logger.error("anonymous-user expiry failed: \(String(reflecting: error))")
                }
                try? await Task.sleep(for: .seconds(60))
            }
        })
        tasks.append(Task {
            while !Task.isCancelled {
                do {
                    let report = try await Self.purgeExpired(portico)
                    if report.total > 0 {
                        logger.info("retention purged expired rows", metadata: [
                            "deleted": .string(report.deleted.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")),
                            "batches": .stringConvertible(report.batches), "longest_hold_ms": .stringConvertible(report.longestHold.inMilliseconds),
                        ])
                    }
                } catch {
                    logger.error("retention purge failed: \(String(reflecting: error))")
                }
                try? await Task.sleep(for: .seconds(portico.config.retentionInterval))
            }
        })
    }

    /// Deletes everything past its retention (`Retention`), events past
    /// `PORTICO_EVENT_RETENTION_DAYS`, each batch's hold recorded in the metrics.
    @discardableResult
    static func purgeExpired(_ portico: PorticoServices) async throws -> Retention.Report {
        let now = portico.clock.now()
        let eventCutoff = now.addingTimeInterval(-TimeInterval(portico.config.eventRetentionDays) * 86400)
        try await RefusedReturnHosts.purge(before: eventCutoff, store: portico.store)
        let metrics = portico.metrics
        return try await Retention.purge(Retention.kinds(now: now, eventCutoff: eventCutoff), store: portico.hotPaths) { kind, rows, hold in
            metrics.recordRetentionBatch(kind: kind, rows: rows, hold: hold)
        }
    }

    func shutdownAsync(_ app: Application) async {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}

/// Closes the webhook HTTP clients when the application stops.
struct WebhookClientsShutdown: LifecycleHandler {
    func shutdownAsync(_ app: Application) async {
        await app.portico.webhookClients.shutdown()
        try? await app.portico.passwords.shutdown()
    }
}
