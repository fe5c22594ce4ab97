import Foundation

extension UUID {
    /// A new row id that sorts by creation time: a version 7 UUID (RFC 9562) with the
    /// Unix time in milliseconds in its first 48 bits, the fraction of the millisecond in
    /// the next 12 (the RFC's "increased clock precision") and 62 random bits.
    ///
    /// Rows are written in id order this way, so each index on an id (and on a column
    /// holding one, such as `user_id`) grows at its end instead of at a random page: a
    /// commit of many new rows dirties a few pages rather than one per row per index,
    /// which is most of what an SQLite commit writes to its log and what PostgreSQL
    /// writes in full-page images. Ids are not secrets (tokens and keys stay random
    /// bits); the time in one tells no more than the row's own `created_at`.
    public static func timeOrdered(now: Date = Date()) -> UUID {
        let nanoseconds = max(0, now.timeIntervalSince1970) * 1e9
        let milliseconds = UInt64(nanoseconds / 1e6)
        let fraction = UInt64((nanoseconds - Double(milliseconds) * 1e6) / 1e6 * 4096) & 0x0fff
        var random = SystemRandomNumberGenerator()
        let low = random.next() as UInt64
        let high = (milliseconds << 16) | 0x7000 | fraction
        let tail = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000
        return UUID(uuid: (
            UInt8(truncatingIfNeeded: high >> 56), UInt8(truncatingIfNeeded: high >> 48),
            UInt8(truncatingIfNeeded: high >> 40), UInt8(truncatingIfNeeded: high >> 32),
            UInt8(truncatingIfNeeded: high >> 24), UInt8(truncatingIfNeeded: high >> 16),
            UInt8(truncatingIfNeeded: high >> 8), UInt8(truncatingIfNeeded: high),
            UInt8(truncatingIfNeeded: tail >> 56), UInt8(truncatingIfNeeded: tail >> 48),
            UInt8(truncatingIfNeeded: tail >> 40), UInt8(truncatingIfNeeded: tail >> 32),
            UInt8(truncatingIfNeeded: tail >> 24), UInt8(truncatingIfNeeded: tail >> 16),
            UInt8(truncatingIfNeeded: tail >> 8), UInt8(truncatingIfNeeded: tail)
        ))
    }
}
