import Foundation
@testable import PorticoCore
import NIOConcurrencyHelpers
import Testing

@Suite("The in-process SQLite write lock")
struct WriteLockTests {
    @Test("one holder at a time; tasks and the writer thread get it in the order they asked")
    func fifoAcrossTasksAndThreads() async throws {
        let lock = WriteLock()
        let order = NIOLockedValueBox<[String]>([])
        await lock.acquire()

        // The writer thread asks first, then two tasks; each notes its turn and lets go.
        let threadWaiting = NIOLockedValueBox(false)
        let thread = Thread {
            threadWaiting.withLockedValue { $0 = true }
            lock.acquireBlocking()
            order.withLockedValue { $0.append("thread") }
            lock.release()
        }
        thread.start()
        while !threadWaiting.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50))  // it is now blocked in acquireBlocking

        async let first: Void = {
            await lock.acquire()
            order.withLockedValue { $0.append("task 1") }
            lock.release()
        }()
        try await Task.sleep(for: .milliseconds(50))
        async let second: Void = {
            await lock.acquire()
            order.withLockedValue { $0.append("task 2") }
            lock.release()
        }()
        try await Task.sleep(for: .milliseconds(50))

        #expect(order.withLockedValue { $0 }.isEmpty, "nobody gets in while the lock is held")
        lock.release()
        _ = await (first, second)
        for _ in 0..<200 where order.withLockedValue({ $0.count }) < 3 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(order.withLockedValue { $0 } == ["thread", "task 1", "task 2"])
    }
}
