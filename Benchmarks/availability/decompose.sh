#!/usr/bin/env bash
# Benchmarks/availability/decompose.sh — where a computed (uncached) answer's time goes, found by
# taking its parts away one at a time.
#
#   Benchmarks/availability/decompose.sh [--duration S]
#
#   --duration S     seconds of measurement per target, passed to run.sh (default 10)
#
# Copies this checkout's Package.swift, Sources and Tests (the package names its test targets) to .build-decompose/src, applies
# decompose.patch there and builds it in release (.build-decompose/build; kept, so later runs
# build incrementally). The patch adds one switch, the environment variable BOOKIJI_DECOMPOSE,
# which makes a computed answer stop early and return a ping-sized JSON:
#   1  after the availability read (one statement, as in a real answer)
#   2  after the read and the engine (no JSON rendered, nothing gzipped)
#   3  after the JSON is rendered and gzipped, without sending it
#   0  never (the real answer; the patch changes nothing)
# Then runs run.sh once per mode with that binary and prints, for each, ping and the uncached
# target as run.sh measured them in the same run: req/s, CPU µs per request of responder,
# PostgreSQL, nginx and wrk, context switches per request, and uncached/ping.
# The early returns apply only with the cache off, so only the uncached targets are cut short.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench-decompose"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd "$here/../.." && pwd -P)"

duration=10
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        *) bk_die "unknown option $1 (see the header of $0)" ;;
    esac
done
bk_require_swift

work="$root/.build-decompose"
mkdir -p "$work/src"
# cp -p keeps the times of unchanged files, so the build is incremental after the first run.
rm -rf "$work/src/Sources" "$work/src/Tests"
cp -p "$root/Package.swift" "$work/src/"
cp -Rp "$root/Sources" "$root/Tests" "$work/src/"
patch -s -p1 -d "$work/src" <"$here/decompose.patch" || bk_die "decompose.patch no longer applies to Sources; update it"
bk_log "building the patched responder in $work"
swift build -c release --package-path "$work/src" --scratch-path "$work/build" >"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log" >&2; bk_die "the patched build failed"; }
bin="$work/build/release/bookiji"

printf '%-5s %-32s %9s %9s  %s\n' mode "answer stops" ping uncached "uncached CPU µs/request: responder postgres nginx wrk; switches  uncached/ping"
for mode in 1 2 3 0; do
    case $mode in
        1) what="after the read" ;;
        2) what="after the read and the engine" ;;
        3) what="after rendering and gzip" ;;
        0) what="never (the real answer)" ;;
    esac
    out=$(BOOKIJI_DECOMPOSE=$mode BOOKIJI_BIN="$bin" "$here/run.sh" --duration "$duration" 2>&1) \
        || { printf '%s\n' "$out" | tail -n 20 >&2; bk_die "run.sh failed in mode $mode"; }
    printf '%s\n' "$out" >"$work/run-mode-$mode.txt"
    printf '%s\n' "$out" | awk -v mode="$mode" -v what="$what" '
        $1 == "ping" { ping = $4 }
        $1 == "uncached" && $2 == "GET" { rps = $7; cpu = sprintf("%s %s %s %s; %s", $11, $12, $13, $14, $15) }
        END { printf "%-5s %-32s %9s %9s  %-52s %.3f\n", mode, what, ping, rps, cpu, rps / ping }'
done
bk_log "each run's whole output: $work/run-mode-*.txt"
