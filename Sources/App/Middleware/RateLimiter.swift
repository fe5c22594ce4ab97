import Foundation
import Vapor
import NIOConcurrencyHelpers

/// Token buckets in this process's memory, one per key: per API key (SPEC §2:
/// `PORTICO_RATE_LIMIT`) and per client address for failed sign-ins and launch-code
/// exchanges (`PORTICO_FAILURE_LIMIT`). The table is bounded (`maxKeys`): when it is
/// full, buckets that have refilled (idle ones, which remember nothing) go first, then
/// the least recently used half, so a flood of distinct keys costs memory up to the
/// bound and no more.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    let limit: PorticoConfig.RateLimit
    let maxKeys: Int
    private let buckets = NIOLockedValueBox<[Key: Bucket]>([:])

    public init(limit: PorticoConfig.RateLimit, maxKeys: Int = 100_000) {
        self.limit = limit
        self.maxKeys = max(1, maxKeys)
    }

    /// Takes one token for `key`. Nil when allowed; otherwise the whole seconds until one is available.
    public func take(key: Key, now: Date) -> Int? {
        buckets.withLockedValue { buckets in
            var bucket = refilled(buckets[key], now: now)
            defer {
                if buckets[key] == nil, buckets.count >= maxKeys { Self.prune(&buckets, limit: limit, now: now, target: maxKeys) }
                buckets[key] = bucket
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return wait(bucket)
        }
    }

    /// Whether `key` has no token left (the seconds until one is back), without taking
    /// one: for limits that count only failures, asked before the work.
    public func blocked(key: Key, now: Date) -> Int? {
        buckets.withLockedValue { buckets in
            guard let stored = buckets[key] else { return nil }
            let bucket = refilled(stored, now: now)
            return bucket.tokens >= 1 ? nil : wait(bucket)
        }
    }

    /// Keys currently remembered (for tests and metrics).
    public var count: Int { buckets.withLockedValue { $0.count } }

    private func refilled(_ stored: Bucket?, now: Date) -> Bucket {
        guard var bucket = stored else { return Bucket(tokens: limit.burst, updated: now) }
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.perSecond)
        bucket.updated = now
        return bucket
    }

    private func wait(_ bucket: Bucket) -> Int {
        // Clamped before the conversion: a tiny configured rate must not trap `Int(_:)`.
        let wait = ((1 - bucket.tokens) / limit.perSecond).rounded(.up)
        return wait.isFinite ? Int(min(max(wait, 1), 86_400)) : 86_400
    }

    /// Makes room: drops buckets that are full again, then (still full) the least
    /// recently used half.
    private static func prune(_ buckets: inout [Key: Bucket], limit: PorticoConfig.RateLimit, now: Date, target: Int) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * limit.perSecond < limit.burst
        }
        guard buckets.count >= target else { return }
        let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(target / 2)
        buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}

/// Remembers when this process last wrote a key's `last_used_at`, so a busy key
/// costs one write a minute rather than one per request. Bounded like the buckets.
public final class KeyUseThrottle: Sendable {
    private let lastWrite = NIOLockedValueBox<[UUID: Date]>([:])
    static let interval: TimeInterval = 60
    let maxKeys: Int

    public init(maxKeys: Int = 100_000) {
        self.maxKeys = max(1, maxKeys)
    }

    /// True when `last_used_at` should be written now (and notes that it is).
    func shouldRecord(key: UUID, storedLastUse: Date?, now: Date) -> Bool {
        if let stored = storedLastUse, now.timeIntervalSince(stored) < Self.interval { return false }
        return lastWrite.withLockedValue { map in
            if let written = map[key], now.timeIntervalSince(written) < Self.interval { return false }
            if map[key] == nil, map.count >= maxKeys {
                // Entries older than the interval decide nothing any more.
                map = map.filter { now.timeIntervalSince($0.value) < Self.interval }
                if map.count >= maxKeys { map.removeAll(keepingCapacity: true) }
            }
            map[key] = now
            return true
        }
    }

    var count: Int { lastWrite.withLockedValue { $0.count } }
}

extension Request {
    /// The seconds until this client's address may fail again, when it has used up its
    /// failed attempts (`PORTICO_FAILURE_LIMIT`); nil when it may go on (or there is no
    /// limit, or no address). Asked before the work, so a refusal costs nothing.
    func failureLimitWait(now: Date) -> Int? {
        guard let limiter = portico.failureLimiter, let address = clientIP else { return nil }
        return limiter.blocked(key: address, now: now)
    }

    /// Counts one failed attempt against this client's address.
    func recordFailure(now: Date) {
        guard let limiter = portico.failureLimiter, let address = clientIP else { return }
        _ = limiter.take(key: address, now: now)
    }
}
