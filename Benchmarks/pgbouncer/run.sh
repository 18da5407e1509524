#!/usr/bin/env bash
# Benchmarks/pgbouncer/run.sh — what running through PgBouncer in transaction mode costs (issue 16).
#
#   Benchmarks/pgbouncer/run.sh [--duration S] [--threads N] [--connections C] [--vendors V] [--keep]
#
#   --duration S     seconds of measurement per run (default 10; 2 more of warm-up before each)
#   --threads N      responder threads, and PgBouncer's default_pool_size (default 4)
#   --connections C  wrk connections (default 16)
#   --vendors V      vendors open 06:00-22:00 every day (default 200)
#   --keep           keep the scratch directory
#
# One private durable PostgreSQL, nginx, and `bookiji serve --availability-cache-seconds 0` in
# three modes, each measured with uncached availability reads (Benchmarks/availability's lua,
# one-week windows) and with holds (Benchmarks/reservations' lua, every slot asked once):
#   prepared   --database the server: statements prepared once per connection (the default)
#   unnamed    --database the server, --database-pooler transaction: statements sent unnamed with
#              their parameters (parsed and planned on every run): the setting's own cost
#   pgbouncer  --database PgBouncer (pool_mode = transaction, run as postgres), pooler transaction
# Prints req/s, p99 and the CPU time per request of PostgreSQL (postmaster and backends) and of
# PgBouncer, read from /proc. BOOKIJI_BIN=/path/to/bookiji measures that binary (default: release).
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench-pgbouncer"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

duration=10 threads=4 connections=16 vendors=200 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --vendors) vendors=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        *) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done

[ -n "${BOOKIJI_BIN:-}" ] || bk_require_swift
bk_ensure_packages "${BK_PACKAGES[@]}" wrk
bin=$(bk_build_release)
bk_bench_workspace bench-pgbouncer

bk_bench_database "$bin"
sql() { bk_sql "$@"; }
bk_bench_partner "$bin"
bk_bench_vendors "$bin" "$vendors"
open=$BK_VENDOR_OPEN slot=$BK_VENDOR_SLOT slots=$BK_VENDOR_SLOTS
# bk_bench_vendors writes "id key" lines; reservations.lua and availability.lua want the ids.
cut -d' ' -f1 "$work/vendors.txt" >"$work/vendor-ids.txt" && mv "$work/vendor-ids.txt" "$work/vendors.txt"
awk '{ print $1, 30 }' "$work/vendors.txt" >"$work/vendors-slots.txt"
first_day=$(( ($(date +%s) / 86400 + 2) * 86400 ))
for week in 0 1; do
    printf 'startTime=%s&endTime=%s\n' "$(date -u -d "@$((first_day + week * 604800))" +%Y-%m-%dT%H:%M:%SZ)" \
        "$(date -u -d "@$((first_day + (week + 1) * 604800))" +%Y-%m-%dT%H:%M:%SZ)"
done >"$work/windows.txt"

# PgBouncer in front of the cluster's socket, every database passed through.
bouncer="$work/pgbouncer"
mkdir -p "$bouncer/socket"
bouncer_port=$(bk_free_port 127.0.0.1 16432)
cat >"$bouncer/pgbouncer.ini" <<EOF
[databases]
* = host=$pg/socket port=$(cat "$pg/port")
[pgbouncer]
pool_mode = transaction
default_pool_size = $threads
max_client_conn = 1000
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir = $bouncer/socket
auth_type = trust
auth_file = $bouncer/userlist.txt
admin_users = postgres
pidfile = $bouncer/pgbouncer.pid
logfile = $bouncer/pgbouncer.log
EOF
echo '"postgres" ""' >"$bouncer/userlist.txt"
if bk_is_root; then
    chown -R postgres:postgres "$bouncer"
    setpriv --reuid=postgres --regid=postgres --init-groups pgbouncer -d "$bouncer/pgbouncer.ini"
else
    pgbouncer -d "$bouncer/pgbouncer.ini"
fi
# A copy the workspace's cleanup stops (PgBouncer, as postgres, cannot write to $work).
for _ in $(seq 50); do [ -s "$bouncer/pgbouncer.pid" ] && break; sleep 0.1; done
cp "$bouncer/pgbouncer.pid" "$work/pgbouncer.pid" || bk_die "PgBouncer did not start; see $bouncer/pgbouncer.log"
database=$(sql "SELECT current_database()")
bouncer_url="postgresql://postgres@/$database?host=$bouncer/socket&port=$bouncer_port"
psql -X -qtA -d "$bouncer_url" -c "SELECT 1" >/dev/null || bk_die "cannot connect through PgBouncer"

port=$(bk_free_port 127.0.0.1 18080)
base="http://127.0.0.1:$port"
"$BK_SCRIPTS/nginx-conf" --out "$ngx" --listen "127.0.0.1:$port" --socket "$sock" \
    --rate 1000000r/s --burst 1000000 --conn-limit 65535 >/dev/null
nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" || bk_die "nginx did not start; see $ngx/error.log"
auth="Authorization: Bearer $key"

# ticks PID... — utime + stime of the processes (and of the first one's reaped children), in clock ticks.
ticks() {
    local total=0 pid fields
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        fields=$(sed 's/.*) //' "/proc/$pid/stat")
        # After "pid (comm) ": state is field 1, utime 12, stime 13, cutime 14, cstime 15.
        total=$((total + $(echo "$fields" | awk -v first="$([ "$pid" = "$1" ] && echo 1 || echo 0)" \
            '{ print $12 + $13 + (first ? $14 + $15 : 0) }')))
    done
    echo "$total"
}
# pg_pids — the postmaster first, then its children, one per line.
pg_pids() { local pm; pm=$(head -1 "$pg/data/postmaster.pid"); echo "$pm"; ps -o pid= --ppid "$pm" | tr -d " "; }
hz=$(getconf CLK_TCK)

next_index=0
results="$work/results.txt"
: >"$results"
# measure MODE WORKLOAD — warm-up, then one measured wrk run; appends a result line.
measure() {
    local mode=$1 workload=$2 out="$work/$1-$2.wrk" pg_before bouncer_before requests
    local -a lua
    if [ "$workload" = availability ]; then
        lua=(-s "$BK_REPO_ROOT/Benchmarks/availability/availability.lua" "$base/" -- "$work/vendors-slots.txt" "$work/windows.txt")
    else
        lua=(-s "$BK_REPO_ROOT/Benchmarks/reservations/reservations.lua" "$base/v1/reservations" -- "$work/vendors.txt"
            "$next_index" 2 "$first_day" "$open" "$slot" "$slots")
    fi
    wrk -t2 -c"$connections" -d2s -H "$auth" -H "Content-Type: application/json" -H "Accept-Encoding: gzip" "${lua[@]}" \
        >"$out.warmup" || bk_die "wrk failed"
    if [ "$workload" = holds ]; then
        next_index=$(awk '/^next_index/ { print $2 }' "$out.warmup")
        lua[5]=$next_index
    fi
    local -a pids
    mapfile -t pids < <(pg_pids)
    pg_before=$(ticks "${pids[@]}") bouncer_before=$(ticks "$(cat "$work/pgbouncer.pid")")
    wrk -t2 -c"$connections" -d"${duration}s" --latency -H "$auth" -H "Content-Type: application/json" \
        -H "Accept-Encoding: gzip" "${lua[@]}" >"$out" || bk_die "wrk failed"
    mapfile -t pids < <(pg_pids)
    local pg_used=$(( $(ticks "${pids[@]}") - pg_before )) bouncer_used=$(( $(ticks "$(cat "$work/pgbouncer.pid")") - bouncer_before ))
    [ "$workload" = holds ] && next_index=$(awk '/^next_index/ { print $2 }' "$out")
    requests=$(awk '/requests in/ { print $1 }' "$out")
    if grep -q "Non-2xx" "$out"; then bk_log "$mode $workload: non-2xx answers, see $out"; grep "^status" "$out" >&2 || true; fi
    awk -v mode="$mode" -v workload="$workload" -v n="$requests" -v pg="$pg_used" -v pb="$bouncer_used" -v hz="$hz" '
        /Requests\/sec/ { rps = $2 } /^ *99%/ { p99 = $2 }
        END { printf "%-10s %-13s %9.0f req/s  p99 %8s  PostgreSQL %6.0f us/req  PgBouncer %5.0f us/req\n",
              mode, workload, rps, p99, pg * 1e6 / hz / n, pb * 1e6 / hz / n }' "$out" | tee -a "$results"
}

for mode in prepared unnamed pgbouncer; do
    case $mode in
        prepared) args=(--database "$url") ;;
        unnamed) args=(--database "$url" --database-pooler transaction --direct-database "$url&application_name=direct") ;;
        pgbouncer) args=(--database "$bouncer_url" --database-pooler transaction --direct-database "$url") ;;
    esac
    "$bin" serve --socket "$sock" --socket-mode 0666 --threads "$threads" --availability-cache-seconds 0 \
        --pid-file "$work/bookiji.pid" "${args[@]}" >"$work/bookiji-$mode.log" 2>&1 </dev/null &
    bk_wait_for_socket "$sock" 20 "$!" || { tail -n 20 "$work/bookiji-$mode.log" >&2; bk_die "the responder did not start"; }
    bk_wait_for_http "$base/v1/health" 30 || bk_die "$base/v1/health did not answer 200"
    measure "$mode" availability
    measure "$mode" holds
    bk_stop_pidfile "$work/bookiji.pid" responder 20
done
echo "responder: $bin, $threads threads; wrk -t2 -c$connections, ${duration}s per run; PgBouncer default_pool_size $threads"
