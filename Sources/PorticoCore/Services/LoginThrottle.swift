import Foundation
import NIOConcurrencyHelpers

/// Slows down password guessing (SPEC §5, §8, §9). An attempt is counted *before* its
/// password is verified: `begin` reserves a place for every key of the attempt (its
/// account and its address) and refuses once a key's failures in the window plus its
/// attempts still being verified reach `limit`. So parallel attempts cannot exceed the
/// limit, and a key never has more than `limit` verifications in flight.
///
/// Memory stays bounded: only keys with a failure inside the window (or an attempt in
/// flight) are kept, each with at most its `limit` latest failures, and keys whose
/// failures have all left the window are swept whenever the table has doubled since
/// the last sweep.
public final class LoginThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    private let state = NIOLockedValueBox(State())

    private struct State {
        var failures: [String: [Date]] = [:]
        var inFlight: [String: Int] = [:]
        var sweepAt = 1024
    }

    /// A reserved attempt: hand it back to `finish` exactly once.
    public struct Attempt: Sendable {
        let keys: [String]
    }

    public enum Admission: Sendable {
        case allowed(Attempt)
        /// Whole seconds to wait before another try.
        case refused(retryAfter: Int)
    }

    public init(limit: Int = 5, window: TimeInterval = 900) {
        self.limit = limit
        self.window = window
    }

    /// Reserves an attempt for `keys` (the first is the account), or says how long to wait.
    public func begin(_ keys: [String], now: Date) -> Admission {
        state.withLockedValue { state in
            var wait: TimeInterval = 0
            for key in keys {
                let recent = (state.failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
                state.failures[key] = recent.isEmpty ? nil : recent
                let pending = state.inFlight[key] ?? 0
                guard recent.count + pending >= limit else { continue }
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                } else {
                    // Full of attempts still being verified: try again in a moment.
                    wait = max(wait, 1)
                }
            }
            if wait > 0 { return .refused(retryAfter: Int(min(max(wait.rounded(.up), 1), window))) }
            for key in keys { state.inFlight[key, default: 0] += 1 }
            return .allowed(Attempt(keys: keys))
        }
    }

    /// Ends an attempt: a failure counts against each of its keys; a success clears
    /// its account's failures.
    public func finish(_ attempt: Attempt, succeeded: Bool, now: Date) {
        state.withLockedValue { state in
            for key in attempt.keys {
                let pending = (state.inFlight[key] ?? 1) - 1
                state.inFlight[key] = pending > 0 ? pending : nil
            }
            if succeeded {
                if let account = attempt.keys.first { state.failures[account] = nil }
                return
            }
            for key in attempt.keys {
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

    /// Gives back an attempt that was never verified (the password check was busy):
    /// neither a failure nor a success.
    public func cancel(_ attempt: Attempt) {
        state.withLockedValue { state in
            for key in attempt.keys {
                let pending = (state.inFlight[key] ?? 1) - 1
                state.inFlight[key] = pending > 0 ? pending : nil
            }
        }
    }

    /// How many keys are remembered (for tests).
    var trackedKeys: Int {
        state.withLockedValue { $0.failures.count + $0.inFlight.count }
    }
}
