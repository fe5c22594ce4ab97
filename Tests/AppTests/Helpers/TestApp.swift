@testable import App
import FluentKit
import Foundation
import PorticoCore
import NIOCore
import SQLKit
import Testing
import Vapor
import VaporTesting

/// A migrated Portico app on a database of its own: a fresh SQLite file, or a fresh
/// schema on the PostgreSQL server of `TEST_DATABASE_URL` when it is set.
struct TestApp {
    let app: Application
    let clock: FixedClock
    var portico: PorticoServices { app.portico }
    var store: PorticoStore { app.portico.store }
    var sql: any SQLDatabase { app.portico.store.sql }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs `body` with a fresh app, then tears it and its database down. On
    /// PostgreSQL at most `PostgresGate.width` apps run at once (Swift Testing starts every
    /// test together; their pools would pass the server's connection limit).
    static func run(
        clock: FixedClock = FixedClock(),
        adjust: (inout PorticoConfig) -> Void = { _ in },
        prepare: (Application) -> Void = { _ in },
        _ body: (TestApp) async throws -> Void
    ) async throws {
        guard postgresURL != nil else { return try await runApp(clock: clock, adjust: adjust, prepare: prepare, body) }
        await PostgresGate.shared.enter()
        do {
            try await runApp(clock: clock, adjust: adjust, prepare: prepare, body)
        } catch {
            await PostgresGate.shared.leave()
            throw error
        }
        await PostgresGate.shared.leave()
    }

    private static func runApp(
        clock: FixedClock = FixedClock(),
        adjust: (inout PorticoConfig) -> Void = { _ in },
        prepare: (Application) -> Void = { _ in },
        _ body: (TestApp) async throws -> Void
    ) async throws {
        let name = "t_" + Secrets.alphanumeric(count: 12)
        var config = PorticoConfig()
        config.logLevel = .warning
        config.publicURL = "http://127.0.0.1:8080"
        var sqlitePath: String?
        if let url = postgresURL {
            config.storage = .postgres(url: url, searchPath: name)
            // Many test apps run at once: keep their pools small, so the suite fits the
            // server's connection limit.
            config.postgresConnectionsPerEventLoop = 3
        } else {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-\(name).sqlite").path
            sqlitePath = path
            config.storage = .sqliteFile(path)
        }
        adjust(&config)

        let app = try await Application.make(.testing)
        prepare(app)
        do {
            try await configure(app, config: config, clock: clock)
            if postgresURL != nil {
                try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: name)").run()
            }
            try await migrate(app)
            try await body(TestApp(app: app, clock: clock))
        } catch {
            try? await cleanUp(app: app, schema: postgresURL != nil ? name : nil, sqlitePath: sqlitePath)
            throw error
        }
        try await cleanUp(app: app, schema: postgresURL != nil ? name : nil, sqlitePath: sqlitePath)
    }

    private static func cleanUp(app: Application, schema: String?, sqlitePath: String?) async throws {
        if let schema {
            try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
        }
        try await app.asyncShutdown()
        if let sqlitePath {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) }
        }
    }

    // MARK: - Fixtures

    /// An organization with an API key; returns the org and the key in clear.
    @discardableResult
    func org(
        _ slug: String, parent: String? = nil, anonymous: Bool = false, returnHosts: [String] = []
    ) async throws -> (org: Organization, key: String) {
        let org = try await Organizations.create(
            slug: slug, name: slug.capitalized, parentSlug: parent,
            settings: .init(anonymousUsersEnabled: anonymous, allowedReturnHosts: returnHosts),
            actor: "test", now: clock.now(), store: store
        )
        let (key, _) = try await Credentials.createAPIKey(org: org, name: "test", createdBy: "test", now: clock.now(), store: store)
        return (org, key)
    }

    // MARK: - Requests

    /// A request through the in-memory tester, which gives it no client address; with
    /// `from`, one from that address, handed to the app's whole responder (middleware,
    /// routes) as the server would. Redirects are not followed.
    func send(
        _ method: HTTPMethod, _ path: String, key: String? = nil, body: String? = nil,
        headers: [(String, String)] = [], from ip: String? = nil
    ) async throws -> TestResponse {
        var httpHeaders = HTTPHeaders()
        if let key { httpHeaders.add(name: .authorization, value: "Bearer \(key)") }
        if body != nil { httpHeaders.contentType = .json }
        // A header named once replaces the default; named again, it is sent twice.
        var named: Set<String> = []
        for (name, value) in headers {
            if named.insert(name.lowercased()).inserted { httpHeaders.replaceOrAdd(name: name, value: value) } else { httpHeaders.add(name: name, value: value) }
        }
        if let ip {
            let request = Request(
                application: app, method: method, url: URI(string: path), headers: httpHeaders,
                collectedBody: body.map { ByteBuffer(string: $0) }, remoteAddress: try SocketAddress(ipAddress: ip, port: 40_000),
                logger: app.logger, on: app.eventLoopGroup.next()
            )
            let response = try await app.responder.respond(to: request).get()
            let bytes = response.body.buffer.map { Data($0.readableBytesView) } ?? Data((response.body.string ?? "").utf8)
            return TestResponse(status: response.status, headers: response.headers, body: bytes)
        }
        let response = try await app.testing().sendRequest(
            method, path, headers: httpHeaders, body: body.map { ByteBuffer(string: $0) }
        )
        return TestResponse(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
    }

    func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        let row = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table) WHERE \(unsafeRaw: condition)").first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The event types of the org's outbox, in sequence order.
    func eventTypes(org: Organization) async throws -> [String] {
        try await Event.query(on: store.db).filter(\.$orgID == org.requireID()).sort(\.$sequence).all().map(\.type)
    }
}

/// A counting gate: at most `width` holders at once, the rest wait in order.
actor PostgresGate {
    static let shared = PostgresGate(width: 16)
    let width: Int
    private var inside = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = width }

    func enter() async {
        if inside < width {
            inside += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            inside -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A response with its body parsed as JSON, for checks.
struct TestResponse {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    var json: JSON { JSON((try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) ?? NSNull()) }

    /// The `code` of an error object.
    var errorCode: String? { json["error"]["code"].string }
}

/// Just enough of a JSON value to read responses in tests.
struct JSON: @unchecked Sendable {
    let value: Any
    init(_ value: Any) { self.value = value }

    subscript(key: String) -> JSON { JSON((value as? [String: Any])?[key] ?? NSNull()) }
    subscript(index: Int) -> JSON {
        guard let array = value as? [Any], array.indices.contains(index) else { return JSON(NSNull()) }
        return JSON(array[index])
    }

    var string: String? { value as? String }
    var int: Int? { (value as? NSNumber).map(\.intValue) }
    var bool: Bool? { (value as? NSNumber).map(\.boolValue) }
    var array: [JSON] { ((value as? [Any]) ?? []).map(JSON.init) }
    var isNull: Bool { value is NSNull }
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }
    var date: Date? { string.flatMap(RFC3339.date(from:)) }
}
