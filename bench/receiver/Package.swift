// swift-tools-version:6.0
import PackageDescription

// The benchmark's webhook receiver (bench/run, scenario "webhooks"): a separate package
// so the server's build never depends on it.
let package = Package(
    name: "webhook-sink",
    products: [
        .executable(name: "webhook-sink", targets: ["webhook-sink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
    ],
    targets: [
        .executableTarget(
            name: "webhook-sink",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
