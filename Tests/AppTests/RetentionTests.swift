@testable import App
import Foundation
import PorticoCore
import SQLKit
import Testing
import Vapor

@Suite("Retention: expired rows go in bounded batches; what is live, or dead for less than a day, stays")
struct RetentionTests {
    typealias RP = OIDCRelyingParty

    /// Rows of each table retention purges.
    static func counts(_ t: TestApp) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["sessions", "sso_tokens", "launch_codes", "oidc_pending_authorizations", "oidc_codes", "oidc_tokens", "events"] {
            counts[table] = try await t.count(table)
        }
        return counts
    }

    @Test("expired sessions, SSO tokens, launch codes and OpenID Connect grants go; fresh ones and events in the window stay")
    func purgesExpired() async throws {
        try await TestApp.run { t in
            let rp = try await RP.make(t, launchURL: "https://notes.example/launch")
            // Five members who signed in to the app two and a half days ago, each with a
            // used SSO token, a session, a pending authorization, a code exchanged for an
            // access token, and a launch code; one SSO token never used.
            for i in 0..<5 {
                let (code, _) = try await rp.code(t, partnerID: "old\(i)")
                #expect(try await rp.exchange(t, code: code).status == .ok)
                let launch = try await t.send(.POST, "/api/users/old\(i)/launch-codes", key: rp.apiKey, body: #"{"app":"notes"}"#)
                #expect(launch.json["code"].string != nil, "\(launch.text)")
            }
            _ = try await t.token(key: rp.apiKey, partnerID: "old0")
            let old = try await Self.counts(t)
            #expect(old["sessions"] == 5 && old["sso_tokens"] == 6 && old["launch_codes"] == 5 && old["oidc_codes"] == 5)
            #expect(old["oidc_tokens"] == 5 && old["oidc_pending_authorizations"] == 5)
            // Past the SSO tokens' 48 hours and the day they are kept after; past everything else.
            t.clock.advance(by: 48 * 3600 + 86_400 + 60)
            let (freshCode, freshCookie) = try await rp.code(t, partnerID: "fresh")

            let report = try await BackgroundJobs.purgeExpired(t.portico)

            #expect(report.deleted["sessions"] == 5 && report.deleted["sso_tokens"] == 6 && report.deleted["launch_codes"] == 5)
            #expect(report.deleted["oidc_codes"] == 5 && report.deleted["oidc_tokens"] == 5 && report.deleted["oidc_pending_authorizations"] == 5)
            #expect(report.deleted["events"] == nil, "events are kept for 30 days")
            let after = try await Self.counts(t)
            #expect(after["sessions"] == 1 && after["sso_tokens"] == 1 && after["launch_codes"] == 0)
            #expect(after["oidc_codes"] == 1 && after["oidc_tokens"] == 0 && after["oidc_pending_authorizations"] == 1)
            #expect(after["events"]! > old["events"]!, "events stay; fresh's were added")
            // What is live still works.
            #expect(try await t.page("/members/dashboard", cookie: freshCookie).status == .ok)
            #expect(try await rp.exchange(t, code: freshCode).status == .ok)
            // Each batch is counted and timed.
            let metrics = try await t.send(.GET, "/metrics").text
            #expect(metrics.contains(#"portico_retention_deleted_total{kind="sso_tokens"} 6"#))
            #expect(metrics.contains("portico_retention_batch_hold_seconds_count"))
            // Running again finds nothing.
            #expect(try await BackgroundJobs.purgeExpired(t.portico).total == 0)
        }
    }

    @Test("an SSO token dead for less than a day still gets its own answer (expired, used); after that it is gone")
    func keptAfterExpiry() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("uni")
            let token = try await t.token(key: key, partnerID: "u1")
            t.clock.advance(by: 48 * 3600 + 600)
            try await BackgroundJobs.purgeExpired(t.portico)
            let expired = try await t.send(.GET, "/login/sso?token=\(token)")
            #expect(expired.status == .unauthorized && expired.text.contains("This sign-in link has expired"))
            t.clock.advance(by: 86_400)
            #expect(try await BackgroundJobs.purgeExpired(t.portico).deleted["sso_tokens"] == 1)
            let unknown = try await t.send(.GET, "/login/sso?token=\(token)")
            #expect(unknown.status == .unauthorized && !unknown.text.contains("has expired"))
        }
    }

    @Test("events past the window go with their deliveries in batches that grow while they are quick")
    func batches() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("uni")
            for i in 0..<23 { _ = try await t.token(key: key, partnerID: "u\(i)") }
            let events = try await t.count("events")
            #expect(events >= 23)
            t.clock.advance(by: 31 * 86_400)
            let now = t.clock.now()
            let kinds = Retention.kinds(now: now, eventCutoff: now.addingTimeInterval(-30 * 86_400)).filter { $0.table == "events" }
            let holds = HoldLog()
            let report = try await Retention.purge(kinds, store: t.portico.hotPaths, startingBatch: 2, writerShare: 1) { kind, rows, hold in
                holds.append(kind, rows, hold)
            }
            #expect(report.deleted["events"] == events && report.batches == holds.count && report.batches > 2, "\(holds.rows)")
            #expect(holds.rows.first == 2, "the first batch is the starting size")
            #expect(holds.rows.reduce(0, +) == events)
            #expect(try await t.count("events") == 0)
        }
    }

    @Test("the pause after a batch keeps retention to a tenth of the writer's time, never under 5 ms")
    func pacing() {
        #expect(Retention.pause(after: .milliseconds(10)) == .milliseconds(90))
        #expect(Retention.pause(after: .milliseconds(20)) == .milliseconds(180))
        #expect(Retention.pause(after: .microseconds(100)) == .milliseconds(5))
        #expect(Retention.pause(after: .milliseconds(10), share: 0.5) == .milliseconds(10))
        #expect(Retention.pause(after: .milliseconds(10), share: 1) == .zero)
    }

    @Test("half the writer for retention when nothing else wanted it meanwhile, a tenth otherwise")
    func pauseWhenQuiet() {
        #expect(Retention.pause(after: Retention.Batch(rows: 100, hold: .milliseconds(10), contended: false)) == .milliseconds(10))
        #expect(Retention.pause(after: Retention.Batch(rows: 1, hold: .milliseconds(1), contended: false)) == .milliseconds(5))
        #expect(Retention.pause(after: Retention.Batch(rows: 100, hold: .milliseconds(10), contended: false), share: 1) == .zero)
        #expect(Retention.pause(after: Retention.Batch(rows: 100, hold: .milliseconds(10), contended: true)) == .milliseconds(90))
        #expect(Retention.pause(after: Retention.Batch(rows: 100, hold: .milliseconds(10))) == .milliseconds(90), "contended unless told")
    }

    @Test("on SQLite a batch is contended when other writes ran since the last one; on PostgreSQL always")
    func contention() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("uni")
            for i in 0..<6 { _ = try await t.token(key: key, partnerID: "u\(i)") }
            t.clock.advance(by: 31 * 86_400)
            let now = t.clock.now()
            let events = Retention.kinds(now: now, eventCutoff: now.addingTimeInterval(-30 * 86_400)).first { $0.table == "events" }!
            let sqlite = t.portico.hotPaths is SQLiteHotPathStore
            let first = try await t.portico.hotPaths.purgeBatch(events, limit: 2)
            #expect(first.rows == 2 && first.contended, "the org and tokens were written since the start")
            let second = try await t.portico.hotPaths.purgeBatch(events, limit: 2)
            #expect(second.rows == 2 && second.contended == !sqlite, "nothing else wrote in between")
            _ = try await t.token(key: key, partnerID: "u0")
            let third = try await t.portico.hotPaths.purgeBatch(events, limit: 2)
            #expect(third.rows == 2 && third.contended, "a token was issued in between")
            let quiet = try await t.portico.hotPaths.purgeBatch(events, limit: 0)
            #expect(quiet.contended == !sqlite)
            // A write through the Fluent side (PorticoStore.write), not the hot paths' queue.
            try await t.portico.store.write { db in try await (db as! any SQLDatabase).raw("DELETE FROM sessions WHERE 1 = 0").run() }
            let fourth = try await t.portico.hotPaths.purgeBatch(events, limit: 2)
            #expect(fourth.contended, "a store write ran in between")
        }
    }

    @Test("the batch size halves after a slow batch, doubles after a quick one, within its bounds")
    func batchSize() {
        let target = Retention.targetHold
        #expect(Retention.nextBatchSize(after: 500, hold: target * 3) == 250)
        #expect(Retention.nextBatchSize(after: 500, hold: target / 3) == 1_000)
        #expect(Retention.nextBatchSize(after: 500, hold: target) == 500)
        #expect(Retention.nextBatchSize(after: 60, hold: .seconds(2)) == 50)
        #expect(Retention.nextBatchSize(after: 2_000, hold: .zero) == 2_000)
        #expect(Retention.nextBatchSize(after: 2, hold: .seconds(1)) == 2, "a size below the floor is not raised by a slow batch")
    }
}

/// What `Retention.purge` reported, batch by batch.
final class HoldLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(String, Int, Duration)] = []

    func append(_ kind: String, _ rows: Int, _ hold: Duration) {
        lock.withLock { entries.append((kind, rows, hold)) }
    }

    var count: Int { lock.withLock { entries.count } }
    var rows: [Int] { lock.withLock { entries.map(\.1) } }
}
