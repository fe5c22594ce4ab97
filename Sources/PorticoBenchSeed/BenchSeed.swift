import App
import ArgumentParser
import FluentKit
import Foundation
import JWTKit
import PorticoCore
import SQLKit

/// `portico-bench-seed …`: bulk data for the benchmark script `bench/run` — users,
/// pre-issued SSO tokens and launch codes, outbox events. Its own executable, never
/// part of the `portico` binary. Going through HTTP would be far too slow for the
/// hundreds of thousands of single-use tokens a run consumes, so this writes them
/// through the stores' own statements (`HotPathStore.createOrRefreshUser`,
/// `insertTokens`, `insertLaunches`, `Outbox.append`), many per transaction, with the
/// same hashing and sealing as the server. It runs beside the server, on the same
/// `DATABASE_URL`.
@main
struct BenchSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico-bench-seed",
        abstract: "Benchmark data for bench/run. Not for normal use.",
        discussion: """
            Used only by the project's benchmark script (bench/run) against a throwaway database: it fills an \
            organization with test users, pre-issued sign-in tokens and launch codes, and events. Portico never \
            needs it; do not run it against a database that matters.
            """,
        subcommands: [SeedUsers.self, SeedSSOTokens.self, SeedLaunchCodes.self, SeedOIDC.self, SeedEvents.self, SeedHistory.self, TimeSigning.self]
    )

    /// Rows per INSERT statement (a few binds each: far below SQLite's and PostgreSQL's bind limits).
    static let rowsPerStatement = 500
    /// Rows per transaction.
    static let rowsPerTransaction = 5000

    // MARK: - users

    struct SeedUsers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "users",
            abstract: "Create (or refresh) users PREFIX1…PREFIXN through the Partner API's own upsert; write their partner ids. Benchmark only."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "How many users.") var count: Int = 10_000
        @Option(help: "partner_id prefix: the users are PREFIX1 … PREFIXN.") var prefix: String = "p"
        @Option(help: "Chapters of the first track completed by user i: i mod (N+1), so /tracks has some progress to report.")
        var chapters: Int = 3
        @Option(help: "Requests in flight at once.") var concurrency: Int = 16
        @Option(help: "File to write the partner ids to, one a line.") var out: String?
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (0...100_000_000).contains(count) else { throw ValidationError("--count must be 0 to 100000000") }
            guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 1024") }
            guard (0...1000).contains(chapters) else { throw ValidationError("--chapters must be 0 to 1000") }
        }

        struct Result: Encodable {
            var created: Int
            var refreshed: Int
            var progressRows: Int
            enum CodingKeys: String, CodingKey {
                case created, refreshed
                case progressRows = "progress_rows"
            }
        }

        func run() async throws {
            try await reportingFailures {
                let started = Date()
                let result = try await withPortico { portico -> Result in
                    let organization = try await BenchSeedCommand.organization(org, portico)
                    let orgID = try organization.requireID()
                    let ttl = organization.ssoTokenTTL, singleUse = organization.ssoTokenSingleUse
                    let hotPaths = portico.hotPaths
                    let clock = portico.clock
                    let writer = try out.map { try LineWriter(path: $0) }
                    var created = 0, refreshed = 0
                    var progress: [(userID: UUID, chapter: Int)] = []
                    let chapterNumbers = Array((portico.curriculum.tracks.first?.chapters.map(\.number) ?? []).prefix(chapters))
                    var next = 1
                    while next <= count {
                        let last = min(count, next + concurrency * 8 - 1)
                        let ids = Array(next...last)
                        // At most `concurrency` upserts in flight (on SQLite they queue for the one writer anyway).
                        let results = try await withThrowingTaskGroup(
                            of: (Int, UserUpsertResult?).self, returning: [(Int, UserUpsertResult?)].self
                        ) { group in
                            var collected: [(Int, UserUpsertResult?)] = []
                            var launched = 0
                            while launched < ids.count || !group.isEmpty {
                                if launched < ids.count, launched - collected.count < concurrency {
                                    let i = ids[launched]
                                    let partnerID = prefix + String(i)
                                    group.addTask {
                                        let upsert = UserUpsert(
                                            orgID: orgID, partnerID: partnerID, email: "\(partnerID)@bench.example",
                                            firstName: "Bench", lastName: "User \(i)",
                                            tokenHash: Secrets.sha256Hex(Secrets.hex(byteCount: 16)),
                                            tokenTTL: ttl, tokenSingleUse: singleUse, now: clock.now()
                                        )
                                        return (i, try await hotPaths.createOrRefreshUser(upsert))
                                    }
                                    launched += 1
                                } else if let finished = try await group.next() {
                                    collected.append(finished)
                                }
                            }
                            return collected.sorted { $0.0 < $1.0 }
                        }
                        var lines: [String] = []
                        for (i, result) in results {
                            guard let result else { throw CLIFailure("user \(prefix)\(i) exists but is an expired anonymous user") }
                            if result.created { created += 1 } else { refreshed += 1 }
                            lines.append(result.user.partnerID)
                            for chapter in chapterNumbers.prefix(i % (chapters + 1)) {
                                progress.append((userID: result.user.id, chapter: chapter))
                            }
                        }
                        try writer?.write(lines)
                        next = last + 1
                    }
                    try writer?.close()
                    let now = portico.clock.now()
                    try await BenchSeedCommand.insertInTransactions(progress, store: portico.store) { sql, chunk in
                        var insert = sql.insert(into: "track_progress").columns("id", "user_id", "chapter_number", "completed_at")
                        for row in chunk {
                            insert = insert.values([SQLBind(UUID()), SQLBind(row.userID), SQLBind(row.chapter), SQLBind(now)])
                        }
                        try await insert.ignoringConflicts(with: ["user_id", "chapter_number"]).run()
                    }
                    return Result(created: created, refreshed: refreshed, progressRows: progress.count)
                }
                if json { try Output.json(result) } else {
                    Output.line("\(result.created) created, \(result.refreshed) refreshed, \(result.progressRows) completed chapters "
                        + "in \(BenchSeedCommand.seconds(since: started))")
                }
            }
        }
    }

    // MARK: - sso-tokens

    struct SeedSSOTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sso-tokens",
            abstract: "Pre-issue Partner API sign-in tokens for the org's users; write one /login/sso?token=… path a line. Benchmark only."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "How many tokens.") var count: Int
        @Option(help: "File to write the paths to, one a line.") var out: String
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (0...100_000_000).contains(count) else { throw ValidationError("--count must be 0 to 100000000") }
        }

        func run() async throws {
            try await reportingFailures {
                let started = Date()
                let issued = try await withPortico { portico -> Int in
                    let organization = try await BenchSeedCommand.organization(org, portico)
                    let orgID = try organization.requireID()
                    let members = try await BenchSeedCommand.members(orgID: orgID, on: portico.store.sql)
                    guard !members.isEmpty || count == 0 else { throw CLIFailure("organization '\(org)' has no users (run bench-seed users first)") }
                    let ttl = organization.ssoTokenTTL, singleUse = organization.ssoTokenSingleUse
                    let writer = try LineWriter(path: out)
                    var done = 0
                    while done < count {
                        // One transaction's worth: tokens in clear for the file, hashes for the rows
                        // (exactly what POST /api/users/{partner_id} stores).
                        let n = min(BenchSeedCommand.rowsPerTransaction, count - done)
                        let now = portico.clock.now()
                        var tokens: [String] = []
                        var rows: [(hash: String, userID: UUID, subscriptionID: UUID)] = []
                        tokens.reserveCapacity(n)
                        rows.reserveCapacity(n)
                        for j in 0..<n {
                            let token = Secrets.hex(byteCount: 16)
                            let member = members[(done + j) % members.count]
                            tokens.append(token)
                            rows.append((hash: Secrets.sha256Hex(token), userID: member.userID, subscriptionID: member.subscriptionID))
                        }
                        try await portico.hotPaths.insertTokens(rows.map { row in
                            IssuedToken(
                                tokenHash: row.hash, userID: row.userID, subscriptionID: row.subscriptionID, singleUse: singleUse,
                                expiresAt: SSOTokens.expiry(issuedAt: now, ttl: ttl, userExpiresAt: nil), createdAt: now
                            )
                        })
                        try writer.write(tokens.map { "/login/sso?token=" + $0 })
                        done += n
                    }
                    try writer.close()
                    return done
                }
                if json { try Output.json(["issued": issued]) } else {
                    Output.line("\(issued) tokens in \(BenchSeedCommand.seconds(since: started)) → \(out)")
                }
            }
        }
    }

    // MARK: - launch-codes

    struct SeedLaunchCodes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "launch-codes",
            abstract: "Issue launch codes of an app for the org's users (valid 60 s!); write one /jsp/api/getUserId/?t=…&k=… path a line. Benchmark only."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The partner app's slug.") var app: String
        @Option(name: .customLong("app-key"), help: "The app's key k (from `portico app create --json`), written into each path.")
        var appKey: String
        @Option(help: "How many codes.") var count: Int
        @Option(help: "File to write the paths to, one a line.") var out: String
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (1...100_000_000).contains(count) else { throw ValidationError("--count must be 1 to 100000000") }
        }

        struct Result: Encodable {
            var issued: Int
            var firstIssuedAt: Double
            var lastIssuedAt: Double
            enum CodingKeys: String, CodingKey {
                case issued
                case firstIssuedAt = "first_issued_at"
                case lastIssuedAt = "last_issued_at"
            }
        }

        func run() async throws {
            try await reportingFailures {
                let started = Date()
                let key = appKey
                let result = try await withPortico { portico -> Result in
                    let organization = try await BenchSeedCommand.organization(org, portico)
                    guard let partnerApp = try await PartnerApps.find(org: organization, slug: app, on: portico.store.db) else {
                        throw CLIFailure("organization '\(org)' has no app '\(app)'")
                    }
                    guard partnerApp.enabled else { throw CLIFailure("app '\(app)' is disabled") }
                    guard Secrets.constantTimeEquals(partnerApp.keyHash, Secrets.sha256Hex(key)) else {
                        throw CLIFailure("--app-key is not the key of app '\(app)'")
                    }
                    let appID = try partnerApp.requireID()
                    let members = try await BenchSeedCommand.members(orgID: try organization.requireID(), on: portico.store.sql)
                    guard !members.isEmpty else { throw CLIFailure("organization '\(org)' has no users (run bench-seed users first)") }
                    let writer = try LineWriter(path: out)
                    func path(_ code: String) -> String { "/jsp/api/getUserId/?t=\(code)&k=\(key)" }

                    // The first code goes through the real issuing path (LaunchCodes.issue: seal
                    // + the hot path's insert). Its opened contents are the template for the rest,
                    // sealed with the same function and key, their rows written in bulk with the
                    // store's own launch statement.
                    let firstIssuedAt = portico.clock.now()
                    let first = try await LaunchCodes.issue(
                        appID: appID, userID: members[0].userID, now: firstIssuedAt, hotPaths: portico.hotPaths, keys: portico.launchKeys
                    )
                    try writer.write([path(first.code)])
                    let sealingKey = try await portico.launchKeys.key(appID: appID)
                    guard var contents = LaunchCodes.open(first.code, appID: appID, key: sealingKey) else {
                        throw CLIFailure("a freshly issued launch code does not open")
                    }
                    var done = 1
                    var lastIssuedAt = firstIssuedAt
                    while done < count {
                        let n = min(BenchSeedCommand.rowsPerTransaction, count - done)
                        let now = portico.clock.now()
                        var codes: [String] = []
                        var rows: [(launchID: UUID, userID: UUID)] = []
                        codes.reserveCapacity(n)
                        rows.reserveCapacity(n)
                        for j in 0..<n {
                            contents.launchID = UUID()
                            contents.userID = members[(done + j) % members.count].userID
                            contents.issuedAt = now
                            codes.append(try LaunchCodes.seal(contents, appID: appID, key: sealingKey))
                            rows.append((launchID: contents.launchID, userID: contents.userID))
                        }
                        try await portico.hotPaths.insertLaunches(rows.map { (id: $0.launchID, appID: appID, userID: $0.userID, issuedAt: now) })
                        try writer.write(codes.map(path))
                        done += n
                        lastIssuedAt = now
                    }
                    try writer.close()
                    return Result(
                        issued: done, firstIssuedAt: firstIssuedAt.timeIntervalSince1970, lastIssuedAt: lastIssuedAt.timeIntervalSince1970
                    )
                }
                if json { try Output.json(result) } else {
                    Output.line("\(result.issued) launch codes in \(BenchSeedCommand.seconds(since: started)) → \(out) (valid 60 s)")
                }
            }
        }
    }

    // MARK: - oidc

    struct SeedOIDC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "oidc",
            abstract: "Issue OpenID Connect codes (valid 60 s!) and access tokens of a client for the org's users; write one a line. Benchmark only."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "The client app's slug.") var app: String
        @Option(name: .customLong("redirect-uri"), help: "The registered redirect URI the codes are bound to.") var redirectURI: String
        @Option(help: "How many codes.") var codes: Int
        @Option(name: .customLong("codes-out"), help: "File for the codes, one a line.") var codesOut: String
        @Option(name: .customLong("access-tokens"), help: "How many access tokens.") var accessTokens: Int
        @Option(name: .customLong("tokens-out"), help: "File for the access tokens, one a line.") var tokensOut: String
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (0...10_000_000).contains(codes), (0...10_000_000).contains(accessTokens) else {
                throw ValidationError("--codes and --access-tokens must be 0 to 10000000")
            }
        }

        struct Result: Encodable {
            var codes: Int
            var accessTokens: Int
            var firstIssuedAt: Double
            enum CodingKeys: String, CodingKey {
                case codes
                case accessTokens = "access_tokens"
                case firstIssuedAt = "first_issued_at"
            }
        }

        func run() async throws {
            try await reportingFailures {
                let result = try await withPortico { portico -> Result in
                    let organization = try await BenchSeedCommand.organization(org, portico)
                    guard let partnerApp = try await PartnerApps.find(org: organization, slug: app, on: portico.store.db),
                          let clientID = partnerApp.clientID, let client = try await portico.hotPaths.oidcClient(clientID: clientID)
                    else { throw CLIFailure("organization '\(org)' has no client app '\(app)'") }
                    guard client.redirectURIs.contains(redirectURI) else { throw CLIFailure("'\(redirectURI)' is not registered for '\(app)'") }
                    let members = try await BenchSeedCommand.members(orgID: try organization.requireID(), on: portico.store.sql)
                    guard !members.isEmpty else { throw CLIFailure("organization '\(org)' has no users (run bench-seed users first)") }

                    // Member sessions through the real sign-in path (an SSO token redeemed by the
                    // hot path's own statements); the codes are spread over them.
                    var sessions: [(userID: UUID, sessionID: UUID, authTime: Date)] = []
                    for member in members.prefix(200) {
                        let token = Secrets.hex(byteCount: 16)
                        let now = portico.clock.now()
                        try await portico.hotPaths.insertTokens([IssuedToken(
                            tokenHash: Secrets.sha256Hex(token), userID: member.userID, subscriptionID: member.subscriptionID, singleUse: true,
                            expiresAt: now.addingTimeInterval(600), createdAt: now
                        )])
                        let outcome = try await portico.hotPaths.redeemSSOToken(.init(
                            tokenHash: Secrets.sha256Hex(token), display: nil, returnURL: nil, previousSessionHash: nil, ip: nil, now: now
                        ))
                        guard case .signedIn(let new) = outcome else { throw CLIFailure("a seeded sign-in failed") }
                        sessions.append((member.userID, new.session.id, new.session.createdAt))
                    }
                    let request = OpenIDConnect.AuthorizationRequest(
                        clientID: clientID, redirectURI: redirectURI, scopes: ["openid", "profile", "email"], state: nil, nonce: "bench",
                        codeChallenge: nil, prompt: nil, maxAge: nil
                    )
                    func newCodes(_ n: Int, from start: Int) -> (clear: [String], rows: [OpenIDConnect.NewCode]) {
                        let now = portico.clock.now()
                        var clear: [String] = [], rows: [OpenIDConnect.NewCode] = []
                        for j in 0..<n {
                            let session = sessions[(start + j) % sessions.count]
                            let code = OpenIDConnect.newSecret()
                            clear.append(code)
                            rows.append(.init(
                                code: code, appID: client.appID, userID: session.userID, sessionID: session.sessionID, request: request,
                                authTime: session.authTime, now: now
                            ))
                        }
                        return (clear, rows)
                    }

                    // Access tokens: codes redeemed with the token endpoint's own statement.
                    let tokenWriter = try LineWriter(path: tokensOut)
                    var done = 0
                    while done < accessTokens {
                        let n = min(BenchSeedCommand.rowsPerTransaction, accessTokens - done)
                        let (_, rows) = newCodes(n, from: done)
                        try await OIDCGrants.insertCodes(rows, store: portico.store)
                        var tokens: [String] = []
                        for row in rows {
                            guard let stored = try await portico.hotPaths.oidcCode(hash: row.codeHash),
                                  case .redeem(let codeID, let grant) = OpenIDConnect.decide(
                                    code: stored, client: client, redirectURI: redirectURI, verifier: nil, now: portico.clock.now()
                                  )
                            else { throw CLIFailure("a seeded code does not redeem") }
                            let issued = OpenIDConnect.issue(grant, client: client, now: portico.clock.now())
                            guard try await portico.hotPaths.redeemOIDCCode(id: codeID, now: portico.clock.now(), tokens: issued.rows) else {
                                throw CLIFailure("a seeded code was used")
                            }
                            tokens.append(issued.accessToken)
                        }
                        try tokenWriter.write(tokens)
                        done += n
                    }
                    try tokenWriter.close()

                    // Codes last: they live 60 seconds.
                    let codeWriter = try LineWriter(path: codesOut)
                    let firstIssuedAt = portico.clock.now()
                    done = 0
                    while done < codes {
                        let n = min(BenchSeedCommand.rowsPerTransaction, codes - done)
                        let (clear, rows) = newCodes(n, from: done)
                        try await OIDCGrants.insertCodes(rows, store: portico.store)
                        try codeWriter.write(clear)
                        done += n
                    }
                    try codeWriter.close()
                    return Result(codes: codes, accessTokens: accessTokens, firstIssuedAt: firstIssuedAt.timeIntervalSince1970)
                }
                if json { try Output.json(result) } else {
                    Output.line("\(result.codes) codes → \(codesOut) (valid 60 s), \(result.accessTokens) access tokens → \(tokensOut)")
                }
            }
        }
    }

    // MARK: - events

    struct SeedEvents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "events",
            abstract: "Append user.updated events (about one of the org's users) to the outbox, many per transaction. Benchmark only."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(help: "How many events.") var count: Int = 20_000
        @Option(help: "Events per transaction.") var batch: Int = 500
        @Option(help: "The user the events are about (default: the org's first user).") var user: String?
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (1...100_000_000).contains(count) else { throw ValidationError("--count must be 1 to 100000000") }
            guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be 1 to 100000") }
        }

        struct Result: Encodable {
            var appended: Int
            /// Unix seconds at which the first transaction had committed.
            var firstCommitAt: Double
            var lastCommitAt: Double
            enum CodingKeys: String, CodingKey {
                case appended
                case firstCommitAt = "first_commit_at"
                case lastCommitAt = "last_commit_at"
            }
        }

        func run() async throws {
            try await reportingFailures {
                let result = try await withPortico { portico -> Result in
                    let organization = try await BenchSeedCommand.organization(org, portico)
                    let orgID = try organization.requireID()
                    let partnerID: String
                    if let user {
                        partnerID = user
                    } else {
                        guard let row = try await portico.store.sql.raw("""
                            SELECT partner_id FROM users WHERE org_id = \(bind: orgID) AND anonymous = \(bind: false) ORDER BY created_at LIMIT 1
                            """).first()
                        else { throw CLIFailure("organization '\(org)' has no users (run bench-seed users first)") }
                        partnerID = try row.decode(column: "partner_id", as: String.self)
                    }
                    guard let record = try await portico.hotPaths.user(orgID: orgID, partnerID: partnerID, now: portico.clock.now()) else {
                        throw CLIFailure("no user '\(partnerID)' in organization '\(org)'")
                    }
                    let data = UserEventData(user: UserSnapshot(record))
                    let userID = record.id
                    var firstCommitAt: Double?
                    var lastCommitAt = 0.0
                    var done = 0
                    while done < count {
                        let n = min(batch, count - done)
                        let now = portico.clock.now()
                        try await portico.store.write { db in
                            for _ in 0..<n {
                                try await Outbox.append(.userUpdated, orgID: orgID, userID: userID, data: data, at: now, on: db)
                            }
                        }
                        lastCommitAt = Date().timeIntervalSince1970
                        if firstCommitAt == nil { firstCommitAt = lastCommitAt }
                        done += n
                    }
                    return Result(appended: done, firstCommitAt: firstCommitAt ?? lastCommitAt, lastCommitAt: lastCommitAt)
                }
                if json { try Output.json(result) } else {
                    Output.line("\(result.appended) events; first commit at \(result.firstCommitAt), last at \(result.lastCommitAt) (unix seconds)")
                }
            }
        }
    }

    // MARK: - history

    struct SeedHistory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "What a year of use leaves: per user, expired SSO tokens and user.updated events spread over the past days. Benchmark only."
        )

        @Option(help: "Slug of the organization.") var org: String
        @Option(name: .customLong("tokens-per-user"), help: "Expired SSO tokens per user.") var tokensPerUser: Int = 3
        @Option(name: .customLong("events-per-user"), help: "Events per user.") var eventsPerUser: Int = 10
        @Option(help: "How far back the history goes, in days (events past the retention window are due for purging).")
        var days: Int = 365
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (0...100).contains(tokensPerUser), (0...1000).contains(eventsPerUser) else {
                throw ValidationError("--tokens-per-user must be 0 to 100, --events-per-user 0 to 1000")
            }
            guard (3...3650).contains(days) else { throw ValidationError("--days must be 3 to 3650") }
        }

        func run() async throws {
            try await reportingFailures {
                let started = Date()
                let (tokens, events) = try await withPortico { portico -> (Int, Int) in
                    let organization = try await BenchSeedCommand.organization(org, portico)
                    let orgID = try organization.requireID()
                    let members = try await BenchSeedCommand.members(orgID: orgID, on: portico.store.sql)
                    let now = portico.clock.now()
                    let span = TimeInterval(days) * 86_400
                    // Spread evenly over the span, oldest first, ending two days ago (all expired).
                    @Sendable func when(_ i: Int, of n: Int) -> Date { now.addingTimeInterval(-span + (span - 2 * 86_400) * Double(i) / Double(max(n, 1))) }
                    let tokenCount = members.count * tokensPerUser
                    var done = 0
                    while done < tokenCount {
                        let n = min(BenchSeedCommand.rowsPerTransaction, tokenCount - done)
                        try await portico.hotPaths.insertTokens((done..<done + n).map { i in
                            let member = members[i % members.count]
                            let issued = when(i, of: tokenCount)
                            return IssuedToken(
                                tokenHash: Secrets.sha256Hex(Secrets.hex(byteCount: 16)), userID: member.userID, subscriptionID: member.subscriptionID,
                                singleUse: true, expiresAt: issued.addingTimeInterval(TimeInterval(organization.ssoTokenTTL)), createdAt: issued
                            )
                        })
                        done += n
                    }
                    let eventCount = members.count * eventsPerUser
                    done = 0
                    while done < eventCount {
                        let n = min(BenchSeedCommand.rowsPerTransaction, eventCount - done)
                        try await portico.hotPaths.insertEvents(try (done..<done + n).map { i in
                            try Outbox.NewEvent(
                                .userUpdated, orgID: orgID, userID: members[i % members.count].userID, data: ["bench": "history"], at: when(i, of: eventCount)
                            )
                        })
                        done += n
                    }
                    return (tokenCount, eventCount)
                }
                if json { try Output.json(["tokens": tokens, "events": events]) } else {
                    Output.line("\(tokens) expired SSO tokens and \(events) events over \(days) days in \(BenchSeedCommand.seconds(since: started))")
                }
            }
        }
    }

    // MARK: - signing

    struct TimeSigning: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "signing",
            abstract: "Time RS256 signatures of an ID-token-sized payload with the provider's current key, one after another. Benchmark only."
        )

        @Option(help: "How many signatures.") var count: Int = 2_000
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be 1 to 1000000") }
        }

        /// The claims of a typical ID token (Core §2, profile and email scopes).
        struct Claims: JWTPayload {
            var iss = "https://portico.example", sub = UUID().uuidString.lowercased(), aud = "app_0123456789abcdef01234567"
            var exp = Int(Date().timeIntervalSince1970) + 3600, iat = Int(Date().timeIntervalSince1970)
            var auth_time = Int(Date().timeIntervalSince1970), nonce = "n-0S6_WzA2Mj", azp = "app_0123456789abcdef01234567"
            var at_hash = "77QmUPtjPfzWtF2AnpK9RQ", name = "Ada Lovelace", given_name = "Ada", family_name = "Lovelace"
            var partner_id = "p12345", org = "bench", email = "ada@example.edu", email_verified = false
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }

        func run() async throws {
            try await reportingFailures {
                let (microseconds, kid) = try await withPortico { portico -> (Double, String) in
                    let keys = try await portico.oidcKeys.keySet()  // read (or made) once, as a running server has it
                    let claims = Claims()
                    let started = ContinuousClock.now
                    for _ in 0..<count { _ = try await portico.oidcKeys.sign(claims) }
                    let elapsed = ContinuousClock.now - started
                    return (elapsed.inMilliseconds * 1_000 / Double(count), keys.current.kid)
                }
                if json { try Output.json(["microseconds_per_signature": microseconds.rounded(), "signatures": Double(count)]) } else {
                    Output.line("\(Int(microseconds.rounded())) µs per RS256 signature (\(count) signatures, one after another, key \(kid))")
                }
            }
        }
    }

    // MARK: - Helpers

    static func organization(_ slug: String, _ portico: PorticoServices) async throws -> Organization {
        guard let org = try await Organizations.find(slug: slug, on: portico.store.db) else {
            throw CLIFailure("no organization with slug '\(slug)'")
        }
        return org
    }

    /// The org's users (not anonymous) with their subscription in the org, oldest first.
    static func members(orgID: UUID, on sql: any SQLDatabase) async throws -> [(userID: UUID, subscriptionID: UUID)] {
        try await sql.raw("""
            SELECT u.id AS user_id, s.id AS subscription_id FROM users u \
            JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id \
            WHERE u.org_id = \(bind: orgID) AND u.anonymous = \(bind: false) ORDER BY u.created_at, u.partner_id
            """).all().map { row in
            (userID: try row.decode(column: "user_id", as: UUID.self), subscriptionID: try row.decode(column: "subscription_id", as: UUID.self))
        }
    }

    /// Inserts `rows` with `insert` (one statement per chunk), `rowsPerTransaction` a transaction.
    static func insertInTransactions<T: Sendable>(
        _ rows: [T], store: PorticoStore,
        _ insert: @escaping @Sendable (any SQLDatabase, ArraySlice<T>) async throws -> Void
    ) async throws {
        var start = 0
        while start < rows.count {
            let batch = Array(rows[start..<min(start + rowsPerTransaction, rows.count)])
            try await store.write { db in
                for chunk in batch.chunks(of: rowsPerStatement) { try await insert(db.sql, chunk) }
            }
            start += rowsPerTransaction
        }
    }

    static func seconds(since start: Date) -> String {
        String(format: "%.1f s", Date().timeIntervalSince(start))
    }
}

/// Lines written to a file (created, or emptied, first).
private final class LineWriter {
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIFailure("cannot write \(path)")
        }
        self.handle = handle
    }

    func write(_ lines: [String]) throws {
        guard !lines.isEmpty else { return }
        try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    func close() throws { try handle.close() }
}
