import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import PorticoCore
import SQLKit
import Vapor

/// The one place that picks the storage engine and wires Portico together: database,
/// middleware, services and routes. The server, the commands and the tests all call it.
public func configure(
    _ app: Application,
    config: PorticoConfig,
    clock: any PorticoClock = SystemClock(),
    runBackgroundJobs: Bool = false,
    runWebhookWorker: Bool = true,
    webhookResolver: any HostResolver = SystemHostResolver()
) async throws {
    // Vapor traces every decoded request part (headers with keys, bodies with
    // passwords): its logger stops at debug even when LOG_LEVEL=trace (SPEC §9).
    app.logger.logLevel = max(config.logLevel, .debug)

    // Storage. SQL is never logged with its bound values: SQLite logs none, and
    // PostgreSQL's level (trace) is below what any of Portico's loggers let through.
    let sqlitePath: String?
    switch config.storage {
    case .sqliteFile(let path):
        sqlitePath = path
    case .sqliteMemory:
        // The same SQLite store as for a file, on a private database in memory (a file
        // on tmpfs where there is one), removed at shutdown.
        let path = PrivateSQLiteFile.make()
        app.lifecycle.use(PrivateSQLiteFile(path: path))
        sqlitePath = path
    case .postgres:
        sqlitePath = nil
    }
    switch config.storage {
    case .sqliteFile, .sqliteMemory:
        app.databases.use(.sqlite(.file(sqlitePath!), sqlLogLevel: nil), as: .sqlite)
    case .postgres(let url, let searchPath):
        var pg = try SQLPostgresConfiguration(url: url)
        if let searchPath { pg.searchPath = [searchPath] }
        app.databases.use(
            .postgres(
                configuration: pg, maxConnectionsPerEventLoop: config.postgresConnectionsPerEventLoop,
                connectionPoolTimeout: .seconds(30), sqlLogLevel: .trace
            ),
            as: .psql
        )
    }
    if config.storage.engine == .sqlite { try await tuneSQLite(app) }
    registerMigrations(app)

    // The database layers log their queries with bound values (keys, token hashes,
    // emails) at debug and trace; their logger never goes below info (SPEC §9).
    var databaseLogger = app.logger
    databaseLogger.logLevel = max(config.logLevel, .info)
    // One `Database` per event loop, made here once: `databases.database` takes a lock and
    // builds a new one on every call (3 % of the server's CPU per PostgreSQL create). They
    // outlive shutdown: a request still running then gets its closed pool's error (a 500
    // to that request), not a crash.
    let databases = DatabasesByLoop(app.eventLoopGroup.makeIterator().map { loop in
        (loop, app.databases.database(logger: databaseLogger, on: loop)!)
    })
    let loops = app.eventLoopGroup
    let store = PorticoStore(engine: config.storage.engine) { databases.on(loops.any()) }
    let metrics = PorticoMetrics()
    let curriculum = try config.curriculumPath.map { try Curriculum.load(from: URL(fileURLWithPath: $0)) } ?? Curriculum.bundled()
    app.portico = PorticoServices(
        config: config,
        store: store,
        hotPaths: sqlitePath.map { SQLiteHotPathStore(path: $0, store: store, onRestart: { metrics.recordWALRestart(hold: $0) }) }
            ?? PostgresHotPathStore(store: store),
        clock: clock,
        curriculum: curriculum,
        rateLimiter: config.rateLimit.map { RateLimiter(limit: $0) },
        failureLimiter: config.failureLimit.map { RateLimiter(limit: $0) },
        metrics: metrics,
        keyUse: KeyUseThrottle(),
        launchKeys: LaunchKeys(configuredSecret: config.secret, store: store),
        oidcKeys: OIDCKeys(configuredSecret: config.secret, store: store, clock: { clock.now() }, logger: app.logger),
        loginThrottle: LoginThrottle(store: store),
        passwords: BcryptVerifier(threads: config.passwordCheckThreads, queueLimit: config.passwordCheckQueue),
        webhookResolver: webhookResolver,
        webhookClients: WebhookClients(eventLoopGroup: app.eventLoopGroup, timeout: config.webhookTimeout)
    )
    app.lifecycle.use(WebhookClientsShutdown())

    // HTTP
    app.routes.defaultMaxBodySize = ByteCount(value: JSONBody.maxBodyBytes)
    app.middleware = Middlewares()
    app.middleware.use(HeaderGuardMiddleware())
    app.middleware.use(BodyDeadlineMiddleware(deadline: .seconds(config.clientTimeout)))
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(MetricsMiddleware())
    app.middleware.use(RequestLogMiddleware())
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(PorticoErrorMiddleware())
    app.middleware.use(InputGuardMiddleware())
    // A connection that sends nothing (or receives nothing) for 30 s is closed (SPEC §9).
    app.http.server.configuration.idleTimeout = .seconds(config.clientTimeout)
    try routes(app)

    if runBackgroundJobs {
        app.lifecycle.use(BackgroundJobs(webhookWorker: runWebhookWorker))
    }
}

/// The application's database on each of its event loops.
struct DatabasesByLoop: Sendable {
    private let byLoop: [ObjectIdentifier: any Database]
    private let first: any Database

    init(_ databases: [(any EventLoop, any Database)]) {
        byLoop = Dictionary(databases.map { (ObjectIdentifier($0.0), $0.1) }, uniquingKeysWith: { first, _ in first })
        first = databases[0].1
    }

    func on(_ loop: any EventLoop) -> any Database {
        byLoop[ObjectIdentifier(loop)] ?? first
    }
}

/// `DATABASE_URL=sqlite::memory:`: a database file of this process only, in memory
/// (`/dev/shm`) where the system has it, deleted with its WAL at shutdown.
struct PrivateSQLiteFile: LifecycleHandler {
    let path: String

    static func make() -> String {
        var isDirectory: ObjCBool = false
        let shm = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.isWritableFile(atPath: "/dev/shm")
        let directory = shm ? "/dev/shm" : NSTemporaryDirectory()
        return (directory as NSString).appendingPathComponent("portico-memory-\(Secrets.hex(byteCount: 8)).sqlite")
    }

    func shutdown(_ application: Application) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// Where the bundled static files are (docs page, stylesheet).
func publicDirectory() -> String {
    (Bundle.module.resourceURL?.appendingPathComponent("Public").path ?? "Public") + "/"
}

/// WAL (readers never wait for the writer), `synchronous=NORMAL` (durable at each
/// checkpoint, no fsync per commit) and a busy timeout instead of SQLiteNIO's
/// spin-forever busy handler, on the connection of every event loop.
private func tuneSQLite(_ app: Application) async throws {
    try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode=WAL").run()
    for eventLoop in app.eventLoopGroup.makeIterator() {
        let db = app.databases.database(logger: app.logger, on: eventLoop)! as! any SQLDatabase
        try await db.raw("PRAGMA synchronous=NORMAL").run()
        try await db.raw("PRAGMA busy_timeout=5000").run()
    }
}
