import Foundation
import NIOConcurrencyHelpers

/// A token bucket per API key, in this process's memory (SPEC §2: `PORTICO_RATE_LIMIT`).
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    let limit: PorticoConfig.RateLimit
    private let buckets = NIOLockedValueBox<[UUID: Bucket]>([:])

    public init(limit: PorticoConfig.RateLimit) {
        self.limit = limit
    }

    /// Takes one token for `key`. Nil when allowed; otherwise the whole seconds until one is available.
    public func take(key: UUID, now: Date) -> Int? {
        buckets.withLockedValue { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
            let elapsed = max(0, now.timeIntervalSince(bucket.updated))
            bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            // Clamped before the conversion: a tiny configured rate must not trap `Int(_:)`.
            let wait = ((1 - bucket.tokens) / limit.perSecond).rounded(.up)
            return wait.isFinite ? Int(min(max(wait, 1), 86_400)) : 86_400
        }
    }
}

/// Remembers when this process last wrote a key's `last_used_at`, so a busy key
/// costs one write a minute rather than one per request.
public final class KeyUseThrottle: Sendable {
    private let lastWrite = NIOLockedValueBox<[UUID: Date]>([:])
    static let interval: TimeInterval = 60

    public init() {}

    /// True when `last_used_at` should be written now (and notes that it is).
    func shouldRecord(key: UUID, storedLastUse: Date?, now: Date) -> Bool {
        if let stored = storedLastUse, now.timeIntervalSince(stored) < Self.interval { return false }
        return lastWrite.withLockedValue { map in
            if let written = map[key], now.timeIntervalSince(written) < Self.interval { return false }
            map[key] = now
            return true
        }
    }
}
