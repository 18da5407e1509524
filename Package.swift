// swift-tools-version:6.0
import PackageDescription

// Swift 6 language mode (tools 6.0 default) with strict concurrency everywhere.
let package = Package(
    name: "bookiji-core",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bookiji", targets: ["bookiji"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C libraries through the system, each wrapped by exactly one Swift module.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibical", pkgConfig: "libical", providers: [.apt(["libical-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CSlotEngine", cSettings: [.unsafeFlags(["-O3"])]),
        // One-pass gzip for answers sent once (fixed Huffman codes, greedy matches; CRC by
        // carry-less multiplication, zlib for what is left).
        .target(name: "CFastGzip", cSettings: [.unsafeFlags(["-O3"])], linkerSettings: [.linkedLibrary("z")]),

        // SHA-256 blocks on the processor's SHA extensions where it has them (plain C otherwise).
        .target(name: "CSHA256", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "BookijiCore", dependencies: ["CSHA256"]),
        .target(name: "Availability", dependencies: ["BookijiCore", "CSlotEngine"]),
        .target(name: "ICalendar", dependencies: ["BookijiCore", "CLibical"]),
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(name: "Gzip", dependencies: ["CZlib", "CFastGzip"]),
        // Google and Microsoft free/busy over HTTP; run from the CLI now, from the worker later.
        // Kept apart so only the executable pays for async-http-client.
        .target(
            name: "CalendarConnectors",
            dependencies: ["BookijiCore", .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        .target(name: "Store", dependencies: ["BookijiCore", "Postgres"]),
        .target(name: "Coordinator", dependencies: ["BookijiCore", "Availability", "ICalendar", "Store", "CalendarConnectors"]),
        // The long-running process off the request path: expiry, outbox dispatch, leader-locked jobs.
        .target(
            name: "Worker",
            dependencies: [
                "BookijiCore", "Coordinator", "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "FastCGI", dependencies: ["CFastCGI"]),
        .target(name: "PartnerAPI", dependencies: ["BookijiCore", "Availability", "Coordinator", "Store", "Postgres", "FastCGI", "Gzip"]),
        .executableTarget(
            name: "bookiji",
            dependencies: [
                "BookijiCore", "Availability", "ICalendar", "Postgres", "Store", "Coordinator",
                "FastCGI", "PartnerAPI", "CalendarConnectors", "Worker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Helpers to start and stop processes (PostgreSQL, nginx, the responder, fakes) in tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BookijiCoreTests", dependencies: ["BookijiCore"]),
        .testTarget(name: "AvailabilityTests", dependencies: ["Availability", "BookijiCore", "CSlotEngine", "CSHA256"]),
        .testTarget(name: "ICalendarTests", dependencies: ["ICalendar", "BookijiCore"], exclude: ["Fixtures"]),
        .testTarget(name: "CalendarConnectorsTests", dependencies: ["CalendarConnectors", "BookijiCore", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Store", "BookijiCore", "TestSupport", "Coordinator", "Availability"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "PartnerAPITests", dependencies: ["PartnerAPI", "BookijiCore", "FastCGI", "Postgres", "Store", "Gzip", "CZlib", "Availability", "Coordinator"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker"]),
        .testTarget(name: "EndToEndTests", dependencies: ["BookijiCore", "Postgres", "Store", "TestSupport", "Gzip"]),
    ]
)
