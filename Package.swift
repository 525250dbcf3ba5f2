// swift-tools-version:6.2
import PackageDescription

// Applied to every target, as swift-log and Hummingbird do.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "outpost",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "outpost", targets: ["OutpostCLI"]),
        .library(name: "OutpostCore", targets: ["OutpostCore"]),
        .library(name: "OutpostMerge", targets: ["OutpostMerge"]),
        .library(name: "OutpostStore", targets: ["OutpostStore"]),
        .library(name: "OutpostProtocol", targets: ["OutpostProtocol"]),
        .library(name: "OutpostHub", targets: ["OutpostHub"]),
        .library(name: "OutpostSync", targets: ["OutpostSync"]),
        .library(name: "OutpostBlobs", targets: ["OutpostBlobs"]),
        .library(name: "OutpostWorkspace", targets: ["OutpostWorkspace"]),
        .library(name: "OutpostRunner", targets: ["OutpostRunner"]),
        .library(name: "OutpostTesting", targets: ["OutpostTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: Pure values (no I/O)
        .target(name: "OutpostCore", swiftSettings: swiftSettings),
        .target(name: "OutpostMerge", dependencies: ["OutpostCore"], swiftSettings: swiftSettings),

        // MARK: Processes and sockets the executable, the workspace and the tests share
        .target(name: "OutpostSystem", dependencies: ["OutpostCore"], swiftSettings: swiftSettings),

        // MARK: Edge node
        .target(
            name: "OutpostStore",
            dependencies: [
                "OutpostCore",
                "OutpostMerge",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "OutpostBlobs",
            dependencies: [
                "OutpostCore", "OutpostStore", "OutpostProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "OutpostSync",
            dependencies: [
                "OutpostCore", "OutpostMerge", "OutpostStore", "OutpostProtocol", "OutpostBlobs", "OutpostSystem",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The processing layer: workflows that run on the node
        .target(
            name: "OutpostRunner",
            dependencies: [
                "OutpostCore", "OutpostStore", "OutpostBlobs", "OutpostSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "OutpostWorkspace",
            dependencies: [
                "OutpostCore", "OutpostMerge", "OutpostStore", "OutpostSystem", "OutpostRunner",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Wire types shared by node and hub (no I/O)
        .target(
            name: "OutpostProtocol",
            dependencies: [
                "OutpostCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Hub
        .target(
            name: "OutpostHub",
            dependencies: [
                "OutpostCore", "OutpostProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Site hub: the upstream side of a hub with an upstream (the node engine's parts)
        .target(
            name: "OutpostRelay",
            dependencies: [
                "OutpostCore", "OutpostMerge", "OutpostStore", "OutpostProtocol", "OutpostHub", "OutpostSync",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks (`outpost bench`); internal to the package, not a product
        .target(
            name: "OutpostBench",
            dependencies: [
                "OutpostCore", "OutpostMerge", "OutpostStore", "OutpostProtocol", "OutpostHub", "OutpostSync",
                "OutpostBlobs", "OutpostWorkspace", "OutpostSystem", "OutpostRunner",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The `outpost` executable (thin: parse, call a library, map errors)
        .executableTarget(
            name: "OutpostCLI",
            dependencies: [
                "OutpostBench",
                "OutpostCore",
                "OutpostSystem",
                "OutpostMerge",
                "OutpostStore",
                "OutpostHub",
                "OutpostRelay",
                "OutpostSync",
                "OutpostBlobs",
                "OutpostWorkspace",
                "OutpostRunner",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Test support
        .target(
            name: "OutpostTesting",
            dependencies: [
                "OutpostCore", "OutpostStore", "OutpostProtocol", "OutpostHub", "OutpostSync", "OutpostSystem",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests, one target per library target
        .testTarget(
            name: "OutpostSystemTests",
            dependencies: ["OutpostSystem", "OutpostCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostCoreTests",
            dependencies: ["OutpostCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostMergeTests",
            dependencies: [
                "OutpostMerge",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostBenchTests",
            dependencies: ["OutpostBench", "OutpostMerge"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostStoreTests",
            dependencies: [
                "OutpostStore", "OutpostMerge", "OutpostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostBlobsTests",
            dependencies: [
                "OutpostBlobs", "OutpostStore", "OutpostProtocol", "OutpostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostProtocolTests",
            dependencies: ["OutpostProtocol"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostHubTests",
            dependencies: [
                "OutpostHub", "OutpostProtocol", "OutpostTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostRelayTests",
            dependencies: [
                "OutpostRelay", "OutpostSync", "OutpostStore", "OutpostMerge", "OutpostHub", "OutpostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostSyncTests",
            dependencies: [
                "OutpostSync", "OutpostStore", "OutpostMerge", "OutpostProtocol", "OutpostTesting", "OutpostBlobs",
                "OutpostSystem", "OutpostRunner",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostRunnerTests",
            dependencies: [
                "OutpostRunner", "OutpostStore", "OutpostBlobs", "OutpostCore", "OutpostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostWorkspaceTests",
            dependencies: [
                "OutpostCLI", "OutpostWorkspace", "OutpostStore", "OutpostMerge", "OutpostSystem", "OutpostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostCLITests",
            dependencies: [
                "OutpostCLI", "OutpostMerge", "OutpostStore", "OutpostTesting", "OutpostSystem",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
