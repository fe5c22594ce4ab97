import Foundation
import Logging
import PorticoCore

/// The delivery worker (SPEC §7), run by `portico serve` and `portico worker`.
///
/// `concurrency` slots each claim an endpoint with work, serve it for a while —
/// fan out its new events, send the due deliveries one at a time in `sequence`
/// order, record the outcomes in batches — and give it back. One slow receiver
/// holds one slot; the other slots keep serving the other endpoints.
struct WebhookWorker: Sendable {
    let portico: PorticoServices
    let sender: WebhookSender
    let logger: Logger
    /// Names this process in leases (with a random part per claim).
    let workerID: String

    /// How long an idle slot waits before looking for work again.
    static let idlePoll: Duration = .milliseconds(200)
    /// How long a slot serves one endpoint before giving others a turn.
    static let slice: Duration = .seconds(5)
    /// Deliveries read and recorded per round.
    static let batchSize = 100

    init(portico: PorticoServices, clients: WebhookClients, resolver: any HostResolver, logger: Logger) {
        self.portico = portico
        self.sender = WebhookSender(
            clients: clients, allowPrivate: portico.config.webhookAllowPrivate, resolver: resolver, timeout: portico.config.webhookTimeout
        )
        self.logger = logger
        self.workerID = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// A lease outlives the longest attempt with room to spare.
    var leaseSeconds: TimeInterval { TimeInterval(portico.config.webhookTimeout + 60) }

    /// Runs until the task is cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<portico.config.webhookConcurrency {
                let executor = EventLoopExecutor(sender.clients.eventLoopGroup.next())
                group.addTask(executorPreference: executor) { await slot() }
            }
            group.addTask { await reportQueueDepth() }
        }
    }

    private func slot() async {
        while !Task.isCancelled {
            do {
                if try await serveOne() { continue }
            } catch is CancellationError {
                return
            } catch {
                logger.error("webhook worker: \(String(reflecting: error))")
                try? await Task.sleep(for: .seconds(1))
            }
            try? await Task.sleep(for: Self.idlePoll)
        }
    }

    /// Serves endpoints until none has work left now: what tests and `drain` use.
    func drain() async throws {
        while try await serveOne() {}
    }

    /// Claims one endpoint with work and serves it. False when there was none.
    @discardableResult
    func serveOne() async throws -> Bool {
        let store = portico.store
        guard try await WebhookDispatch.hasWork(now: portico.clock.now(), on: store.sql) else { return false }
        let owner = workerID + "/" + Secrets.alphanumeric(count: 8)
        guard var lease = try await WebhookDispatch.claim(owner: owner, now: portico.clock.now(), leaseFor: leaseSeconds, store: store) else {
            return false
        }
        var keep = true
        do {
            keep = try await serve(&lease)
        } catch {
            try? await WebhookDispatch.release(lease, now: portico.clock.now(), store: store)
            throw error
        }
        if keep { try await WebhookDispatch.release(lease, now: portico.clock.now(), store: store) }
        return true
    }

    /// Serves a leased endpoint for one slice. False when the lease was lost.
    private func serve(_ lease: inout WebhookDispatch.Lease) async throws -> Bool {
        let store = portico.store
        let schedule = portico.config.webhookRetrySchedule
        let sliceEnd = ContinuousClock.now + Self.slice
        while ContinuousClock.now < sliceEnd, !Task.isCancelled {
            let fannedOut = try await WebhookDispatch.fanOut(&lease, now: portico.clock.now(), store: store)
            let due = try await WebhookDispatch.due(lease, now: portico.clock.now(), limit: Self.batchSize, on: store.sql)
            if due.isEmpty {
                if fannedOut > 0 { continue }
                return true
            }
            var outcomes: [WebhookDispatch.Outcome] = []
            var stop = false
            for delivery in due {
                let now = portico.clock.now()
                if lease.until.timeIntervalSince(now) < TimeInterval(portico.config.webhookTimeout + 15) {
                    guard try await WebhookDispatch.renew(&lease, now: now, leaseFor: leaseSeconds, store: store) else {
                        stop = true
                        break
                    }
                }
                let started = ContinuousClock.now
                let result = await sender.send(delivery, lease: lease, now: now)
                let elapsed = ContinuousClock.now - started
                let durationMS = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                outcomes.append(.init(due: delivery, at: now, durationMS: durationMS, result: result))
                if case .failed(let status, let error, _) = result {
                    logger.warning("webhook delivery failed", metadata: [
                        "endpoint": .string(lease.endpointID.uuidString), "event": .string(delivery.event.id),
                        "attempt": .stringConvertible(delivery.attemptsMade + 1), "status": .string(status.map(String.init) ?? "-"),
                        "error": .string(error),
                    ])
                }
                if result == .gone {
                    logger.warning("webhook endpoint answered 410 Gone: disabled", metadata: ["endpoint": .string(lease.endpointID.uuidString)])
                    stop = true
                    break
                }
            }
            let recorded = try await WebhookDispatch.record(outcomes, lease: lease, schedule: schedule, now: portico.clock.now(), store: store)
            portico.metrics.recordDeliveries(outcome: "succeeded", count: recorded.succeeded)
            portico.metrics.recordDeliveries(outcome: "retrying", count: recorded.retrying)
            portico.metrics.recordDeliveries(outcome: "failed", count: recorded.failed)
            if stop { return outcomes.last?.result == .gone }
        }
        return true
    }

    private func reportQueueDepth() async {
        while !Task.isCancelled {
            if let depth = try? await WebhookDispatch.queueDepth(on: portico.store.sql) {
                portico.metrics.setQueueDepth(depth)
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }
}
