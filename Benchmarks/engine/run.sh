#!/usr/bin/env bash
# Engine-alone benchmark. Builds Benchmarks/engine in release inside a scratch package whose
# targets are symlinks into this checkout (the root Package.swift has no benchmark product),
# then runs it. Usage: Benchmarks/engine/run.sh [engine-iterations]   (default 2000)
# BENCH_SCRATCH overrides the scratch folder (default: $TMPDIR or /tmp).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scratch="${BENCH_SCRATCH:-${TMPDIR:-/tmp}/bookiji-engine-bench}"

mkdir -p "$scratch/Sources/EngineBenchmark"
for target in BookijiCore CSlotEngine Availability; do
  ln -sfn "$root/Sources/$target" "$scratch/Sources/$target"
done
# The benchmark's own file plus the test suite's oracle and RNG, so both sides see the same inputs,
# and the Partner API's slot writer, so the answer is rendered by the code that renders it.
ln -sfn "$here/main.swift" "$scratch/Sources/EngineBenchmark/main.swift"
for file in SlotArrayJSON JSONWriter RFC3339Bytes; do
  ln -sfn "$root/Sources/PartnerAPI/JSON/$file.swift" "$scratch/Sources/EngineBenchmark/$file.swift"
done
ln -sfn "$root/Tests/AvailabilityTests/Support/NaiveAvailability.swift" "$scratch/Sources/EngineBenchmark/NaiveAvailability.swift"
ln -sfn "$root/Tests/AvailabilityTests/Support/SplitMix64.swift" "$scratch/Sources/EngineBenchmark/SplitMix64.swift"

cat > "$scratch/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bookiji-engine-bench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "https://github.com/apple/swift-crypto", from: "4.5.2")],
    targets: [
        .target(name: "CSlotEngine", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "BookijiCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Availability", dependencies: ["BookijiCore", "CSlotEngine"]),
        .executableTarget(name: "EngineBenchmark", dependencies: ["Availability", "BookijiCore"]),
    ]
)
SWIFT

swift build -c release --package-path "$scratch" 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
exec "$scratch/.build/release/EngineBenchmark" "$@"
