import Foundation

/// SQLite's single writer, made cheap: one thread with its own connection takes
/// every write that is waiting, runs them in one transaction (each inside its own
/// savepoint, so one failing write does not take the others with it), commits once
/// and then answers them all. Under load a commit carries dozens of requests' rows;
/// alone, a write commits at once. Reads never come here (WAL lets them run beside).
final class SQLiteGroupWriter: @unchecked Sendable {
    /// A write waiting for the writer: `run` executes its body (true when it threw),
    /// `finish` answers the caller once the commit's fate is known.
    private final class Job {
        let run: (SQLiteHandle) -> Bool
        /// The commit's fate, how long the transaction held the write lock (BEGIN to
        /// COMMIT), and, for a job alone, whether other writes (queued here or through
        /// `PorticoStore.write`) ran since the last job alone or were waiting when it was
        /// done. Another process's writes are not seen.
        let finish: (Error?, Duration, Bool) -> Void
        /// Runs in a transaction of its own (its hold is then its own).
        let alone: Bool
        init(run: @escaping (SQLiteHandle) -> Bool, alone: Bool, finish: @escaping (Error?, Duration, Bool) -> Void) {
            self.run = run
            self.alone = alone
            self.finish = finish
        }
    }

    /// Where a job keeps its body's result until the commit.
    private final class Outcome<T> {
        var result: Result<T, Error>?
    }

    /// Most writes committed together.
    static let maxBatch = 256

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    /// The writer thread's own: group jobs run since the last job alone, and
    /// `lock.asyncRequests` (`PorticoStore.write`'s writes) when that job started.
    private var othersSinceAlone = 0
    private var storeWritesAtAlone = 0
    private let path: String
    private let lock: WriteLock
    private let onRestart: @Sendable (Duration) -> Void

    /// `lock` is the store's: the writer takes it for each batch, so `PorticoStore.write`
    /// gets its turn between two batches instead of waiting out the busy timeout.
    /// `onRestart` hears how long each restart of the log held the write lock (also one
    /// that gave up waiting for readers: it held writers back all the same).
    init(path: String, lock: WriteLock, onRestart: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.path = path
        self.lock = lock
        self.onRestart = onRestart
        // The thread keeps the writer alive until `stop()` lets its loop end.
        let thread = Thread { self.loop() }
        thread.name = "portico-sqlite-writer"
        thread.start()
        let checkpointer = Thread { self.checkpointLoop() }
        checkpointer.name = "portico-sqlite-checkpoint"
        checkpointer.start()
    }

    /// WAL frames (4 KiB pages) past which the checkpointer restarts the log.
    static let restartFrames: Int64 = 8000
    /// Milliseconds a restart waits for readers still on the log before it gives up
    /// until the next round (writers wait all that time).
    static let restartPatience: Int32 = 5
    /// Frames a restart may have left to copy under the write lock.
    static let restartLeftover: Int64 = 500

    /// Copies the WAL back into the database file from a connection of its own, twice a
    /// second, so the writer never stops to do it (its automatic checkpoint is off).
    /// PASSIVE never blocks the writer or readers; what it cannot copy yet waits for the
    /// next round. Under steady writes a PASSIVE round never catches the writer up, and
    /// SQLite only starts the log over once everything is copied, so the log would grow
    /// without end (new file pages the kernel zeroes, a bigger index): past
    /// `restartFrames`, more PASSIVE rounds first copy what the writer added meanwhile
    /// (until under `restartLeftover` frames are new), then a RESTART checkpoint copies
    /// the rest and has the next commit write from the log's start again. It takes its
    /// turn at the write lock and holds writers back for the frames left, the two syncs
    /// (log, then database file) that make the copy durable before the log is reused,
    /// and readers still on the log — at most `restartPatience` of waiting for those,
    /// else it gives up until the next round. The syncs under the lock are kept short by
    /// syncing both files just before taking it: SQLite syncs the database file only
    /// when a round copies the log to its end, which under steady writes a PASSIVE round
    /// never does, so without that the restart's sync wrote out every page the rounds
    /// had copied since the last restart.
    private func checkpointLoop() {
        var handle: SQLiteHandle?
        while true {
            condition.lock()
            let done = stopped
            condition.unlock()
            if done { return }
            Thread.sleep(forTimeInterval: 0.5)
            do {
                if handle == nil { handle = try SQLiteHandle(path: path, busyTimeout: Self.restartPatience) }
                func passive() throws -> (log: Int64, left: Int64) {
                    try handle!.first("PRAGMA wal_checkpoint(PASSIVE)") { row in
                        let log = Int64(row.int("log") ?? 0)
                        return (log, log - Int64(row.int("checkpointed") ?? 0))
                    } ?? (0, 0)
                }
                var (frames, left) = try passive()
                guard frames >= Self.restartFrames else { continue }
                // Catch up outside the lock first: each round syncs what the one before
                // copied and copies what the writer added meanwhile, so the restart has
                // little left to copy and to sync.
                try handle!.syncFiles()
                var rounds = 0
                var added = frames
                while added > Self.restartLeftover || left > Self.restartLeftover, rounds < 4 {
                    let before = frames
                    (frames, left) = try passive()
                    added = frames - before
                    rounds += 1
                    try handle!.syncFiles()
                }
                // In the writers' own order: SQLite's busy handler alone would rarely
                // catch the lock between two of the writer's batches.
                lock.acquireBlocking()
                let locked = ContinuousClock.now
                defer {
                    lock.release()
                    onRestart(ContinuousClock.now - locked)
                }
                _ = try handle!.first("PRAGMA wal_checkpoint(RESTART)") { $0.int("busy") }
            } catch {
                handle = nil
            }
        }
    }

    /// Runs `body` inside the next group transaction; returns once it is committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        try await enqueue(alone: false, body).value
    }

    /// Runs `body` in a transaction of its own, between two group transactions; returns
    /// its result, how long that transaction held the database's write lock, from
    /// `BEGIN IMMEDIATE` taking it to the end of `COMMIT` (the WAL writes of its pages
    /// included), and whether other writes ran since the last such transaction or were
    /// waiting when it was done (else the writer had nothing else to do).
    func writeAlone<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteHandle) throws -> T
    ) async throws -> (value: T, hold: Duration, contended: Bool) {
        try await enqueue(alone: true, body)
    }

    private func enqueue<T: Sendable>(
        alone: Bool, _ body: @escaping @Sendable (SQLiteHandle) throws -> T
    ) async throws -> (value: T, hold: Duration, contended: Bool) {
        typealias Answer = (value: T, hold: Duration, contended: Bool)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Answer, Error>) in
            let outcome = Outcome<T>()
            let job = Job(
                run: { handle in
                    let result = Result { try body(handle) }
                    outcome.result = result
                    if case .failure = result { return true }
                    return false
                },
                alone: alone,
                finish: { commitError, hold, contended in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else if let result = outcome.result {
                        continuation.resume(with: result.map { ($0, hold, contended) })
                    } else {
                        continuation.resume(throwing: SQLiteFailure(code: 1, message: "the write did not run"))
                    }
                }
            )
            condition.lock()
            let stopped = self.stopped
            if !stopped { queue.append(job) }
            condition.signal()
            condition.unlock()
            if stopped { continuation.resume(throwing: SQLiteFailure(code: 21, message: "the writer has stopped")) }
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var handle: SQLiteHandle?
        while true {
            condition.lock()
            while queue.isEmpty, !stopped { condition.wait() }
            if queue.isEmpty, stopped {
                condition.unlock()
                return
            }
            // A job that runs alone goes by itself; the others up to the next such one go together.
            let batch = queue[0].alone ? [queue[0]] : Array(queue.prefix(Self.maxBatch).prefix { !$0.alone })
            queue.removeFirst(batch.count)
            condition.unlock()
            var othersRan = false
            if batch[0].alone {
                // Writes through `PorticoStore.write` take the same lock, not this queue.
                let storeWrites = lock.asyncRequests
                othersRan = othersSinceAlone > 0 || storeWrites != storeWritesAtAlone
                (othersSinceAlone, storeWritesAtAlone) = (0, storeWrites)
            } else {
                othersSinceAlone += batch.count
            }

            lock.acquireBlocking()
            defer { lock.release() }
            do {
                if handle == nil {
                    handle = try SQLiteHandle(path: path)
                    try handle!.execute("PRAGMA wal_autocheckpoint=0")
                    // After a burst, the log file shrinks back to 256 MiB when it starts over.
                    // The first commit after a restart does that truncation, so the limit
                    // is above what the log grows to between two restarts under load and
                    // during retention's catch-up: at 64 MiB that commit took 50-90 ms.
                    try handle!.execute("PRAGMA journal_size_limit=268435456")
                }
                try run(batch, on: handle!, othersRan: othersRan)
            } catch {
                // The connection may be in a bad state: start over with a new one.
                handle = nil
                for job in batch { job.finish(error, .zero, othersRan) }
            }
        }
    }

    private func run(_ batch: [Job], on handle: SQLiteHandle, othersRan: Bool) throws {
        // Transaction control through prepared statements too: no parsing per write.
        try handle.query("BEGIN IMMEDIATE")
        // The hold starts once the file's write lock is ours (another process may have had it).
        let started = ContinuousClock.now
        do {
            for job in batch {
                try handle.query("SAVEPOINT w")
                if job.run(handle) { try handle.query("ROLLBACK TO w") }
                try handle.query("RELEASE w")
            }
            try handle.query("COMMIT")
        } catch {
            try? handle.execute("ROLLBACK")
            for job in batch { job.finish(error, .zero, othersRan) }
            return
        }
        let hold = ContinuousClock.now - started
        let contended = othersRan || (batch[0].alone && (othersWaiting || lock.asyncRequests != storeWritesAtAlone))
        for job in batch { job.finish(nil, hold, contended) }
    }

    /// Whether writes are queued here.
    private var othersWaiting: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !queue.isEmpty
    }
}
