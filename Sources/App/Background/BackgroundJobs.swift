import Foundation
import PorticoCore
import Vapor

/// The background work of `portico serve` and `portico worker`: the webhook
/// delivery worker, deleting anonymous users whose 24 hours have passed (with
/// `user.expired`, once a minute, with sign-in attempts past the throttle's window) and purging events and delivery history past
/// `PORTICO_EVENT_RETENTION_DAYS` (once an hour). Stops with the application.
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
                    let cutoff = portico.clock.now().addingTimeInterval(-TimeInterval(portico.config.eventRetentionDays) * 86400)
                    let purged = try await EventRetention.purge(before: cutoff, store: portico.store)
                    if purged > 0 { logger.info("purged events past the retention window", metadata: ["count": .stringConvertible(purged)]) }
                } catch {
                    logger.error("event purge failed: \(String(reflecting: error))")
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        })
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
