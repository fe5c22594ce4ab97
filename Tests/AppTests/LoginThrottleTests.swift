@testable import App
import Foundation
import Testing

@Suite("Login throttle")
struct LoginThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("five failures in the window refuse the key until the oldest leaves it")
    func refusesAfterLimit() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        for i in 0..<5 {
            #expect(throttle.retryAfter(["a@x.edu"], now: start.addingTimeInterval(Double(i))) == nil)
            throttle.recordFailure(["a@x.edu"], now: start.addingTimeInterval(Double(i)))
        }
        #expect(throttle.retryAfter(["a@x.edu"], now: start.addingTimeInterval(10)) == 890)
        #expect(throttle.retryAfter(["b@x.edu"], now: start.addingTimeInterval(10)) == nil)
        #expect(throttle.retryAfter(["a@x.edu"], now: start.addingTimeInterval(900)) == nil)
    }

    @Test("checks that never fail remember nothing; old failures are swept as the table grows")
    func memoryStaysBounded() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        for i in 0..<5_000 {
            #expect(throttle.retryAfter(["user\(i)@x.edu", "10.0.\(i / 256).\(i % 256)"], now: start) == nil)
        }
        #expect(throttle.trackedKeys == 0)

        for i in 0..<3_000 { throttle.recordFailure(["old\(i)@x.edu"], now: start) }
        #expect(throttle.trackedKeys <= 3_000)
        // A window later, new failures trigger sweeps that drop every stale key.
        let later = start.addingTimeInterval(901)
        for i in 0..<3_000 { throttle.recordFailure(["new\(i)@x.edu"], now: later) }
        #expect(throttle.trackedKeys < 4_000, "stale keys were swept")
        #expect(throttle.trackedKeys >= 3_000, "live keys are kept")
    }

    @Test("a key keeps only its latest failures")
    func keepsLatest() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        for i in 0..<50 { throttle.recordFailure(["a@x.edu"], now: start.addingTimeInterval(Double(i) * 30)) }
        // The latest five are at 1,350 … 1,470 s: refused until 1,350 + 900.
        #expect(throttle.retryAfter(["a@x.edu"], now: start.addingTimeInterval(1_500)) == 750)
    }
}
