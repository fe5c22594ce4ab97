import Foundation
import Logging
import PorticoCore

/// Portico's configuration, read once from the environment (SPEC §2). Every
/// malformed variable is named in one error, and the process stops.
public struct PorticoConfig: Sendable {
    public enum Storage: Sendable, Equatable {
        case sqliteFile(String)
        case sqliteMemory
        case postgres(url: String, searchPath: String?)

        public var engine: DatabaseEngine {
            if case .postgres = self { return .postgres }
            return .sqlite
        }
    }

    public var storage: Storage
    /// Without a trailing slash.
    public var publicURL: String
    public var secret: String?
    public var webhookAllowPrivate: Bool
    public var webhookRetrySchedule: [Int]
    /// Seconds for a whole delivery exchange, connect to full response (SPEC §7: 30).
    public var webhookTimeout: Int = 30
    /// Endpoints served at once by one process's delivery worker.
    public var webhookConcurrency: Int = 8
    public var rateLimit: RateLimit?
    /// Failed sign-ins and launch-code exchanges per client address (`PORTICO_FAILURE_LIMIT`).
    public var failureLimit: RateLimit? = RateLimit(perSecond: 1, burst: 100)
    public var trustedProxies: [CIDR]
    public var metricsToken: String?
    public var eventRetentionDays: Int
    /// How often retention runs (`PORTICO_RETENTION_INTERVAL`, seconds; `Retention`).
    public var retentionInterval: Int = 300
    public var logLevel: Logger.Level
    /// `LOG_FORMAT`: `text` (the default) or `json`, one object per line.
    public var logFormat: LogFormat = .text
    public var curriculumPath: String?
    /// A connection idle this long is closed, and a request body must arrive within it
    /// (SPEC §9: 30 s; tests shorten it).
    public var clientTimeout: Int64 = 30
    /// bcrypt checks for sign-ins: threads of their own pool, and how many may wait.
    public var passwordCheckThreads: Int = 2
    public var passwordCheckQueue: Int = 16
    /// PostgreSQL connections per event loop (tests, which run many apps at once, use fewer).
    public var postgresConnectionsPerEventLoop: Int = 8

    public var publicURLIsHTTPS: Bool { publicURL.lowercased().hasPrefix("https://") }

    /// Requests per second and burst of one API key's token bucket.
    public struct RateLimit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }

        static let rateRange: ClosedRange<Double> = 0.001 ... 1_000_000
        static let burstRange: ClosedRange<Double> = 1 ... 1_000_000

        /// `50/s burst 200`, `50/s` (burst = rate) or `off` (nil). Rate 0.001 to 1,000,000
        /// per second, burst 1 to 1,000,000.
        public static func parse(_ text: String) -> RateLimit?? {
            let t = text.trimmingCharacters(in: .whitespaces).lowercased()
            if t == "off" { return .some(nil) }
            let parts = t.split(separator: " ").map(String.init)
            // Bounded, so the token bucket's arithmetic (Retry-After) stays finite and small.
            guard let first = parts.first, first.hasSuffix("/s"), let rate = Double(first.dropLast(2)),
                  rateRange.contains(rate) else { return nil }
            if parts.count == 1 { return RateLimit(perSecond: rate, burst: max(rate, 1)) }
            guard parts.count == 3, parts[1] == "burst", let burst = Double(parts[2]), burstRange.contains(burst) else { return nil }
            return RateLimit(perSecond: rate, burst: burst)
        }
    }

    public init(
        storage: Storage = .sqliteFile("portico.sqlite"), publicURL: String = "http://127.0.0.1:8080", secret: String? = nil,
        webhookAllowPrivate: Bool = false, webhookRetrySchedule: [Int] = [600, 600, 600, 600, 600],
        rateLimit: RateLimit? = RateLimit(perSecond: 50, burst: 200), trustedProxies: [CIDR] = [],
        metricsToken: String? = nil, eventRetentionDays: Int = 30, logLevel: Logger.Level = .info, curriculumPath: String? = nil
    ) {
        self.storage = storage
        self.publicURL = publicURL
        self.secret = secret
        self.webhookAllowPrivate = webhookAllowPrivate
        self.webhookRetrySchedule = webhookRetrySchedule
        self.rateLimit = rateLimit
        self.trustedProxies = trustedProxies
        self.metricsToken = metricsToken
        self.eventRetentionDays = eventRetentionDays
        self.logLevel = logLevel
        self.curriculumPath = curriculumPath
    }

    /// How log lines are written: `text` (the stream handler's lines, escaped) or `json`.
    public enum LogFormat: String, Sendable {
        case text, json
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "invalid configuration:\n" + problems.map { "  - " + $0 }.joined(separator: "\n") }
    }

    /// Seconds between two delivery attempts: at most a week.
    static let retryStepRange: ClosedRange<Int> = 0 ... 604_800

    public static func from(environment env: [String: String]) throws -> PorticoConfig {
        var config = PorticoConfig()
        var problems: [String] = []
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }

        if let url = value("DATABASE_URL") {
            if let storage = parseStorage(url) { config.storage = storage } else {
                problems.append("DATABASE_URL must be sqlite://PATH, sqlite::memory: or postgres://user:pass@host:port/db")
            }
        }
        if let url = value("PORTICO_PUBLIC_URL") {
            var trimmed = url
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            if ReturnHosts.isHTTPURL(trimmed), URLComponents(string: trimmed)?.path.isEmpty ?? false {
                config.publicURL = trimmed
            } else {
                problems.append("PORTICO_PUBLIC_URL must be an http(s) origin such as https://portico.example.edu")
            }
        }
        if let secret = value("PORTICO_SECRET") {
            if secret.utf8.count >= 32 { config.secret = secret } else {
                problems.append("PORTICO_SECRET must be at least 32 characters")
            }
        }
        if let flag = value("PORTICO_WEBHOOK_ALLOW_PRIVATE") {
            if let b = parseBool(flag) { config.webhookAllowPrivate = b } else {
                problems.append("PORTICO_WEBHOOK_ALLOW_PRIVATE must be true or false")
            }
        }
        if let schedule = value("PORTICO_WEBHOOK_RETRY_SCHEDULE") {
            let steps = schedule.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if (1...100).contains(steps.count), steps.allSatisfy({ retryStepRange.contains($0 ?? -1) }) {
                config.webhookRetrySchedule = steps.map { $0! }
            } else {
                problems.append("PORTICO_WEBHOOK_RETRY_SCHEDULE must be 1 to 100 comma-separated seconds, each 0 to 604800 (a week), e.g. 600,600,600,600,600")
            }
        }
        if let timeout = value("PORTICO_WEBHOOK_TIMEOUT") {
            if let t = Int(timeout), (1...30).contains(t) { config.webhookTimeout = t } else {
                problems.append("PORTICO_WEBHOOK_TIMEOUT must be whole seconds from 1 to 30")
            }
        }
        if let concurrency = value("PORTICO_WEBHOOK_CONCURRENCY") {
            if let c = Int(concurrency), (1...256).contains(c) { config.webhookConcurrency = c } else {
                problems.append("PORTICO_WEBHOOK_CONCURRENCY must be a whole number from 1 to 256")
            }
        }
        if let limit = value("PORTICO_RATE_LIMIT") {
            if let parsed = RateLimit.parse(limit) { config.rateLimit = parsed } else {
                problems.append("PORTICO_RATE_LIMIT must look like '50/s burst 200' or be 'off'")
            }
        }
        if let limit = value("PORTICO_FAILURE_LIMIT") {
            if let parsed = RateLimit.parse(limit) { config.failureLimit = parsed } else {
                problems.append("PORTICO_FAILURE_LIMIT must look like '1/s burst 100' or be 'off'")
            }
        }
        if let proxies = value("PORTICO_TRUSTED_PROXIES") {
            switch CIDR.parseList(proxies) {
            case .success(let cidrs): config.trustedProxies = cidrs
            case .failure(let error):
                for item in error.items {
                    problems.append("PORTICO_TRUSTED_PROXIES: '\(LogText.escaped(item))' is not a CIDR (e.g. 10.0.0.0/8)")
                }
            }
        }
        config.metricsToken = value("PORTICO_METRICS_TOKEN")
        if let days = value("PORTICO_EVENT_RETENTION_DAYS") {
            if let d = Int(days), (1...36_500).contains(d) { config.eventRetentionDays = d } else {
                problems.append("PORTICO_EVENT_RETENTION_DAYS must be a whole number of days, 1 to 36500")
            }
        }
        if let seconds = value("PORTICO_RETENTION_INTERVAL") {
            if let n = Int(seconds), (1...86_400).contains(n) { config.retentionInterval = n } else {
                problems.append("PORTICO_RETENTION_INTERVAL must be a whole number of seconds, 1 to 86400")
            }
        }
        if let level = value("LOG_LEVEL") {
            if let l = Logger.Level(rawValue: level.lowercased()) { config.logLevel = l } else {
                problems.append("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
        }
        if let format = value("LOG_FORMAT") {
            if let f = LogFormat(rawValue: format.lowercased()) { config.logFormat = f } else {
                problems.append("LOG_FORMAT must be text or json")
            }
        }
        config.curriculumPath = value("PORTICO_CURRICULUM")
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        return config
    }

    static func parseStorage(_ url: String) -> Storage? {
        if url == "sqlite::memory:" || url == "sqlite://:memory:" { return .sqliteMemory }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            return path.isEmpty ? nil : .sqliteFile(path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: url), components.host != nil else { return nil }
            return .postgres(url: url.hasPrefix("postgresql://") ? "postgres://" + url.dropFirst("postgresql://".count) : url, searchPath: nil)
        }
        return nil
    }

    static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off": false
        default: nil
        }
    }
}
