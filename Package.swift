// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "portico",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "portico", targets: ["portico"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // A C shim for the one SQLite call Swift cannot make (variadic sqlite3_db_config).
        .target(name: "CPorticoSQLite"),
        // The domain: models, migrations, tokens, events, rules. No HTTP.
        .target(
            name: "PorticoCore",
            dependencies: [
                "CPorticoSQLite",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                // For the OpenID Connect provider's ID tokens and JWKS (RS256, RFC 7638 thumbprints).
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // For the SQLite C API of the very SQLite library SQLiteNIO compiles in (SQLiteHotPathStore).
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                // For prepared statements on PostgreSQL's hot paths (PostgresHotPathStore).
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            resources: [.copy("Resources/curriculum.json")]
        ),
        // Everything that speaks HTTP or a terminal.
        .target(
            name: "App",
            dependencies: [
                "PorticoCore",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // Swift's tasks on NIO's event loops (EventLoopGlobalExecutor).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Public")]
        ),
        .executableTarget(
            name: "portico",
            dependencies: ["App", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The benchmark's bulk seeding (bench/run): its own executable, not a product, so
        // the `portico` binary holds no benchmark code.
        .executableTarget(
            name: "portico-bench-seed",
            dependencies: [
                "App", "PorticoCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            path: "Sources/PorticoBenchSeed"
        ),
        .testTarget(
            name: "PorticoCoreTests",
            dependencies: ["PorticoCore"]
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App",
                "PorticoCore",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
