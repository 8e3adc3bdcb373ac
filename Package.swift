// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Kith",
    // Linux only: built and tested on Debian with Swift 6; no other platform is claimed.
    products: [
        .library(name: "KithVault", targets: ["KithVault"]),
        .executable(name: "kith", targets: ["kith"]),
        .executable(name: "kith-bench", targets: ["kith-bench"]),
        .executable(name: "kith-fuzz", targets: ["kith-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // RFC 4180 parsing for `kith import`; strict about stray quotes, which it reports.
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // The shared engine: a vault kept in PostgreSQL (KithPostgres).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The local web interface (KithWeb, `kith serve`): an HTTP/1.1 server on NIO,
        // which postgres-nio already brings; only the web module and the CLI link it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
        // Raw libsodium loops that kith-bench measures Kith against. Apart from
        // KithCrypto so the production crypto module holds only what Kith runs;
        // the one other module allowed to import CSodium, and only the bench links it.
        .target(name: "KithBaselines", dependencies: ["CSodium", "KithCrypto"]),
        .target(name: "KithLog", dependencies: ["KithCrypto"]),
        .target(
            name: "KithVault",
            dependencies: [
                "KithCrypto", "KithLog",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ]
        ),
        // The embedded engine: a vault in one SQLite file (GRDB), its attachments in a folder beside it.
        .target(
            name: "KithSQLite",
            dependencies: ["KithVault", "KithCrypto", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Picks the engine from --vault (a postgres:// address or a file path): the one
        // module that knows every engine, so the CLI and the bench never name one.
        .target(name: "KithEngines", dependencies: ["KithVault", "KithSQLite", "KithPostgres"]),
        // An in-memory engine and helpers for tests (as Hummingbird ships HummingbirdTesting).
        .target(name: "KithVaultTesting", dependencies: ["KithVault", "KithCrypto"]),
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
        // The local web interface: pages, sessions and the catalog of words in
        // Arabic and English are plain Swift over the library (testable without a
        // socket); Hummingbird only carries requests to them.
        .target(
            name: "KithWeb",
            dependencies: [
                "KithVault", "KithCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Every decoder of outside bytes behind one check each, for libFuzzer
        // (kith-fuzz, `make fuzz`) and for the smoke run in the tests; apart
        // so neither the library nor the CLI carries the harness.
        .target(name: "KithFuzzTargets", dependencies: ["KithVault", "KithLog"]),
        // libFuzzer's entry point when built by `make fuzz` (-sanitize=fuzzer,address);
        // otherwise a replayer of saved inputs: `kith-fuzz TARGET FILE...`.
        .executableTarget(name: "kith-fuzz", dependencies: ["KithFuzzTargets"]),
        // Two fixed-signature wrappers of prctl(2), which is variadic and so not
        // callable from Swift: the CLI and the agent start with no core dumps.
        .target(name: "CHardening"),
        .executableTarget(
            name: "kith",
            dependencies: [
                "KithVault", "KithCrypto", "KithLog", "KithEngines", "KithWeb", "CHardening",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "kith-bench",
            dependencies: [
                "KithVault", "KithCrypto", "KithLog", "KithSQLite", "KithEngines", "KithBaselines",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The ingest and read baselines are raw SQLite through GRDB on the same file sizes.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "KithCryptoTests",
            dependencies: ["KithCrypto"],
            resources: [.copy("Vectors")]
        ),
        // Drives the built `kith` binary as a user would (and, through Browser/drive.py, a real
        // browser; through CrashPoints/crashpoint.c, preloaded, kills at each commit).
        .testTarget(
            name: "KithCLITests",
            dependencies: [
                "KithVault", "KithCrypto", "KithLog", "KithSQLite", "KithPostgres", "KithEngines",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Browser", "CrashPoints"]
        ),
        // Replays the fuzz corpus and regressions, and a short mutation run, through every target.
        .testTarget(name: "KithFuzzTests", dependencies: ["KithFuzzTargets"]),
        .testTarget(name: "KithLogTests", dependencies: ["KithLog", "KithCrypto"]),
        .testTarget(
            name: "KithVaultTests",
            // The store conformance suite runs against every engine.
            dependencies: [
                "KithVault", "KithCrypto", "KithLog", "KithSQLite", "KithPostgres", "KithEngines", "KithVaultTesting", "KithWeb",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
