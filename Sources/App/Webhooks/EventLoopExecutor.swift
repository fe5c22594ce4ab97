import NIOCore

/// Runs a task's jobs on one NIO event loop. A worker slot spends its time
/// waiting on work that completes on event loops (the HTTP exchange, the database's
/// answers); resumed on the loop it waits on, it does not bounce to the
/// concurrency pool's threads and back for every step — at one request in flight
/// per endpoint, those thread switches were most of a delivery's time.
final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
