import Foundation
import NIOConcurrencyHelpers

/// Slows down password guessing: after `limit` failures within `window`, an account or
/// an address is refused until the oldest of those failures leaves the window.
///
/// Memory stays bounded: only keys with a failure inside the window are kept, each
/// with at most its `limit` latest failures, and keys whose failures have all left the
/// window are swept whenever the table has doubled since the last sweep.
public final class LoginThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    private let state = NIOLockedValueBox(State())

    private struct State {
        var failures: [String: [Date]] = [:]
        var sweepAt = 1024
    }

    public init(limit: Int = 5, window: TimeInterval = 900) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait before another try for any of `keys`, or nil when allowed.
    func retryAfter(_ keys: [String], now: Date) -> Int? {
        state.withLockedValue { state in
            var wait: TimeInterval = 0
            for key in keys {
                guard let failures = state.failures[key] else { continue }
                let recent = failures.filter { now.timeIntervalSince($0) < window }
                state.failures[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                }
            }
            return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
        }
    }

    func recordFailure(_ keys: [String], now: Date) {
        state.withLockedValue { state in
            for key in keys {
                var failures = state.failures[key, default: []]
                failures.append(now)
                // The latest `limit` decide whether the key is refused, and until when.
                if failures.count > limit { failures.removeFirst(failures.count - limit) }
                state.failures[key] = failures
            }
            if state.failures.count >= state.sweepAt {
                state.failures = state.failures.filter { now.timeIntervalSince($0.value.last ?? .distantPast) < window }
                state.sweepAt = max(1024, 2 * state.failures.count)
            }
        }
    }

    func reset(_ key: String) {
        state.withLockedValue { _ = $0.failures.removeValue(forKey: key) }
    }

    /// How many keys are remembered (for tests).
    var trackedKeys: Int {
        state.withLockedValue { $0.failures.count }
    }
}
