import Foundation
import NIOConcurrencyHelpers

/// Where "now" comes from. The live clock reads the system time; tests pin it
/// (token expiry, anonymous users, launch codes, retry schedules) instead of sleeping.
public protocol PorticoClock: Sendable {
    func now() -> Date
}

public struct SystemClock: PorticoClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that stands still until it is told to move.
public final class FixedClock: PorticoClock {
    private let current: NIOLockedValueBox<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        current = NIOLockedValueBox(start)
    }

    public func now() -> Date { current.withLockedValue { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLockedValue { $0 = $0.addingTimeInterval(seconds) }
    }

    public func set(_ date: Date) {
        current.withLockedValue { $0 = date }
    }
}
