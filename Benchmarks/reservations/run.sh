#!/usr/bin/env bash
# Benchmarks/reservations/run.sh — reservation creates through nginx against pgbench (issue 5).
#
#   Benchmarks/reservations/run.sh [--duration S] [--threads N] [--connections C] [--wrk-threads T]
#                                  [--warmup S] [--vendors V] [--scale K] [--strict] [--keep]
#
#   --duration S     seconds of measurement for each side (default 10)
#   --threads N      responder threads, `bookiji serve --threads` (default 4)
#   --connections C  wrk connections and pgbench clients (default 64)
#   --wrk-threads T  wrk threads and pgbench threads (-j) (default 2)
#   --warmup S       unmeasured seconds before each side (default 2)
#   --vendors V      vendors the holds are spread over (default 1000)
#   --scale K        pgbench scale factor, `pgbench -i -s K` (default 10)
#   --strict         exit 1 when the ratio misses its target
#   --keep           keep the scratch directory (logs, configs, raw wrk and pgbench output)
#
# Builds release, starts a private PostgreSQL with its durable defaults (fsync, synchronous_commit
# and full_page_writes on; the script refuses to run otherwise), the responder and nginx, all in
# one scratch directory and stopped on exit. Creates a partner (limits raised out of reach) and V
# vendors open every day 06:00-22:00 UTC with 30-minute slots (the CLI creates the first, SQL
# copies it). Then, in one run:
#   holds    wrk through nginx: POST /v1/reservations with 201-expected bodies, each for a slot no
#            other request asks for (reservations.lua: vendor, day and slot from a global request
#            number, consecutive requests on different vendors); 201 and 409 are counted apart
#   pgbench  pgbench's built-in tpcb-like script with the same number of clients, in database
#            `pgbench` (initialised with -s K) of the same cluster
# Both start after a CHECKPOINT. Prints holds/s and p99, pgbench TPS, average latency and p99, and
# the ratio holds/pgbench (target >= 0.5). 409 answers are reported, not fatal; any other non-201
# answer or socket error makes the run invalid (exit 1).
# BOOKIJI_BIN=/path/to/bookiji benchmarks that binary instead of building one.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench-reservations"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

duration=10 threads=4 connections=64 wrk_threads=2 warmup=2 vendors=1000 scale=10 strict=0 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --wrk-threads) wrk_threads=${2:?}; shift 2 ;;
        --warmup) warmup=${2:?}; shift 2 ;;
        --vendors) vendors=${2:?}; shift 2 ;;
        --scale) scale=${2:?}; shift 2 ;;
        --strict) strict=1; shift ;;
        --keep) keep=1; shift ;;
        *) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
for v in "$duration" "$threads" "$connections" "$wrk_threads" "$warmup" "$vendors" "$scale"; do
    [[ "$v" =~ ^[0-9]+$ ]] || bk_die "numeric options want whole numbers, got '$v'"
done
if [ "$duration" -lt 1 ] || [ "$vendors" -lt 1 ] || [ "$scale" -lt 1 ] || [ "$wrk_threads" -lt 1 ]; then
    bk_die "--duration, --vendors, --scale and --wrk-threads must be at least 1"
fi

[ -n "${BOOKIJI_BIN:-}" ] || bk_require_swift
bk_ensure_packages "${BK_PACKAGES[@]}" wrk
bin=$(bk_build_release)
pgbin=$(pg_config --bindir 2>/dev/null || true)
if [ -x "$pgbin/pgbench" ]; then pgbench="$pgbin/pgbench"; else pgbench=$(command -v pgbench) \
    || bk_die "pgbench not found (package postgresql-contrib, or postgresql-client)"; fi

bk_bench_workspace bench-reservations
setup="$work/setup"
mkdir -p "$setup"

# No --ephemeral: a write benchmark compares durable commits on both sides.
"$BK_SCRIPTS/pgcluster" start "$pg"
url=$("$BK_SCRIPTS/pgcluster" url "$pg")
sql() { psql -X -qtA -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }
durability=$(sql "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit') || ' ' || current_setting('full_page_writes')")
[ "$durability" = "on on on" ] \
    || bk_die "the cluster is not durable (fsync, synchronous_commit, full_page_writes = $durability); a write benchmark needs them on"
(cd "$BK_REPO_ROOT" && "$bin" migrate --database "$url" --dir "$BK_REPO_ROOT/migrations") >&2 \
    || bk_die "bookiji migrate failed"
partner=$("$bin" partner create --name "Benchmark partner" --json --database "$url") || bk_die "partner create failed"
key=$(bk_json_field "$partner" apiKey) || bk_die "no apiKey in: $partner"
partner_id=$(bk_json_field "$partner" partnerId) || bk_die "no id in: $partner"
# Out of reach: the benchmark measures holds, not the abuse limits' refusals.
"$bin" partner limits "$partner_id" --per-hour 1000000000 --max-holds 1000000000 --database "$url" >&2 \
    || bk_die "partner limits failed"

# Vendors open every day 06:00-22:00 UTC (Tests/EndToEndTests/Harness/Booking.swift's rules).
# One CLI call per vendor costs 20-50 ms here (process start, connection, a durable commit):
# 1,000 `vendor create` took 45 s on a busy 2-core machine. So the CLI creates the first vendor
# and sets its rules (validated, stored canonically) and payment settings, and SQL copies them to
# the others.
open=$((6 * 3600)) slot=1800 slots=32
cat >"$setup/rules.json" <<'EOF'
{"timeZone":"UTC","slotMinutes":30,"weeklyHours":{
"monday":[{"start":"06:00","end":"22:00"}],"tuesday":[{"start":"06:00","end":"22:00"}],
"wednesday":[{"start":"06:00","end":"22:00"}],"thursday":[{"start":"06:00","end":"22:00"}],
"friday":[{"start":"06:00","end":"22:00"}],"saturday":[{"start":"06:00","end":"22:00"}],
"sunday":[{"start":"06:00","end":"22:00"}]}}
EOF
started=$(date +%s.%N)
first=$("$bin" vendor create --name bench-vendor-0001 --timezone UTC --json --database "$url") \
    || bk_die "vendor create failed"
first_id=$(bk_json_field "$first" vendorId) || bk_die "no id in: $first"
"$bin" vendor rules set "$first_id" --file "$setup/rules.json" --database "$url" >&2 || bk_die "vendor rules set failed"
"$bin" vendor payments set "$first_id" --stripe-account acct_1BenchVendor --currency eur --price 5000 --deposit 1000 \
    --platform-fee 500 --database "$url" >&2 || bk_die "vendor payments set failed"
sql "INSERT INTO vendors (name, timezone, rules, revision, stripe_account, currency, price_minor, deposit_minor, platform_fee_minor)
     SELECT format('bench-vendor-%s', lpad(g::text, 4, '0')), v.timezone, v.rules, v.revision, v.stripe_account,
            v.currency, v.price_minor, v.deposit_minor, v.platform_fee_minor
     FROM vendors v, generate_series(2, $vendors) AS g WHERE v.id = '$first_id'" >/dev/null \
    || bk_die "copying the first vendor failed"
sql "SELECT id FROM vendors ORDER BY name" >"$work/vendors.txt" || bk_die "could not list the vendors"
[ "$(wc -l <"$work/vendors.txt")" -eq "$vendors" ] || bk_die "expected $vendors vendors, got $(wc -l <"$work/vendors.txt")"
setup_s=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
bk_log "setup: $vendors vendors with rules in ${setup_s}s (CLI for the first, SQL copies)"

# pgbench's tables in their own database of the same cluster.
sql "CREATE DATABASE pgbench" >/dev/null
pgbench_url=${url/\/bookiji\?//pgbench?}
[ "$pgbench_url" != "$url" ] || bk_die "cannot derive the pgbench database URL from $url"
bk_log "pgbench -i -s $scale"
"$pgbench" -i -q -s "$scale" "$pgbench_url" >"$work/pgbench-init.log" 2>&1 \
    || { tail -n 20 "$work/pgbench-init.log" >&2; bk_die "pgbench -i failed"; }

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

# The first bookable day: the day after tomorrow (UTC), so no slot is in the past or too soon.
first_day=$(( ($(date -u +%s) / 86400 + 2) * 86400 ))
lua="$here/reservations.lua"
next_index=0
# run_holds NAME SECONDS — one wrk run of holds from next_index on; advances next_index. The raw
# output (wrk's summary and the script's status lines) goes to $work/wrk-NAME.txt.
run_holds() {
    local out="$work/wrk-$1.txt"
    wrk -t"$wrk_threads" -c"$connections" -d"${2}s" --latency -H "$auth" -H "Content-Type: application/json" \
        -s "$lua" "$base/v1/reservations" -- "$work/vendors.txt" "$next_index" "$wrk_threads" \
        "$first_day" "$open" "$slot" "$slots" >"$out" || bk_die "wrk failed (see $out)"
    next_index=$(awk '$1 == "next_index" { print $2 }' "$out")
    [[ "$next_index" =~ ^[0-9]+$ ]] || bk_die "no next_index in $out"
    local days=$((next_index / (vendors * slots) + 1))
    [ "$days" -lt 300 ] || bk_die "the run used $days days of slots, beyond the vendors' 365-day horizon soon; use more --vendors"
}

# A first hold by hand: proves the path and the body shape before wrk hammers it.
probe_start=$(date -u -d "@$((first_day - 86400 + open))" +%Y-%m-%dT%H:%M:%SZ)
probe_end=$(date -u -d "@$((first_day - 86400 + open + slot))" +%Y-%m-%dT%H:%M:%SZ)
status=$(curl -s -o "$work/probe.json" -w '%{http_code}' -H "$auth" -H "Content-Type: application/json" \
    --data "{\"vendorId\":\"$(head -n1 "$work/vendors.txt")\",\"slotStartTime\":\"$probe_start\",\"slotEndTime\":\"$probe_end\",\"requesterId\":\"probe\"}" \
    "$base/v1/reservations" || true)
[ "$status" = 201 ] || bk_die "POST /v1/reservations did not answer 201 but $status: $(cat "$work/probe.json")"

sql "CHECKPOINT" >/dev/null
load=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$warmup" -gt 0 ]; then run_holds holds-warmup "$warmup"; fi
rows_before=$(sql "SELECT count(*) FROM reservations")
run_holds holds "$duration"
rows_after=$(sql "SELECT count(*) FROM reservations")

# parse_wrk FILE — "req_per_s p99_ms socket_errors n201 n409 other" (other: "CODE:COUNT,..." or none)
parse_wrk() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return v * 0.001
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/) return v * 60000
            if (v ~ /s$/) return v * 1000
            return v + 0
        }
        $1 == "99%" { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Socket errors:/ { sub(/.*Socket errors: */, ""); errs = $0; gsub(/ /, "", errs) }
        $1 == "status" && $2 == 201 { ok = $3 }
        $1 == "status" && $2 == 409 { conflict = $3 }
        $1 == "status" && $2 != 201 && $2 != 409 { other = other (other == "" ? "" : ",") $2 ":" $3 }
        END {
            if (rps == "" || p99 == "") exit 1
            printf "%.0f %.2f %s %d %d %s\n", rps, p99, (errs == "" ? "none" : errs), ok, conflict, (other == "" ? "none" : other)
        }' "$1"
}
read -r holds_rps holds_p99 holds_errs n201 n409 other < <(parse_wrk "$work/wrk-holds.txt") \
    || bk_die "could not parse wrk output ($work/wrk-holds.txt)"

sql "CHECKPOINT" >/dev/null
if [ "$warmup" -gt 0 ]; then
    "$pgbench" -c "$connections" -j "$wrk_threads" -T "$warmup" -b tpcb-like -n "$pgbench_url" \
        >"$work/pgbench-warmup.log" 2>&1 || bk_die "pgbench warm-up failed (see $work/pgbench-warmup.log)"
fi
mkdir -p "$work/pgbench-log"
(cd "$work/pgbench-log" && "$pgbench" -c "$connections" -j "$wrk_threads" -T "$duration" -b tpcb-like -n \
    -l --log-prefix=tx "$pgbench_url") >"$work/pgbench.log" 2>&1 || bk_die "pgbench failed (see $work/pgbench.log)"
pgbench_tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$work/pgbench.log")
pgbench_avg=$(awk '/^latency average = / { printf "%.2f", $4 }' "$work/pgbench.log")
pgbench_failed=$(awk '/^number of failed transactions: / { print $5; f = 1 } END { if (!f) print 0 }' "$work/pgbench.log")
[ -n "$pgbench_tps" ] || bk_die "no tps in $work/pgbench.log"
# Third field of each per-transaction log line: latency in microseconds.
pgbench_p99=$(cat "$work"/pgbench-log/tx.* | awk '{ print $3 }' | sort -n \
    | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", v[i] / 1000 }')

cat <<EOF
Bookiji Core reservations benchmark (issue 5)
  commit     $(git -C "$BK_REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$BK_REPO_ROOT" diff --quiet HEAD 2>/dev/null || echo " (uncommitted changes)")
  machine    $(nproc) cores, $(uname -sr); $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes auto; load average before the run $load
  database   $("$pgbin/postgres" --version 2>/dev/null || echo PostgreSQL), private cluster on $(df -T "$pg" | awk 'NR == 2 { print $2 }'); fsync, synchronous_commit, full_page_writes on
  load       wrk -t$wrk_threads -c$connections and pgbench -c$connections -j$wrk_threads, ${warmup}s warm-up + ${duration}s each, on the same machine
  responder  $threads threads, release build; nginx keeps no FastCGI connections open; rate limit effectively off
  data       $vendors vendors open 06:00-22:00 UTC, 30-minute slots (setup ${setup_s}s); pgbench scale $scale
  holds      every request a distinct slot; reservations in the database: $rows_before before the measured run, $rows_after after

side     what                                    per_s  p99_ms  detail
holds    POST /v1/reservations via nginx    $(printf '%10s %7s' "$holds_rps" "$holds_p99")  201: $n201, 409: $n409, other: $other, socket errors: $holds_errs
pgbench  tpcb-like, same cluster            $(printf '%10s %7s' "$pgbench_tps" "$pgbench_p99")  latency average ${pgbench_avg} ms, failed transactions: $pgbench_failed
EOF

missed=0
echo
awk -v a="$holds_rps" -v b="$pgbench_tps" 'BEGIN {
    r = (b > 0) ? a / b : 0
    printf "holds/pgbench  %.3f  (target >= 0.50: %s)\n", r, (r >= 0.5 ? "met" : "MISSED")
    exit (r >= 0.5 ? 0 : 1)
}' || missed=1
if [ "$n409" -gt 0 ]; then
    bk_log "note: $n409 of $((n201 + n409)) holds answered 409 (slot unavailable); they count in req/s"
fi

if [ "$other" != none ] || [ "$holds_errs" != none ] || [ "$n201" -eq 0 ]; then
    bk_log "INVALID RUN: answers other than 201/409 ($other) or socket errors ($holds_errs); raw output kept in $work"
    exit 1
fi
if [ "$pgbench_failed" != 0 ]; then
    bk_log "INVALID RUN: pgbench reported $pgbench_failed failed transactions (see $work/pgbench.log)"
    exit 1
fi
if [ "$strict" = 1 ] && [ "$missed" = 1 ]; then exit 1; fi
exit 0
