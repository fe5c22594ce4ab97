import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The hot paths' own pool of PostgreSQL connections: PostgresNIO's `PostgresClient`,
/// whose connections are leased from async code directly. Fluent's pool hands out a
/// connection through event-loop futures, and each statement then hopped from the
/// request's task to an event loop, to a new task and back (README, "At scale").
/// Fluent keeps its own pool for everything else.
public final class PostgresConnections: Sendable {
    let client: PostgresClient
    private let running: Task<Void, Never>

    /// Starts the pool; `close()` ends it.
    public init(configuration: PostgresClient.Configuration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        let client = PostgresClient(configuration: configuration, eventLoopGroup: eventLoopGroup, backgroundLogger: logger)
        self.client = client
        running = Task { await client.run() }
    }

    /// Closes every connection; statements after this fail.
    public func close() async {
        running.cancel()
        await running.value
    }
}

extension PostgresClient.Configuration {
    /// The client's settings from a connection's (as `DATABASE_URL` gives them), with
    /// `search_path` set at connection start and at most `maximumConnections` open.
    public init(_ connection: PostgresConnection.Configuration, searchPath: [String]?, maximumConnections: Int) {
        let tls: TLS =
            !connection.tls.isAllowed ? .disable
            : connection.tls.isEnforced ? .require(.makeClientConfiguration()) : .prefer(.makeClientConfiguration())
        if let socket = connection.unixSocketPath {
            self.init(unixSocketPath: socket, username: connection.username, password: connection.password, database: connection.database)
        } else {
            self.init(
                host: connection.host ?? "localhost", port: connection.port ?? 5432, username: connection.username,
                password: connection.password, database: connection.database, tls: tls
            )
        }
        options.tlsServerName = connection.options.tlsServerName
        if let searchPath, !searchPath.isEmpty {
            options.additionalStartupParameters.append(("search_path", searchPath.joined(separator: ",")))
        }
        options.maximumConnections = maximumConnections
    }
}
