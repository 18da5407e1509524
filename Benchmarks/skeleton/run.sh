#!/usr/bin/env bash
# Benchmarks/skeleton/run.sh — throughput of the skeleton API against nginx's own roof.
#
#   Benchmarks/skeleton/run.sh [--duration S] [--threads N] [--connections C] [--wrk-threads T]
#                              [--warmup S] [--strict] [--keep]
#
#   --duration S     seconds of measurement per target (default 10)
#   --threads N      responder threads, `bookiji serve --threads` (default 4)
#   --connections C  wrk connections (default 32)
#   --wrk-threads T  wrk threads (default 2)
#   --warmup S       unmeasured seconds before each target (default 2)
#   --strict         exit 1 when a ratio misses its target
#   --keep           keep the scratch directory (logs, configs, raw wrk output)
#
# Builds release, starts a private PostgreSQL, the responder and nginx (everything in one scratch
# directory, all stopped on exit), creates a partner and a vendor, then runs wrk through nginx with
# the same Authorization header against three targets:
#   roof    nginx serving a static JSON file exactly as large as the /v1/ping answer
#   ping    GET /v1/ping             (authenticated, no database)
#   vendor  GET /v1/vendors/{id}     (authenticated, one vendor read)
# and prints req/s and p99 latency for each, and the ratios ping/roof (target >= 0.35) and
# vendor/roof (target >= 0.25). Any non-2xx answer makes the run invalid (exit 1).
# BOOKIJI_BIN=/path/to/bookiji benchmarks that binary instead of building one.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

duration=10 threads=4 connections=32 wrk_threads=2 warmup=2 strict=0 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --wrk-threads) wrk_threads=${2:?}; shift 2 ;;
        --warmup) warmup=${2:?}; shift 2 ;;
        --strict) strict=1; shift ;;
        --keep) keep=1; shift ;;
        *) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
for v in "$duration" "$threads" "$connections" "$wrk_threads" "$warmup"; do
    [[ "$v" =~ ^[0-9]+$ ]] || bk_die "numeric options want whole numbers, got '$v'"
done

[ -n "${BOOKIJI_BIN:-}" ] || bk_require_swift
bk_ensure_packages "${BK_PACKAGES[@]}" wrk
bin=$(bk_build_release)

bk_bench_workspace bench

"$BK_SCRIPTS/pgcluster" start "$pg"
url=$("$BK_SCRIPTS/pgcluster" url "$pg")
(cd "$BK_REPO_ROOT" && "$bin" migrate --database "$url" --dir "$BK_REPO_ROOT/migrations") >&2 \
    || bk_die "bookiji migrate failed"
partner=$("$bin" partner create --name "Benchmark partner" --json --database "$url") || bk_die "partner create failed"
vendor=$("$bin" vendor create --name "Benchmark vendor" --timezone Europe/Berlin --json --database "$url") \
    || bk_die "vendor create failed"
key=$(bk_json_field "$partner" apiKey) || bk_die "no apiKey in: $partner"
vendor_id=$(bk_json_field "$vendor" vendorId) || bk_die "no id in: $vendor"

"$bin" serve --socket "$sock" --socket-mode 0666 --threads "$threads" --database "$url" \
    --pid-file "$work/bookiji.pid" >"$work/bookiji.log" 2>&1 </dev/null &
echo $! >"$work/bookiji.pid"
bk_wait_for_socket "$sock" 20 "$!" || { tail -n 20 "$work/bookiji.log" >&2; bk_die "the responder did not start"; }

port=$(bk_free_port 127.0.0.1 18080)
base="http://127.0.0.1:$port"
# The benchmark measures the API, not the limiter's refusals: the per-address limit stays in the
# path (its zone is consulted on every request, as in production) with a rate no run can reach.
"$BK_SCRIPTS/nginx-conf" --out "$ngx" --listen "127.0.0.1:$port" --socket "$sock" \
    --rate 1000000r/s --burst 1000000 --conn-limit 65535 >/dev/null
nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" || bk_die "nginx did not start; see $ngx/error.log"
bk_wait_for_http "$base/v1/health" 30 || bk_die "$base/v1/health did not answer 200"

auth="Authorization: Bearer $key"
fetch() { # fetch PATH OUTFILE — prints the HTTP status
    curl -s -o "$2" -w '%{http_code}' -H "$auth" "$base$1" || true
}
[ "$(fetch /v1/ping "$work/ping.json")" = 200 ] || bk_die "GET /v1/ping did not answer 200: $(cat "$work/ping.json")"
[ "$(fetch "/v1/vendors/$vendor_id" "$work/vendor.json")" = 200 ] \
    || bk_die "GET /v1/vendors/$vendor_id did not answer 200: $(cat "$work/vendor.json")"

# The roof file: valid JSON padded to exactly the size of the /v1/ping body.
size=$(stat -c %s "$work/ping.json")
if [ "$size" -ge 10 ]; then
    printf '{"pad":"%s"}' "$(head -c $((size - 10)) /dev/zero | tr '\0' x)" >"$ngx/static-roof.json"
else
    printf '{}%*s' $((size - 2)) '' >"$ngx/static-roof.json"
fi
chmod 0644 "$ngx/static-roof.json"
[ "$(fetch /static-roof.json "$work/roof.json")" = 200 ] || bk_die "the static roof is not served"
[ "$(stat -c %s "$work/roof.json")" = "$size" ] || bk_die "roof body size differs from /v1/ping's"

# run_wrk NAME PATH — warm-up, then the measured run; prints "req_per_s p99_ms non2xx errors".
run_wrk() {
    local name=$1 path=$2 out="$work/wrk-$1.txt"
    if [ "$warmup" -gt 0 ]; then
        wrk -t"$wrk_threads" -c"$connections" -d"${warmup}s" -H "$auth" "$base$path" >/dev/null
    fi
    wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency -H "$auth" "$base$path" >"$out"
    bk_wrk_summary "$out" || bk_die "could not parse wrk output for $name ($out)"
}

cat <<EOF
Bookiji Core skeleton benchmark
  commit     $(git -C "$BK_REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$BK_REPO_ROOT" diff --quiet HEAD 2>/dev/null || echo " (uncommitted changes)")
  machine    $(nproc) cores, $(uname -sr); $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes auto
  load       wrk -t$wrk_threads -c$connections, ${warmup}s warm-up + ${duration}s per target, on the same machine
  responder  $threads threads, release build; nginx keeps no FastCGI connections open (see nginx/conf.d/bookiji.conf)
  rate limit effectively off: limit_req stays in the path at 1000000r/s, burst 1000000
  body size  $size bytes for /v1/ping and the static roof
EOF

declare -A rps p99 bad errs
invalid=0
for target in roof ping vendor; do
    case "$target" in
        roof) path=/static-roof.json ;;
        ping) path=/v1/ping ;;
        vendor) path="/v1/vendors/$vendor_id" ;;
    esac
    result=$(run_wrk "$target" "$path")
    read -r "rps[$target]" "p99[$target]" "bad[$target]" "errs[$target]" <<<"$result"
    [ "${bad[$target]}" -eq 0 ] || invalid=1
done

printf '\n%-8s %-28s %12s %10s %8s  %s\n' target request req/s p99_ms non-2xx socket_errors
for target in roof ping vendor; do
    case "$target" in
        roof) shown="GET /static-roof.json" ;;
        ping) shown="GET /v1/ping" ;;
        vendor) shown="GET /v1/vendors/{id}" ;;
    esac
    printf '%-8s %-28s %12s %10s %8s  %s\n' "$target" "$shown" "${rps[$target]}" "${p99[$target]}" \
        "${bad[$target]}" "${errs[$target]}"
done

missed=0
ratio() { # ratio NAME TARGET — prints the ratio line; returns 1 when below target
    awk -v a="${rps[$1]}" -v b="${rps[roof]}" -v t="$2" -v n="$1" 'BEGIN {
        r = (b > 0) ? a / b : 0
        printf "%-12s %.3f  (target >= %.2f: %s)\n", n "/roof", r, t, (r >= t ? "met" : "MISSED")
        exit (r >= t ? 0 : 1)
    }'
}
echo
ratio ping 0.35 || missed=1
ratio vendor 0.25 || missed=1

if [ "$invalid" = 1 ]; then
    bk_log "INVALID RUN: some answers were not 2xx (raw output kept in $work)"
    exit 1
fi
if [ "$strict" = 1 ] && [ "$missed" = 1 ]; then exit 1; fi
exit 0
