import Foundation
import NIOConcurrencyHelpers

/// Slows down password guessing: after `limit` failures within `window`, an account or
/// an address is refused until the oldest of those failures leaves the window.
public final class LoginThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    private let failures = NIOLockedValueBox<[String: [Date]]>([:])

    public init(limit: Int = 5, window: TimeInterval = 900) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait before another try for any of `keys`, or nil when allowed.
    func retryAfter(_ keys: [String], now: Date) -> Int? {
        failures.withLockedValue { map in
            var wait: TimeInterval = 0
            for key in keys {
                let recent = (map[key] ?? []).filter { now.timeIntervalSince($0) < window }
                map[key] = recent
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                }
            }
            return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
        }
    }

    func recordFailure(_ keys: [String], now: Date) {
        failures.withLockedValue { map in
            for key in keys { map[key, default: []].append(now) }
        }
    }

    func reset(_ key: String) {
        failures.withLockedValue { _ = $0.removeValue(forKey: key) }
    }
}
