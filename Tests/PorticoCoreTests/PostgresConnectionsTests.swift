import PostgresNIO
@testable import PorticoCore
import Testing

@Suite("The PostgreSQL hot paths' pool settings")
struct PostgresConnectionsTests {
    @Test("host, port, user, password and database carried over; search_path at connection start; the pool's size")
    func configuration() {
        let connection = PostgresConnection.Configuration(
            host: "db.internal", port: 6432, username: "portico", password: "secret", database: "portico", tls: .disable
        )
        let client = PostgresClient.Configuration(connection, searchPath: ["tenant_a", "public"], maximumConnections: 16)
        #expect(client.host == "db.internal")
        #expect(client.port == 6432)
        #expect(client.username == "portico")
        #expect(client.password == "secret")
        #expect(client.database == "portico")
        #expect(client.options.maximumConnections == 16)
        #expect(client.options.additionalStartupParameters.map { "\($0.0)=\($0.1)" } == ["search_path=tenant_a,public"])

        let plain = PostgresClient.Configuration(connection, searchPath: nil, maximumConnections: 2)
        #expect(plain.options.additionalStartupParameters.isEmpty)
        #expect(plain.options.maximumConnections == 2)

        let socket = PostgresConnection.Configuration(unixSocketPath: "/run/postgresql/.s.PGSQL.5432", username: "u", password: nil, database: nil)
        let overSocket = PostgresClient.Configuration(socket, searchPath: [], maximumConnections: 4)
        #expect(overSocket.unixSocketPath == "/run/postgresql/.s.PGSQL.5432")
        #expect(overSocket.host == nil)
        #expect(overSocket.options.additionalStartupParameters.isEmpty)
    }
}
