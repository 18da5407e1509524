// swift-tools-version:6.0
import PackageDescription

// Swift 6 language mode (tools 6.0 default) with strict concurrency everywhere.
let package = Package(
    name: "bookiji-core",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bookiji", targets: ["bookiji"]),
        .executable(name: "fake-stripe", targets: ["fake-stripe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // Already resolved for async-http-client; named here for STARTTLS in the SMTP client.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        // Metrics: the swift-metrics facade, exported in Prometheus' text format (no NIO in either).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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

        // SHA-256 (availability versions, fingerprints) from swift-crypto: BoringSSL, no NIO.
        .target(name: "BookijiCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Availability", dependencies: ["BookijiCore", "CSlotEngine"]),
        .target(name: "ICalendar", dependencies: ["BookijiCore", "CLibical"]),
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(name: "Gzip", dependencies: ["CZlib", "CFastGzip"]),
        // Every call to the outside world: the HTTP client and its retry policy, OAuth, the Google
        // and Graph connectors, ICS feeds; token sealing; email to an SMTP relay (over SwiftNIO,
        // STARTTLS with NIOSSL). The only module that imports AsyncHTTPClient and NIO, so
        // nothing on the responder's request path pays for them.
        .target(
            name: "Integrations",
            dependencies: [
                "BookijiCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // The metric catalogue (names, help, buckets) and what records them, through the
        // swift-metrics facade; the Prometheus registry and its text exposition. Light: CoreMetrics,
        // swift-prometheus and swift-atomics, no NIO, so the request path may record.
        .target(
            name: "Telemetry",
            dependencies: [
                "BookijiCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(name: "Store", dependencies: ["BookijiCore", "Postgres", "Telemetry"], plugins: ["EmbedMigrationsPlugin"]),
        // Writes the text of migrations/ into Store at build time (scripts/migrations-embed).
        .plugin(name: "EmbedMigrationsPlugin", capability: .buildTool()),
        .target(name: "Coordinator", dependencies: ["BookijiCore", "Availability", "ICalendar", "Store", "Telemetry"]),
        // The long-running process off the request path: expiry, outbox dispatch, leader-locked
        // jobs, and the jobs that call out (calendar syncs now): they fetch through Integrations
        // and write through the Coordinator and Store.
        .target(
            name: "Worker",
            dependencies: [
                "BookijiCore", "Coordinator", "Integrations", "Store", "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "FastCGI", dependencies: ["CFastCGI", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "PartnerAPI",
            dependencies: [
                "BookijiCore", "Availability", "Coordinator", "FastCGI", "Gzip", "Telemetry", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "bookiji",
            dependencies: [
                "BookijiCore", "Availability", "ICalendar", "Postgres", "Store", "Coordinator",
                "FastCGI", "PartnerAPI", "Integrations", "Worker", "Telemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The Swift runtime and Foundation linked in, in every configuration, so the binary
            // copied to a server needs only Debian's libraries (libpq, libfcgi, libical, zlib,
            // libstdc++), not the toolchain's folder. SwiftPM's --static-swift-stdlib would need
            // every module compiled again for it, and only for the builds that pass it. The
            // objects are compiled against the shared Foundation, whose modules do not name the
            // libraries the static one needs, so they are listed. lld, because gold prints glibc's
            // link-time "mktemp is dangerous" note about static Foundation as a warning.
            // Measured (2026-12-02): a debug link takes 1.0 s instead of 1.7 s with gold, a release
            // link 1.1-1.6 s instead of 1.4 s; the binary grows from 122 to 199 MB (debug) and
            // from 94 to 168 MB (release), mostly ICU's data.
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib", "-use-ld=lld",
                    "-lFoundationEssentials", "-lFoundationInternationalization", "-l_FoundationICU",
                    "-lCoreFoundation", "-l_FoundationCShims", "-l_FoundationCollections",
                ], .when(platforms: [.linux])),
            ],
            plugins: ["BuildInfoPlugin"]
        ),
        // Writes the git commit into `bookiji` at build time (scripts/build-info).
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        // A stateful stand-in for the subset of Stripe's API we call, in its own process, for tests
        // and local use. SwiftNIO directly (no framework); webhooks through AsyncHTTPClient.
        .executableTarget(
            name: "fake-stripe",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Helpers to start and stop processes (PostgreSQL, nginx, the responder, fakes) in tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BookijiCoreTests", dependencies: ["BookijiCore"]),
        .testTarget(name: "AvailabilityTests", dependencies: ["Availability", "BookijiCore", "CSlotEngine"]),
        .testTarget(name: "ICalendarTests", dependencies: ["ICalendar", "BookijiCore"], exclude: ["Fixtures"]),
        .testTarget(name: "IntegrationsTests", dependencies: ["Integrations", "BookijiCore", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Store", "BookijiCore", "TestSupport", "Coordinator", "Availability"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "PartnerAPITests", dependencies: ["PartnerAPI", "BookijiCore", "FastCGI", "Postgres", "Store", "Gzip", "CZlib", "Availability", "Coordinator"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "BookijiCore"]),
        .testTarget(name: "FakeStripeTests", dependencies: ["fake-stripe"]),
        .testTarget(name: "EndToEndTests", dependencies: ["BookijiCore", "Postgres", "Store", "TestSupport", "Gzip"]),
    ]
)
