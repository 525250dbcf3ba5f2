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
        .library(name: "OutpostStore", targets: ["OutpostStore"]),
        .library(name: "OutpostTesting", targets: ["OutpostTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // MARK: Pure values (no I/O)
        .target(name: "OutpostCore", swiftSettings: swiftSettings),

        // MARK: Edge node
        .target(
            name: "OutpostStore",
            dependencies: [
                "OutpostCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The `outpost` executable (thin: parse, call a library, map errors)
        .executableTarget(
            name: "OutpostCLI",
            dependencies: [
                "OutpostCore",
                "OutpostStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Test support
        .target(
            name: "OutpostTesting",
            dependencies: [
                "OutpostCore", "OutpostStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests, one target per library target
        .testTarget(
            name: "OutpostCoreTests",
            dependencies: ["OutpostCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostStoreTests",
            dependencies: [
                "OutpostStore", "OutpostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutpostCLITests",
            dependencies: [
                "OutpostCLI", "OutpostStore", "OutpostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
