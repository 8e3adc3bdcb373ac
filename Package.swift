// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Kith",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "KithVault", targets: ["KithVault"]),
        .executable(name: "kith", targets: ["kith"]),
        .executable(name: "kith-bench", targets: ["kith-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // RFC 4180 parsing for `kith import`; strict about stray quotes, which it reports.
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // The shared engine: a vault kept in PostgreSQL (KithPostgres).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libsodium through pkg-config; the module map is the only thing here.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // The only module that imports CSodium: safe wrappers, no C type in its API.
        .target(name: "KithCrypto", dependencies: ["CSodium"]),
        .target(name: "KithLog", dependencies: ["KithCrypto"]),
        .target(
            name: "KithVault",
            dependencies: [
                "KithCrypto", "KithLog",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ]
        ),
        // The PostgreSQL engine, apart from KithVault so the domain module
        // carries no network stack; only the CLI, the bench and tests link it.
        .target(
            name: "KithPostgres",
            dependencies: [
                "KithVault", "KithCrypto",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "kith",
            dependencies: [
                "KithVault", "KithCrypto", "KithLog", "KithPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The ingest and read baselines are raw SQLite through GRDB on the same file sizes.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "kith-bench",
            dependencies: [
                "KithVault", "KithCrypto", "KithLog", "KithPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "KithCryptoTests",
            dependencies: ["KithCrypto"],
            resources: [.copy("Vectors")]
        ),
        // Drives the built `kith` binary as a user would.
        .testTarget(
            name: "KithCLITests",
            dependencies: ["KithVault", "KithCrypto", "KithPostgres", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "KithLogTests", dependencies: ["KithLog", "KithCrypto"]),
        .testTarget(
            name: "KithVaultTests",
            // KithPostgres: the store conformance suite runs against both engines.
            dependencies: ["KithVault", "KithCrypto", "KithLog", "KithPostgres", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
