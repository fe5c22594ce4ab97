import Dispatch
import NIOConcurrencyHelpers

/// The one in-process order of SQLite writers: `PorticoStore.write` (async tasks on
/// SQLiteNIO) and the hot paths' group writer (a thread on the C API) take turns
/// here, first come first served, so neither waits out SQLite's busy timeout while
/// the other keeps the file's write lock busy. Another process still meets them at
/// SQLite's own lock.
final class WriteLock: Sendable {
    private enum Waiter {
        case task(CheckedContinuation<Void, Never>)
        case thread(DispatchSemaphore)
    }

    private struct State {
        var held = false
        var waiters: [Waiter] = []
        var asyncRequests = 0
    }

    private let state = NIOLockedValueBox(State())

    /// How many times `acquire()` has been called: the writes other than the group
    /// writer's (`PorticoStore.write`), counted when they ask, so a change shows one
    /// that ran or one that waits.
    var asyncRequests: Int { state.withLockedValue { $0.asyncRequests } }

    /// Waits (suspended) for the lock.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLockedValue { state -> Bool in
                state.asyncRequests += 1
                if state.held {
                    state.waiters.append(.task(continuation))
                    return false
                }
                state.held = true
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Waits (blocking this thread) for the lock; for the writer thread only.
    func acquireBlocking() {
        let semaphore = DispatchSemaphore(value: 0)
        let granted = state.withLockedValue { state -> Bool in
            if state.held {
                state.waiters.append(.thread(semaphore))
                return false
            }
            state.held = true
            return true
        }
        if !granted { semaphore.wait() }
    }

    /// Hands the lock to the longest waiter, or frees it.
    func release() {
        let next = state.withLockedValue { state -> Waiter? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        switch next {
        case .task(let continuation): continuation.resume()
        case .thread(let semaphore): semaphore.signal()
        case nil: break
        }
    }
}
