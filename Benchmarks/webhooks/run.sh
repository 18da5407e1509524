#!/usr/bin/env bash
# Benchmarks/webhooks/run.sh — partner webhooks from commit to a local receiver (issue 13, point 6).
#
#   Benchmarks/webhooks/run.sh [--events N] [--fail-percent F] [--phases healthy,failing]
#                              [--workers W] [--webhook-concurrency C] [--clients N] [--rate R]
#                              [--vendors V] [--threads T] [--retry-scale S]
#                              [--max-failures-per-event K] [--drain-timeout S] [--pg-stats] [--strict] [--keep]
#
#   --events N                  events per phase (default 10000)
#   --fail-percent F            share of requests the failing phase's receiver answers 500 (default 30)
#   --phases LIST               healthy, failing, or both in the order given (default healthy,failing)
#   --workers W                 `bookiji worker` processes (default 1)
#   --webhook-concurrency C     each worker's --webhook-concurrency (default 16, the product's default)
#   --clients N                 driver threads, one keep-alive connection each (default 4)
#   --rate R                    at most R API calls (= events) a second in all; 0: as fast as the
#                               clients go (default 0)
#   --vendors V                 vendors the reservations are spread over (default 100)
#   --threads T                 responder threads (default 4)
#   --retry-scale S             the workers' hidden --webhook-retry-scale (default 0.001: the retry
#                               schedule's 5 s, 5 min, 30 min, 2 h, 5 h become 0, 0, 2, 7, 18 s)
#   --max-failures-per-event K  the failing receiver fails one event id at most K times (default 5)
#   --drain-timeout S           longest wait for a phase's last deliveries (default 1800)
#   --pg-stats                  load pg_stat_statements and list each phase's costliest statements
#   --strict                    exit 1 when the p99 target or any check fails
#   --keep                      keep the scratch directory (every process's log, the receiver's records)
#
# Builds release (or takes BOOKIJI_BIN) and starts, in one scratch directory removed on exit, a
# private PostgreSQL with its durable defaults, the responder (--webhook-allow-host 127.0.0.1) and
# nginx (rate limit effectively off), as Benchmarks/bookings does (scripts/lib.sh). Creates a
# partner (limits out of reach), V vendors open 06:00-22:00 UTC with payment settings and keys, and
# registers one webhook endpoint, http://127.0.0.1:PORT/hooks/bench, through nginx
# (POST /v1/webhook-endpoints, every event type).
#
# Each phase starts webhooks.py's receiver on that port (it checks every signature with the
# endpoint's secret; healthy: every request answered 200; failing: F% answered 500) and W workers
# (no Stripe key: payments off; --webhook-allow-host 127.0.0.1), proves the path with one
# reservation's three events, then the driver turns reservations into N events through nginx:
# hold (reservation.created), vendor confirm (reservation.vendor_confirmed), cancel
# (reservation.cancelled), each reservation's three back to back. The phase ends when the receiver
# has every event with a 2xx and the database has no event waiting for its fan-out or delivery.
# Reported per phase, from the receiver's records joined with the outbox (webhooks.py report):
# events committed per second; first deliveries per second (events received with a 2xx, over the
# span from the first to the last); commit -> delivery latency, p50/p90/p99/max, from the event's
# occurredAt (clock_timestamp() in its transaction, just before the commit) to the receiver's clock
# when the request arrived; requests, 500s, connections and attempts per event; duplicates (an event
# received with a 2xx more than once); the sender's own count of its deliveries and attempts; the
# CPU each process group used; and the checks: every event delivered (each of the N event ids
# answered 2xx at least once, no delivery pending or failed for good), signatures, per-reservation
# order (no attempt of a reservation's event arrives before the previous event's first 2xx),
# sequences 1, 2, 3. Target (healthy phase): p99 commit -> delivery under 1 s.
#
# The failing receiver draws each answer at random (seeded), but answers 2xx to an event's attempt
# K+1 whatever the draw: the sender gives an event up after 8 attempts (the Standard Webhooks
# schedule), and 30% failures at random would leave 10,000 x 0.3^8 = 0.7 events failed for good in
# an average run, by design. K = 5 changes the share of 500s by less than 0.1 point (the report
# prints the share measured).
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench-webhooks"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

events=10000 fail_percent=30 phases=healthy,failing workers=1 concurrency=16 clients=4 rate=0 vendors=100 threads=4
retry_scale=0.001 max_failures=5 drain_timeout=1800 pg_stats=0 strict=0 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=${2:?}; shift 2 ;;
        --fail-percent) fail_percent=${2:?}; shift 2 ;;
        --phases) phases=${2:?}; shift 2 ;;
        --workers) workers=${2:?}; shift 2 ;;
        --webhook-concurrency) concurrency=${2:?}; shift 2 ;;
        --clients) clients=${2:?}; shift 2 ;;
        --rate) rate=${2:?}; shift 2 ;;
        --vendors) vendors=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --retry-scale) retry_scale=${2:?}; shift 2 ;;
        --max-failures-per-event) max_failures=${2:?}; shift 2 ;;
        --drain-timeout) drain_timeout=${2:?}; shift 2 ;;
        --pg-stats) pg_stats=1; shift ;;
        --strict) strict=1; shift ;;
        --keep) keep=1; shift ;;
        *) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
for v in "$events" "$fail_percent" "$workers" "$concurrency" "$clients" "$rate" "$vendors" "$threads" "$max_failures" \
    "$drain_timeout"; do
    [[ "$v" =~ ^[0-9]+$ ]] || bk_die "numeric options want whole numbers, got '$v'"
done
if [ "$events" -lt 1 ] || [ "$workers" -lt 1 ] || [ "$concurrency" -lt 1 ] || [ "$clients" -lt 1 ] || [ "$vendors" -lt 1 ]; then
    bk_die "--events, --workers, --webhook-concurrency, --clients and --vendors must be at least 1"
fi
[ "$fail_percent" -le 100 ] || bk_die "--fail-percent is at most 100"
[[ "$retry_scale" =~ ^(0?\.[0-9]+|1(\.0*)?)$ ]] || bk_die "--retry-scale is a number in (0, 1], e.g. 0.001"
[[ "$phases" =~ ^(healthy|failing|healthy,failing|failing,healthy)$ ]] || bk_die "--phases is healthy, failing or healthy,failing"

[ -n "${BOOKIJI_BIN:-}" ] || bk_require_swift
bk_ensure_packages "${BK_PACKAGES[@]}"
command -v python3 >/dev/null || bk_die "python3 is needed for the receiver and the driver"
bin=$(bk_build_release)
py="$here/webhooks.py"

load=$(cut -d' ' -f1-3 /proc/loadavg)
bk_bench_workspace bench-webhooks
# The EXIT trap (scripts/lib.sh) also stops the driver, the workers and the receiver by their pid files.
bk_bench_database "$bin"
sql() { bk_sql "$1"; }
if [ "$pg_stats" = 1 ]; then bk_pg_stats_enable; fi
bk_bench_partner "$bin"
started=$(date +%s.%N)
bk_bench_vendors "$bin" "$vendors"
setup_s=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
bk_log "setup: $vendors vendors with rules, payment settings and keys in ${setup_s}s"
bk_bench_serve "$bin" "$threads" --webhook-allow-host 127.0.0.1

# The partner's endpoint, registered as a partner would.
rport=$(bk_free_port 127.0.0.1 19080)
answer=$(curl -sS -X POST "$base/v1/webhook-endpoints" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    --data "{\"url\":\"http://127.0.0.1:$rport/hooks/bench\"}") || bk_die "POST /v1/webhook-endpoints failed"
endpoint_id=$(bk_json_field "$answer" id) || bk_die "no endpoint id in: $answer"
secret=$(bk_json_field "$answer" secret) || bk_die "no secret in: $answer"

# The first bookable day: the day after tomorrow (UTC).
first_day=$(( ($(date -u +%s) / 86400 + 2) * 86400 ))
next_index=0

# start_receiver NAME FAIL_PERCENT — the receiver on rport; its records go to records-NAME.tsv at stop.
start_receiver() {
    python3 "$py" receive --port "$rport" --secret "$secret" --fail-percent "$2" --max-failures-per-event "$max_failures" \
        --out "$work/records-$1.tsv" >"$work/receiver-$1.log" 2>&1 </dev/null &
    echo $! >"$work/receiver.pid"
    bk_wait_for_http "http://127.0.0.1:$rport/_control/stats" 20 || { cat "$work/receiver-$1.log" >&2; bk_die "the receiver did not start"; }
}
receiver_ok() {
    curl -sf "http://127.0.0.1:$rport/_control/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["distinctOk"])'
}

start_workers() {
    local i
    for ((i = 1; i <= workers; i++)); do
        "$bin" worker --database "$url" --no-calendar-sync --webhook-allow-host 127.0.0.1 \
            --webhook-concurrency "$concurrency" --webhook-retry-scale "$retry_scale" >"$work/worker-$i-$1.log" 2>&1 </dev/null &
        echo $! >"$work/worker-$i.pid"
    done
}
stop_workers() {
    local i
    for ((i = 1; i <= workers; i++)); do bk_stop_pidfile "$work/worker-$i.pid" "worker $i" 30; done
}

# drive PREFIX EVENTS [ARGS...] — the driver from next_index on, waited for; advances next_index.
drive() {
    local prefix=$1 n=$2 pid rc=0; shift 2
    python3 "$py" drive --base "$base" --partner-key "$key" --vendors "$work/vendors.txt" --first-day "$first_day" \
        --open "$BK_VENDOR_OPEN" --slot "$BK_VENDOR_SLOT" --slots "$BK_VENDOR_SLOTS" --start-index "$next_index" \
        --events "$n" --prefix "$prefix" --out "$work/load-$prefix.json" "$@" 2>"$work/driver-$prefix.log" &
    pid=$!
    echo "$pid" >"$work/driver.pid"
    wait "$pid" || rc=$?
    rm -f "$work/driver.pid"
    [ "$rc" = 0 ] || { cat "$work/driver-$prefix.log" >&2; bk_die "the driver failed (see $work/load-$prefix.json)"; }
    next_index=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["next_index"])' "$work/load-$prefix.json")
}

# Events of the phase's reservations still waiting for their fan-out, or for delivery.
waiting_sql() {
    echo "SELECT (SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
                  WHERE o.topic LIKE 'reservation.%' AND o.delivered_at IS NULL AND o.dead_at IS NULL
                    AND r.requester_id LIKE '$1-%')
               + (SELECT count(*) FROM webhook_deliveries d JOIN reservations r ON r.id = d.reservation_id
                  WHERE d.status = 'pending' AND r.requester_id LIKE '$1-%')"
}

# drain PREFIX COUNT SECONDS — waits until the receiver has COUNT events with a 2xx and nothing of
# the phase is waiting; false after SECONDS.
drain() {
    local deadline=$(( $(date +%s) + $3 )) ok waiting last now
    last=$(date +%s)
    while :; do
        ok=$(receiver_ok) now=$(date +%s)
        # The database only when the receiver has them all, or for the progress line.
        if [ "$ok" -ge "$2" ] || [ "$now" -ge "$deadline" ] || [ $((now - last)) -ge 15 ]; then
            waiting=$(sql "$(waiting_sql "$1")")
            [ "$ok" -ge "$2" ] && [ "$waiting" = 0 ] && return 0
            [ "$now" -lt "$deadline" ] || { bk_log "not drained after ${3}s: $ok of $2 received, $waiting waiting"; return 1; }
            if [ $((now - last)) -ge 15 ]; then
                bk_log "draining: $ok of $2 events received, $waiting waiting for fan-out or delivery"
                last=$now
            fi
        fi
        sleep 0.2
    done
}

# cpu_sample — "responder nginx postgres workers receiver" ticks so far.
cpu_sample() {
    local w=() i
    for ((i = 1; i <= workers; i++)); do w+=("$(head -n1 "$work/worker-$i.pid")"); done
    echo "$(bk_cpu_ticks "$(head -n1 "$work/bookiji.pid")") $(bk_nginx_ticks) $(bk_postgres_ticks)" \
        "$(bk_cpu_ticks "${w[@]}") $(bk_cpu_ticks "$(head -n1 "$work/receiver.pid")")"
}

results=()
failed=0

# run_phase NAME FAIL_PERCENT — one measured phase; appends its lines to results.
run_phase() {
    local name=$1 fail=$2 prefix="wh-$1"
    bk_log "phase $name: receiver failing ${fail}% of requests, $workers workers x webhook concurrency $concurrency"
    start_receiver "$name" "$fail"
    start_workers "$name"
    # One reservation's three events first: proves the endpoint, the allow-list and the signatures.
    drive "wh-probe-$name" 3 --clients 1
    drain "wh-probe-$name" 3 60 || bk_die "the probe's events did not arrive (see $work/worker-*-$name.log, $work/receiver-$name.log)"
    curl -sf -X POST "http://127.0.0.1:$rport/_control/reset" >/dev/null || bk_die "the receiver did not reset"

    local c0 c1 t0 t1 x0 x1 settled=yes
    xacts() { sql "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'bookiji'"; }
    sql "CHECKPOINT" >/dev/null
    if [ "$pg_stats" = 1 ]; then sql "SELECT pg_stat_statements_reset()" >/dev/null; fi
    x0=$(xacts) c0=$(cpu_sample) t0=$(date +%s.%N)
    drive "$prefix" "$events" --clients "$clients" --rate "$rate"
    drain "$prefix" "$events" "$drain_timeout" || settled=no
    t1=$(date +%s.%N) c1=$(cpu_sample) x1=$(xacts)
    if [ "$pg_stats" = 1 ]; then bk_pg_stats_top 25 >"$work/pg-statements-$name.txt"; fi
    sleep 1  # a late duplicate would come now or not at all (leases last 60 s)
    stop_workers
    bk_stop_pidfile "$work/receiver.pid" receiver 20
    [ -s "$work/records-$name.tsv" ] || bk_die "the receiver wrote no records (see $work/receiver-$name.log)"

    sql "COPY (SELECT 'evt_' || lpad(o.id::text, 12, '0'), o.reservation_id, o.payload->>'sequence', o.payload->>'occurredAt', o.topic
               FROM outbox o JOIN reservations r ON r.id = o.reservation_id
               WHERE o.topic LIKE 'reservation.%' AND r.requester_id LIKE '$prefix-%') TO STDOUT" >"$work/expected-$name.tsv"
    sql "COPY (SELECT d.event_id, d.status, d.attempts, extract(epoch FROM d.created_at) FROM webhook_deliveries d
               JOIN reservations r ON r.id = d.reservation_id
               WHERE d.endpoint_id = '$endpoint_id' AND r.requester_id LIKE '$prefix-%') TO STDOUT" \
        >"$work/deliveries-$name.tsv"
    local rc=0 target=()
    [ "$name" = healthy ] && target=(--latency-target)
    python3 "$py" report --phase "$name" --events "$events" --records "$work/records-$name.tsv" \
        --expected "$work/expected-$name.tsv" --deliveries "$work/deliveries-$name.tsv" --load "$work/load-$prefix.json" \
        --clients "$clients" --rate "$rate" "${target[@]}" >"$work/report-$name.txt" 2>&1 || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$work/report-$name.txt" >&2; bk_die "the report failed"; }
    [ "$rc" = 0 ] || failed=1
    local window cpu
    window=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" -v w="$window" -v n="$events" -v cores="$(nproc)" \
        -v driver="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["driver_cpu_s"])' "$work/load-$prefix.json")" '
        BEGIN {
            split(a, x, " "); split(b, y, " "); split("responder nginx postgres workers receiver", name, " ")
            for (i = 1; i <= 5; i++) {
                s = (y[i] - x[i]) / hz; tot += s
                out = out sprintf("%s %.2f (%.2f ms), ", name[i], s / w, 1000 * s / n)
            }
            tot += driver
            printf "%sdriver %.2f (%.2f ms); all %.2f of %d cores", out, driver / w, 1000 * driver / n, tot / w, cores
        }')
    results+=(
        "phase $name  receiver answers 500 to ${fail}% of requests; ${window} s from the driver's start to the last delivery (drained: $settled)"
    )
    while IFS= read -r line; do results+=("$line"); done <"$work/report-$name.txt"
    results+=(
        "  database    $(( (x1 - x0) / events )) transactions in database bookiji per event ($((x1 - x0)) in the phase)"
        "  cpu         per second of the phase (per event): $cpu"
    )
    if [ "$pg_stats" = 1 ]; then
        results+=("  statements  costliest in the phase (total, calls, rows, mean; all in $work/pg-statements-$name.txt):")
        while IFS= read -r line; do results+=("              $line"); done < <(head -n 8 "$work/pg-statements-$name.txt")
    fi
}

IFS=, read -r -a phase_list <<<"$phases"
for phase in "${phase_list[@]}"; do
    if [ "$phase" = healthy ]; then run_phase healthy 0; else run_phase failing "$fail_percent"; fi
done

cat <<EOF
Bookiji Core webhooks benchmark (issue 13, point 6)
$(bk_bench_environment "$load")
  services   responder $threads threads; $workers worker(s), --webhook-concurrency $concurrency, --webhook-retry-scale $retry_scale, payments off; receiver webhooks.py (Python, a thread per connection)
  load       $events events a phase: reservations over $vendors vendors, each hold -> vendor confirm -> cancel through nginx; $clients driver clients$([ "$rate" = 0 ] || echo ", at most $rate calls/s")
EOF
echo
for line in "${results[@]}"; do echo "$line"; done
if [ "$failed" = 1 ]; then
    bk_log "a check or the target FAILED (see above)"
    [ "$strict" = 1 ] && exit 1
fi
exit 0
