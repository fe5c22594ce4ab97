import Foundation
@testable import PorticoCore
import Testing

@Suite("Login throttle")
struct LoginThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// One attempt at `now` that fails (or succeeds); the wait when refused.
    @discardableResult
    func attempt(_ throttle: LoginThrottle, _ keys: [String], at now: Date, succeeds: Bool = false) -> Int? {
        switch throttle.begin(keys, now: now) {
        case .refused(let wait): return wait
        case .allowed(let attempt):
            throttle.finish(attempt, succeeded: succeeds, now: now)
            return nil
        }
    }

    @Test("five failures in the window refuse the key until the oldest leaves it")
    func refusesAfterLimit() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        for i in 0..<5 {
            #expect(attempt(throttle, ["a@x.edu"], at: start.addingTimeInterval(Double(i))) == nil)
        }
        #expect(attempt(throttle, ["a@x.edu"], at: start.addingTimeInterval(10)) == 890)
        #expect(attempt(throttle, ["b@x.edu"], at: start.addingTimeInterval(10)) == nil)
        #expect(attempt(throttle, ["a@x.edu"], at: start.addingTimeInterval(900)) == nil)
    }

    @Test("attempts are counted before they are verified: parallel attempts never exceed the limit")
    func countsBeforeVerifying() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        var admitted: [LoginThrottle.Attempt] = []
        var refused = 0
        // 30 attempts arrive before any verification finishes.
        for i in 0..<30 {
            switch throttle.begin(["account:a@x.edu", "ip:10.0.0.\(i)"], now: start) {
            case .allowed(let a): admitted.append(a)
            case .refused(let wait):
                refused += 1
                #expect(wait == 1, "refused while the others are still being verified: retry soon")
            }
        }
        #expect(admitted.count == 5)
        #expect(refused == 25)
        for a in admitted { throttle.finish(a, succeeded: false, now: start) }
        // Now five failures: refused for the window.
        #expect(attempt(throttle, ["account:a@x.edu"], at: start.addingTimeInterval(1)) == 899)
    }

    @Test("the address key caps attempts in flight across accounts")
    func addressCap() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        var admitted = 0
        for i in 0..<20 {
            if case .allowed = throttle.begin(["account:user\(i)@x.edu", "ip:10.0.0.1"], now: start) { admitted += 1 }
        }
        #expect(admitted == 5)
    }

    @Test("a success clears its account's failures; a cancelled attempt counts for nothing")
    func successAndCancel() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        for _ in 0..<4 { attempt(throttle, ["account:a", "ip:1"], at: start) }
        #expect(attempt(throttle, ["account:a", "ip:2"], at: start, succeeds: true) == nil)
        for _ in 0..<4 { attempt(throttle, ["account:a", "ip:3"], at: start) }
        guard case .allowed(let pending) = throttle.begin(["account:a", "ip:4"], now: start) else {
            Issue.record("expected an admitted attempt")
            return
        }
        throttle.cancel(pending)
        #expect(attempt(throttle, ["account:a", "ip:5"], at: start) == nil, "four failures since the success, the cancel not among them")
        #expect(attempt(throttle, ["account:a", "ip:6"], at: start) == 900)
    }

    @Test("checks that never fail remember nothing; old failures are swept as the table grows")
    func memoryStaysBounded() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        for i in 0..<5_000 {
            #expect(attempt(throttle, ["user\(i)@x.edu", "10.0.\(i / 256).\(i % 256)"], at: start, succeeds: true) == nil)
        }
        #expect(throttle.trackedKeys == 0)

        for i in 0..<3_000 { attempt(throttle, ["old\(i)@x.edu"], at: start) }
        #expect(throttle.trackedKeys <= 3_000)
        // A window later, new failures trigger sweeps that drop every stale key.
        let later = start.addingTimeInterval(901)
        for i in 0..<3_000 { attempt(throttle, ["new\(i)@x.edu"], at: later) }
        #expect(throttle.trackedKeys < 4_000, "stale keys were swept")
        #expect(throttle.trackedKeys >= 3_000, "live keys are kept")
    }

    @Test("a key keeps only its latest failures")
    func keepsLatest() {
        let throttle = LoginThrottle(limit: 5, window: 900)
        for i in 0..<50 {
            let now = start.addingTimeInterval(Double(i) * 30)
            // Refused attempts do not count; admitted ones fail.
            attempt(throttle, ["a@x.edu"], at: now)
        }
        let wait = attempt(throttle, ["a@x.edu"], at: start.addingTimeInterval(1_500))
        #expect(wait != nil && wait! <= 900)
    }
}
