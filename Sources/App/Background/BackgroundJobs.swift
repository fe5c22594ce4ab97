import Foundation
import PorticoCore
import Vapor

/// The periodic work of `portico serve`: deleting anonymous users whose 24 hours
/// have passed (with `user.expired`). Runs once a minute; stops with the server.
final class BackgroundJobs: LifecycleHandler, @unchecked Sendable {
    private var task: Task<Void, Never>?

    func didBootAsync(_ app: Application) async throws {
        let portico = app.portico
        let logger = app.logger
        task = Task {
            while !Task.isCancelled {
                do {
                    let removed = try await Users.expireAnonymous(now: portico.clock.now(), store: portico.store)
                    if removed > 0 { logger.info("expired anonymous users", metadata: ["count": .stringConvertible(removed)]) }
                } catch {
                    logger.error("anonymous-user expiry failed: \(String(reflecting: error))")
                }
                try? await Task.sleep(for: .seconds(60))
            }
        }
    }

    func shutdownAsync(_ app: Application) async {
        task?.cancel()
        await task?.value
    }
}
