// swift-tools-version:6.0
import PackageDescription

// Benchmark build of `ics expand`: its source targets are symlinks to ../../Sources (the command
// itself to Sources/bookiji/IcsExpand.swift), so the benchmark measures exactly the ICalendar
// module and the command line the product ships.
let package = Package(
    name: "ics-benchmark",
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibical", pkgConfig: "libical", providers: [.apt(["libical-dev"])]),
        .target(name: "BookijiCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "ICalendar", dependencies: ["BookijiCore", "CLibical"]),
        .executableTarget(
            name: "ics-expand",
            dependencies: ["ICalendar", "BookijiCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
    ]
)
