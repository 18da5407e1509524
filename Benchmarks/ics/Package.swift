// swift-tools-version:6.0
import PackageDescription

// Benchmark build of `ics expand`: its source targets are symlinks to ../../Sources, so the
// benchmark measures exactly the ICalendar module the product ships.
let package = Package(
    name: "ics-benchmark",
    targets: [
        .systemLibrary(name: "CLibical", pkgConfig: "libical", providers: [.apt(["libical-dev"])]),
        .target(name: "CSHA256", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "BookijiCore", dependencies: ["CSHA256"]),
        .target(name: "ICalendar", dependencies: ["BookijiCore", "CLibical"]),
        .executableTarget(name: "ics-expand", dependencies: ["ICalendar"]),
    ]
)
