@testable import App
import Foundation
import PorticoCore
import Testing

/// The login throttle, counted in the database (both engines), so that several
/// instances on one database share it.
@Suite("Login throttle")
struct LoginThrottleTests {
    /// One attempt at `now` that fails (or succeeds); the wait when refused.
    @discardableResult
    func attempt(_ throttle: LoginThrottle, _ keys: [String], at now: Date, succeeds: Bool = false) async throws -> Int? {
        switch try await throttle.begin(keys, now: now) {
        case .refused(let wait): return wait
        case .allowed(let attempt):
            try await throttle.finish(attempt, account: keys[0], succeeded: succeeds, now: now)
            return nil
        }
    }

    @Test("five failures in the window refuse the key until the oldest leaves it")
    func refusesAfterLimit() async throws {
        try await TestApp.run { (t: TestApp) async throws in
            let throttle = LoginThrottle(store: t.store, limit: 5, window: 900)
            let start = t.clock.now()
            for i in 0..<5 {
                #expect(try await attempt(throttle, ["a@x.edu"], at: start.addingTimeInterval(Double(i))) == nil)
            }
            #expect(try await attempt(throttle, ["a@x.edu"], at: start.addingTimeInterval(10)) == 890)
            #expect(try await attempt(throttle, ["b@x.edu"], at: start.addingTimeInterval(10)) == nil)
            #expect(try await attempt(throttle, ["a@x.edu"], at: start.addingTimeInterval(900)) == nil)
        }
    }

    @Test("attempts are counted before they are verified: 30 parallel attempts, five admitted; two throttles on one database share the count")
    func countsBeforeVerifying() async throws {
        try await TestApp.run { (t: TestApp) async throws in
            // Two throttles on the same database stand for two Portico instances.
            let one = LoginThrottle(store: t.store), two = LoginThrottle(store: t.store)
            let now = t.clock.now()
            let admissions = try await withThrowingTaskGroup(of: LoginThrottle.Admission.self) { group in
                for i in 0..<30 {
                    group.addTask { try await (i % 2 == 0 ? one : two).begin(["account:a@x.edu", "ip:10.0.0.\(i)"], now: now) }
                }
                return try await group.reduce(into: [LoginThrottle.Admission]()) { $0.append($1) }
            }
            var admitted: [LoginThrottle.Attempt] = []
            for admission in admissions {
                switch admission {
                case .allowed(let a): admitted.append(a)
                case .refused(let wait): #expect(wait == 1, "refused while the others are still being verified: retry soon")
                }
            }
            #expect(admitted.count == 5)
            for a in admitted { try await one.finish(a, account: "account:a@x.edu", succeeded: false, now: now) }
            #expect(try await attempt(two, ["account:a@x.edu"], at: now.addingTimeInterval(1)) == 899)
        }
    }

    @Test("the address key caps attempts in flight across accounts")
    func addressCap() async throws {
        try await TestApp.run { (t: TestApp) async throws in
            let throttle = LoginThrottle(store: t.store)
            var admitted = 0
            for i in 0..<20 {
                if case .allowed = try await throttle.begin(["account:user\(i)@x.edu", "ip:10.0.0.1"], now: t.clock.now()) { admitted += 1 }
            }
            #expect(admitted == 5)
            // A minute later, attempts never finished (an instance that stopped) no longer count.
            if case .refused = try await throttle.begin(["account:late@x.edu", "ip:10.0.0.1"], now: t.clock.now().addingTimeInterval(61)) {
                Issue.record("stale pending attempts still counted")
            }
        }
    }

    @Test("a success clears its account's failures; a cancelled attempt counts for nothing; old rows are removed")
    func successAndCancel() async throws {
        try await TestApp.run { (t: TestApp) async throws in
            let throttle = LoginThrottle(store: t.store)
            let now = t.clock.now()
            for i in 0..<4 { try await attempt(throttle, ["account:a", "ip:\(i)"], at: now) }
            #expect(try await attempt(throttle, ["account:a", "ip:9"], at: now, succeeds: true) == nil)
            for i in 0..<4 { try await attempt(throttle, ["account:a", "ip:1\(i)"], at: now) }
            guard case .allowed(let pending) = try await throttle.begin(["account:a", "ip:20"], now: now) else {
                Issue.record("expected an admitted attempt")
                return
            }
            try await throttle.cancel(pending)
            #expect(try await attempt(throttle, ["account:a", "ip:21"], at: now) == nil, "four failures since the success, the cancel not among them")
            #expect(try await attempt(throttle, ["account:a", "ip:22"], at: now) == 900)
            let later = now.addingTimeInterval(901)
            #expect(try await attempt(throttle, ["account:a", "ip:23"], at: later) == nil)
            #expect(try await t.count("login_attempts", where: "throttle_key = 'account:a'") == 1, "rows past the window were removed")
            #expect(try await throttle.purge(now: later.addingTimeInterval(901)) >= 1)
            #expect(try await t.count("login_attempts") == 0, "the purge leaves nothing past the window")
        }
    }
}
