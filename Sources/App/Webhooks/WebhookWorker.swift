import Foundation
import Logging
import PorticoCore

/// The delivery worker (SPEC §7), run by `portico serve` and `portico worker`.
///
/// `concurrency` slots each claim an endpoint with work, serve it for a while —
/// fan out its new events, send the due deliveries one at a time in `sequence`
/// order, record the outcomes in batches while the next batch is sent — and give it
/// back. One slow receiver
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
    ///
    /// One request in flight, in `sequence` order; beside the sending of each batch the
    /// outcomes of the one before are recorded, new events fanned out and the next batch
    /// (the due deliveries past this one's last sequence) read, so the endpoint never
    /// waits for the database between batches. When nothing lies ahead, the last
    /// outcomes are recorded and the read starts from the beginning again: retries that
    /// have come due since.
    private func serve(_ lease: inout WebhookDispatch.Lease) async throws -> Bool {
        let sliceEnd = ContinuousClock.now + Self.slice
        var batch = try await fanOutAndRead(&lease)
        var unrecorded: [WebhookDispatch.Outcome] = []
        while !batch.isEmpty {
            let (current, previous, last) = (lease, unrecorded, batch[batch.count - 1].event.sequence)
            async let ahead = lookAhead(recording: previous, lease: current, after: last)
            let (outcomes, stop) = try await send(batch, lease: &lease)
            let next: (fanoutSequence: Int64, due: [WebhookDispatch.Due])
            do {
                next = try await ahead
            } catch {
                try? await record(outcomes, lease: lease)
                throw error
            }
            lease.fanoutSequence = max(lease.fanoutSequence, next.fanoutSequence)
            if stop {
                try await record(outcomes, lease: lease)
                return outcomes.last?.result == .gone
            }
            let inSlice = ContinuousClock.now < sliceEnd && !Task.isCancelled
            if inSlice, !next.due.isEmpty {
                unrecorded = outcomes  // recorded beside the next batch's sending
                batch = next.due
                continue
            }
            try await record(outcomes, lease: lease)
            unrecorded = []
            guard inSlice else { return true }
            batch = try await fanOutAndRead(&lease)
        }
        return true
    }

    /// Fans out the org's new events and reads the due deliveries from the first.
    private func fanOutAndRead(_ lease: inout WebhookDispatch.Lease) async throws -> [WebhookDispatch.Due] {
        while true {
            let fannedOut = try await WebhookDispatch.fanOut(&lease, now: portico.clock.now(), store: portico.store)
            let due = try await WebhookDispatch.due(lease, now: portico.clock.now(), limit: Self.batchSize, on: portico.store.sql)
            // Events read but none for this endpoint (its filter): read on until caught up.
            if due.isEmpty, fannedOut > 0 { continue }
            return due
        }
    }

    /// What runs while a batch is sent: the previous batch's outcomes recorded, new
    /// events fanned out, and the due deliveries past `after` read.
    private func lookAhead(
        recording outcomes: [WebhookDispatch.Outcome], lease: WebhookDispatch.Lease, after: Int64
    ) async throws -> (fanoutSequence: Int64, due: [WebhookDispatch.Due]) {
        try await record(outcomes, lease: lease)
        var lease = lease
        try await WebhookDispatch.fanOut(&lease, now: portico.clock.now(), store: portico.store)
        let due = try await WebhookDispatch.due(lease, now: portico.clock.now(), after: after, limit: Self.batchSize, on: portico.store.sql)
        return (lease.fanoutSequence, due)
    }

    /// Sends a batch one delivery at a time, renewing the lease as it runs short. Stops
    /// early when the lease is lost or the receiver answers 410 Gone.
    private func send(
        _ batch: [WebhookDispatch.Due], lease: inout WebhookDispatch.Lease
    ) async throws -> (outcomes: [WebhookDispatch.Outcome], stop: Bool) {
        var outcomes: [WebhookDispatch.Outcome] = []
        outcomes.reserveCapacity(batch.count)
        for delivery in batch {
            // Stopping: what was sent is recorded, the rest waits for the next worker.
            if Task.isCancelled { break }
            let now = portico.clock.now()
            if lease.until.timeIntervalSince(now) < TimeInterval(portico.config.webhookTimeout + 15) {
                guard try await WebhookDispatch.renew(&lease, now: now, leaseFor: leaseSeconds, store: portico.store) else {
                    return (outcomes, true)
                }
            }
            let started = ContinuousClock.now
            let result = await sender.send(delivery, lease: lease, now: now)
            // An exchange cut off by the stop is not an attempt: it is made again later.
            if Task.isCancelled, case .failed = result { break }
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
                return (outcomes, true)
            }
        }
        return (outcomes, false)
    }

    /// Records outcomes in one transaction and counts them in the metrics.
    private func record(_ outcomes: [WebhookDispatch.Outcome], lease: WebhookDispatch.Lease) async throws {
        guard !outcomes.isEmpty else { return }
        let recorded = try await WebhookDispatch.record(
            outcomes, lease: lease, schedule: portico.config.webhookRetrySchedule, now: portico.clock.now(), store: portico.store
        )
        portico.metrics.recordDeliveries(outcome: "succeeded", count: recorded.succeeded)
        portico.metrics.recordDeliveries(outcome: "retrying", count: recorded.retrying)
        portico.metrics.recordDeliveries(outcome: "failed", count: recorded.failed)
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
