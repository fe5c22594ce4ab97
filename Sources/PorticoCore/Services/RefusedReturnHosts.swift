import FluentKit
import Foundation
import Logging
import SQLKit

/// The return hosts an org's sign-ins (`return_url`) and redirect entities asked for
/// and were refused because the host is not on the org's allowlist (SPEC §8 settings
/// page): one row per (org, host) with a count and the first and last time, so an
/// integrator can allow the right host without reading logs.
///
/// Only well-formed http(s) URLs whose host alone was the reason are recorded (a
/// malformed URL names no host worth allowing); the host is stored normalized
/// (`ReturnHosts.httpURL`). Bounded: hosts longer than a DNS name are dropped, and an
/// org keeps at most `maxHostsPerOrg` rows (new hosts beyond that are dropped, known
/// ones still counted). Recording never fails the request that asked.
public enum RefusedReturnHosts {
    public static let maxHostsPerOrg = 1000
    /// How far back the settings page looks.
    public static let window: TimeInterval = 30 * 86_400

    public struct Entry: Sendable, Equatable {
        public var host: String
        public var count: Int
        public var firstAt: Date
        public var lastAt: Date

        public init(host: String, count: Int, firstAt: Date, lastAt: Date) {
            self.host = host
            self.count = count
            self.firstAt = firstAt
            self.lastAt = lastAt
        }
    }

    /// The host to record for `url`, refused for an org whose lineage allows `entries`:
    /// nil when the URL is malformed (not a clean http(s) URL), its host is allowed (it
    /// was refused for another reason), or the host is longer than a DNS name.
    public static func refusedHost(_ url: String, entries: [String]) -> String? {
        guard let (_, host) = ReturnHosts.httpURL(url), !ReturnHosts.isAllowed(host: host, entries: entries),
              host.utf8.count <= ReturnHosts.maxHostLength
        else { return nil }
        return host
    }

    /// Records the refused hosts of `urls` for `orgID` (the org whose allowlist, with its
    /// ancestors', refused them). Never throws: a failure is logged at debug level
    /// without the URL, and the caller goes on.
    public static func record(_ urls: [String], orgID: UUID, now: Date, store: PorticoStore, logger: Logger? = nil) async {
        guard !urls.isEmpty else { return }
        do {
            let entries = try await Organizations.allowedReturnHosts(of: orgID, on: store.db)
            let hosts = Set(urls.compactMap { refusedHost($0, entries: entries) })
            guard !hosts.isEmpty else { return }
            try await store.write { db in
                for host in hosts.sorted() { try await upsert(host: host, orgID: orgID, now: now, on: db) }
            }
        } catch {
            logger?.debug("could not record a refused return host", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    /// Records the refused host of `url` for the org of the subscription (a sign-in's `return_url`).
    public static func record(_ url: String, subscriptionID: UUID, now: Date, store: PorticoStore, logger: Logger? = nil) async {
        do {
            guard let subscription = try await Subscription.find(subscriptionID, on: store.db) else { return }
            await record([url], orgID: subscription.orgID, now: now, store: store, logger: logger)
        } catch {
            logger?.debug("could not record a refused return host", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    /// One statement on both engines: a new (org, host) row while the org has fewer
    /// than `maxHostsPerOrg`, else (or when it exists) a count and a time on the
    /// existing row; concurrent recorders meet on the unique (org_id, host) index.
    static func upsert(host: String, orgID: UUID, now: Date, on db: any Database) async throws {
        try await db.sql.raw("""
            INSERT INTO refused_return_hosts (org_id, host, count, first_at, last_at)
            SELECT \(bind: orgID), \(bind: host), 1, \(bind: now), \(bind: now)
            WHERE (SELECT COUNT(*) FROM refused_return_hosts WHERE org_id = \(bind: orgID)) < \(unsafeRaw: String(maxHostsPerOrg))
               OR EXISTS (SELECT 1 FROM refused_return_hosts WHERE org_id = \(bind: orgID) AND host = \(bind: host))
            ON CONFLICT (org_id, host) DO UPDATE SET count = refused_return_hosts.count + 1, last_at = excluded.last_at
            """).run()
    }

    /// The org's hosts refused since `since`, latest first (at most `limit`).
    public static func recent(orgID: UUID, since: Date, limit: Int = 200, on db: any Database) async throws -> [Entry] {
        let rows = try await db.sql.raw("""
            SELECT host, count, first_at, last_at FROM refused_return_hosts
            WHERE org_id = \(bind: orgID) AND last_at >= \(bind: since)
            ORDER BY last_at DESC, host LIMIT \(unsafeRaw: String(max(1, min(limit, maxHostsPerOrg))))
            """).all()
        return try rows.map { row in
            Entry(
                host: try row.decode(column: "host", as: String.self),
                count: Int(try row.decode(column: "count", as: Int64.self)),
                firstAt: try row.decode(column: "first_at", as: Date.self),
                lastAt: try row.decode(column: "last_at", as: Date.self)
            )
        }
    }

    /// Forgets one refused host of the org (it has been allowed). Call inside the
    /// transaction that allows it.
    static func forget(host: String, orgID: UUID, on db: any Database) async throws {
        try await db.sql.raw("DELETE FROM refused_return_hosts WHERE org_id = \(bind: orgID) AND host = \(bind: host)").run()
    }

    /// Deletes the rows last refused before `cutoff` (the retention job).
    public static func purge(before cutoff: Date, store: PorticoStore) async throws {
        try await store.write { db in
            try await db.sql.raw("DELETE FROM refused_return_hosts WHERE last_at < \(bind: cutoff)").run()
        }
    }

    /// Adds `host` to the org's allowed return hosts (by `Organizations.apply`'s rules)
    /// and forgets it as refused, in one transaction with an `org.allow_return_host`
    /// audit entry. Allowing a host already on the list only forgets it.
    @discardableResult
    public static func allow(
        host rawHost: String, orgSlug: String, actor: String, ip: String? = nil, now: Date, store: PorticoStore
    ) async throws -> Organization {
        guard let host = ReturnHosts.normalizedEntry(rawHost), !host.hasPrefix("*.") else {
            throw PorticoError.invalid("'\(LogText.escaped(String(rawHost.prefix(300))))' is not a valid return host")
        }
        return try await store.write { db in
            guard let org = try await Organizations.find(slug: orgSlug, on: db) else {
                throw PorticoError.notFound("no organization with slug '\(orgSlug)'")
            }
            if !org.allowedReturnHosts.contains(host) {
                try Organizations.apply(.init(allowedReturnHosts: org.allowedReturnHosts + [host]), to: org)
                org.updatedAt = now
                try await org.save(on: db)
            }
            try await forget(host: host, orgID: try org.requireID(), on: db)
            try await Audit.record(orgID: org.id, actor: actor, action: "org.allow_return_host", target: host, at: now, ip: ip, on: db)
            return org
        }
    }
}
