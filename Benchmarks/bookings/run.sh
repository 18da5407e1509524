#!/usr/bin/env bash
# Benchmarks/bookings/run.sh — full bookings through nginx, the worker and a fake Stripe (issue 12, point 9).
#
#   Benchmarks/bookings/run.sh [--duration S] [--warmup S] [--phases a,b] [--workers W]
#                              [--payment-concurrency P] [--clients N] [--max-pending M]
#                              [--vendors V] [--scale K] [--pgbench-clients C] [--threads T] [--strict] [--keep]
#   Benchmarks/bookings/run.sh --invariants [--bookings N] [--fault-percent F] [--kills K]
#                              [--latency-ms L] [--workers W] [--payment-concurrency P] [--keep]
#
#   --duration S             measured seconds of each phase, pgbench's -T (default 20)
#   --warmup S               seconds of bookings before each measured window (default 5)
#   --phases LIST            a (fake at 0 ms), b (fake at 200 ms), or a,b (default)
#   --workers W              `bookiji worker` processes (default 2)
#   --payment-concurrency P  each worker's --payment-concurrency (default 64)
#   --clients N              driver threads, one keep-alive connection each (default 8)
#   --max-pending M          the driver starts a booking only while fewer than M reservations
#                            are unfinished (default 2 x W x P)
#   --vendors V              vendors the bookings are spread over (default 1000)
#   --scale K                pgbench -i -s K (default 10)
#   --pgbench-clients C      pgbench -c C -j 2 (default 4)
#   --threads T              responder threads (default 4)
#   --pg-stats               load pg_stat_statements and list each window's costliest statements
#   --invariants             the crash-and-fault run instead of the throughput phases:
#   --bookings N             bookings it submits (default 10000)
#   --fault-percent F        bookings whose capture fails for good (default 5; 100/F must be whole)
#   --kills K                worker SIGKILLs during the run, each followed by a restart (default 2)
#   --latency-ms L           the fake's latency in the invariants run (default 20)
#   --drain-timeout S        longest wait for the last bookings to settle (default 600)
#   --strict                 exit 1 when a throughput target is missed
#   --keep                   keep the scratch directory (logs of every process, driver statistics)
#
# Builds release (or takes BOOKIJI_BIN; fake-stripe is taken from beside it, or FAKE_STRIPE_BIN),
# starts a private PostgreSQL with its durable defaults, the responder (with a Stripe webhook
# secret) and nginx (rate limit effectively off: the fake's webhooks come from 127.0.0.1 too),
# all in one scratch directory and stopped on exit. Creates a partner (limits out of reach) and V
# vendors open every day 06:00-22:00 UTC with 30-minute slots, payment settings (50.00 EUR, deposit
# 10.00, fee 5.00) and a vendor key each (the CLI makes the first, SQL copies it).
#
# Each phase starts fake-stripe (`--latency-ms` 0 for a, 200 for b; webhooks signed and posted to
# nginx) and W workers calling it, proves the path with one booking walked to COMMITTED, then runs
# bookings.py's load driver: hold -> vendor confirm -> vendor authorize -> requester authorize
# (pm_card_visa), the worker doing both authorizations, the revalidation and both captures.
# After the warm-up, pgbench's tpcb-like (database `pgbench` of the same cluster) runs S seconds:
# that is the measured window (pgbench also runs alone once, before the phases, for scale). Then
# the driver stops and the last bookings settle. Reported per phase, from reservation_transitions:
# reservations that reached COMMITTED inside the window per second, the time from AUTHORIZED_BOTH
# to COMMITTED and from the hold to COMMITTED of those (p50, p99, max), the transactions of
# database bookiji per committed booking, how late the fake's webhooks came, pgbench's TPS, the
# CPU each process group used in the window (PostgreSQL's split between the bookings and
# pgbench), and the states every booking of the phase ended in. Targets: a, committed/s >= 0.1 x
# pgbench TPS; b, committed/s >= 50 and p99 AUTHORIZED_BOTH -> COMMITTED < 1 s.
#
# --invariants: one fake (latency L) and W workers; the driver submits N bookings; for F% of them
# (every 100/F-th) it waits for both intents, then arms an `api_error` fault on capture with
# times 5 on one of them (vendor's and requester's in turn): the worker's five capture attempts all
# fail, so the commit must fail and be compensated (the vendor's deposit refunded when the
# requester's capture is the one failing). At N/(K+1), 2N/(K+1), ... reservations a worker is
# killed with SIGKILL and started again (workers in turn). When the driver is done the script
# waits until no reservation is active and no payment or Stripe-event outbox row is pending,
# then bookings.py check reads every intent and its refunds from the fake and checks:
#   money captured <=> COMMITTED   both legs captured in full and not refunded iff COMMITTED
#   failed intents end canceled or refunded   every intent of any other terminal reservation
#   no intent captured twice       amount_received <= amount, at most one refund, refunds <= capture,
#                                  no capture recorded as succeeded twice in operation_records
#   nothing non-terminal           every reservation terminal; no payment/event outbox row pending
#   no authorization left open     amount_capturable 0 for every intent
#   every intent the fake reported belongs to a leg (intent ids from stored Stripe events too)
# and exits 1 if any fails.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench-bookings"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

duration=20 warmup=5 phases=a,b workers=2 concurrency=64 clients=8 max_pending="" vendors=1000 scale=10
pgbench_clients=4 threads=4 pg_stats=0 invariants=0 bookings=10000 fault_percent=5 kills=2 inv_latency=20 drain_timeout=600
strict=0 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --warmup) warmup=${2:?}; shift 2 ;;
        --phases) phases=${2:?}; shift 2 ;;
        --workers) workers=${2:?}; shift 2 ;;
        --payment-concurrency) concurrency=${2:?}; shift 2 ;;
        --clients) clients=${2:?}; shift 2 ;;
        --max-pending) max_pending=${2:?}; shift 2 ;;
        --vendors) vendors=${2:?}; shift 2 ;;
        --scale) scale=${2:?}; shift 2 ;;
        --pgbench-clients) pgbench_clients=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --pg-stats) pg_stats=1; shift ;;
        --invariants) invariants=1; shift ;;
        --bookings) bookings=${2:?}; shift 2 ;;
        --fault-percent) fault_percent=${2:?}; shift 2 ;;
        --kills) kills=${2:?}; shift 2 ;;
        --latency-ms) inv_latency=${2:?}; shift 2 ;;
        --drain-timeout) drain_timeout=${2:?}; shift 2 ;;
        --strict) strict=1; shift ;;
        --keep) keep=1; shift ;;
        *) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
max_pending=${max_pending:-$((2 * workers * concurrency))}
for v in "$duration" "$warmup" "$workers" "$concurrency" "$clients" "$max_pending" "$vendors" "$scale" \
    "$pgbench_clients" "$threads" "$bookings" "$fault_percent" "$kills" "$inv_latency" "$drain_timeout"; do
    [[ "$v" =~ ^[0-9]+$ ]] || bk_die "numeric options want whole numbers, got '$v'"
done
if [ "$duration" -lt 1 ] || [ "$workers" -lt 1 ] || [ "$concurrency" -lt 1 ] || [ "$clients" -lt 1 ] \
    || [ "$vendors" -lt 1 ] || [ "$bookings" -lt 1 ] || [ "$max_pending" -lt 1 ]; then
    bk_die "--duration, --workers, --payment-concurrency, --clients, --max-pending, --vendors and --bookings must be at least 1"
fi
[[ "$phases" =~ ^(a|b|a,b|b,a)$ ]] || bk_die "--phases is a, b or a,b"
fault_every=0
if [ "$fault_percent" -gt 0 ]; then
    [ $((100 % fault_percent)) -eq 0 ] || bk_die "--fault-percent must divide 100 (every 100/F-th booking is faulted)"
    fault_every=$((100 / fault_percent))
fi

[ -n "${BOOKIJI_BIN:-}" ] || bk_require_swift
bk_ensure_packages "${BK_PACKAGES[@]}"
command -v python3 >/dev/null || bk_die "python3 is needed for the load driver"
bin=$(bk_build_release)
fake_bin=${FAKE_STRIPE_BIN:-$(dirname "$bin")/fake-stripe}
[ -x "$fake_bin" ] || bk_die "no fake-stripe at $fake_bin (build it with the release product, or set FAKE_STRIPE_BIN)"
pgbin=$(pg_config --bindir 2>/dev/null || true)
if [ -x "$pgbin/pgbench" ]; then pgbench="$pgbin/pgbench"; else pgbench=$(command -v pgbench) \
    || bk_die "pgbench not found (package postgresql-contrib, or postgresql-client)"; fi
driver="$here/bookings.py"
stripe_key=sk_test_bench webhook_secret=whsec_bench

bk_bench_workspace bench-bookings
worker_count=0
# The EXIT trap (scripts/lib.sh) also stops the driver, the workers and the fake by their pid files.

# No --ephemeral: commits are durable, as in production and in the other write benchmark.
bk_bench_database "$bin"
sql() { bk_sql "$1"; }
if [ "$pg_stats" = 1 ]; then bk_pg_stats_enable; fi
bk_bench_partner "$bin"

# Vendors as in Benchmarks/reservations, each with a key (scripts/lib.sh).
open=$BK_VENDOR_OPEN slot=$BK_VENDOR_SLOT slots=$BK_VENDOR_SLOTS
started=$(date +%s.%N)
bk_bench_vendors "$bin" "$vendors"
setup_s=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
bk_log "setup: $vendors vendors with rules, payment settings and keys in ${setup_s}s"

if [ "$invariants" = 0 ]; then
    sql "CREATE DATABASE pgbench" >/dev/null
    pgbench_url=${url/\/bookiji\?//pgbench?}
    [ "$pgbench_url" != "$url" ] || bk_die "cannot derive the pgbench database URL from $url"
    bk_log "pgbench -i -s $scale"
    "$pgbench" -i -q -s "$scale" "$pgbench_url" >"$work/pgbench-init.log" 2>&1 \
        || { tail -n 20 "$work/pgbench-init.log" >&2; bk_die "pgbench -i failed"; }
fi

# Limit effectively off: the driver and the fake's webhooks all come from 127.0.0.1.
BOOKIJI_STRIPE_WEBHOOK_SECRET=$webhook_secret bk_bench_serve "$bin" "$threads"

# The first bookable day: the day after tomorrow (UTC).
first_day=$(( ($(date -u +%s) / 86400 + 2) * 86400 ))
next_index=0

# start_fake LATENCY_MS — fake-stripe on a free port, webhooks to nginx; sets fake_port.
start_fake() {
    fake_port=$(bk_free_port 127.0.0.1 12111)
    "$fake_bin" --port "$fake_port" --webhook-url "$base/v1/stripe/webhooks" --webhook-secret "$webhook_secret" \
        --latency-ms "$1" >"$work/fake-stripe-$1ms.log" 2>&1 </dev/null &
    echo $! >"$work/fake.pid"
    bk_wait_for_http "http://127.0.0.1:$fake_port/_control/health" 20 || bk_die "fake-stripe did not start"
}

# start_worker N — (re)starts worker N against the fake; its pid in $work/worker-N.pid.
start_worker() {
    worker_count=$((worker_count + 1))
    BOOKIJI_STRIPE_SECRET_KEY=$stripe_key "$bin" worker --database "$url" --stripe-api-base "http://127.0.0.1:$fake_port" \
        --payment-concurrency "$concurrency" --no-calendar-sync >"$work/worker-$1-$worker_count.log" 2>&1 </dev/null &
    echo $! >"$work/worker-$1.pid"
}

stop_workers_and_fake() {
    local i
    for ((i = 1; i <= workers; i++)); do bk_stop_pidfile "$work/worker-$i.pid" "worker $i" 30; done
    bk_stop_pidfile "$work/fake.pid" fake-stripe 10
}

# drive NAME ARGS... — the load driver in the background from next_index on; pid in $work/driver.pid.
drive() {
    local name=$1; shift
    python3 "$driver" load --base "$base" --partner-key "$key" --vendors "$work/vendors.txt" --first-day "$first_day" \
        --open "$open" --slot "$slot" --slots "$slots" --start-index "$next_index" --database "$url" \
        --out "$work/load-$name.json" "$@" 2>"$work/driver-$name.log" &
    echo $! >"$work/driver.pid"
}

# finish_drive NAME — waits for the driver; advances next_index past the bookings it took.
finish_drive() {
    local pid rc=0
    pid=$(head -n1 "$work/driver.pid")
    wait "$pid" || rc=$?
    rm -f "$work/driver.pid"
    [ "$rc" = 0 ] || { cat "$work/driver-$1.log" >&2; bk_die "the load driver failed (see $work/load-$1.json)"; }
    next_index=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["next_index"])' "$work/load-$1.json")
}

active_sql="SELECT count(*) FROM reservations WHERE state NOT IN ('COMMITTED', 'FAILED_VENDOR_TIMEOUT', 'FAILED_VENDOR_AUTH',
    'FAILED_REQUESTER_AUTH', 'FAILED_AVAILABILITY_CHANGED', 'FAILED_COMMIT', 'EXPIRED', 'CANCELLED')"
pending_sql="SELECT count(*) FROM outbox WHERE topic IN ('payment.advance', 'stripe.event') AND delivered_at IS NULL AND dead_at IS NULL"

# drain SECONDS — waits until no reservation is active and no payment or event row is pending.
drain() {
    local deadline=$(( $(date +%s) + $1 )) active pending last=0
    while :; do
        active=$(sql "$active_sql") pending=$(sql "$pending_sql")
        [ "$active" = 0 ] && [ "$pending" = 0 ] && return 0
        [ "$(date +%s)" -lt "$deadline" ] || { bk_log "not settled after ${1}s: $active active, $pending outbox rows pending"; return 1; }
        if [ $(( $(date +%s) - last )) -ge 15 ]; then
            bk_log "settling: $active reservations active, $pending payment/event outbox rows pending"
            last=$(date +%s)
        fi
        sleep 1
    done
}

# probe — one booking walked to COMMITTED before the load: proves the responder, nginx, the
# webhook secret, the worker and the fake work together.
probe() {
    drive probe --count 1 --clients 1
    finish_drive probe
    local i state=""
    for ((i = 0; i < 300; i++)); do
        state=$(sql "SELECT r.state FROM reservations r JOIN reservation_transitions t ON t.reservation_id = r.id
                     WHERE t.to_state = 'HELD' ORDER BY t.occurred_at DESC LIMIT 1")
        [ "$state" = COMMITTED ] && return 0
        sleep 0.1
    done
    bk_die "the probe booking is $state after 30s, not COMMITTED (see $work/worker-*.log, $work/load-probe.json)"
}

# sample_pgbench_backends FILE — every 0.5 s, "pid ticks" of each backend serving database
# pgbench, until killed: their last sample is their CPU in the window (they exit with pgbench, and
# an exited backend's time is only known summed into the postmaster's cutime).
sample_pgbench_backends() {
    local pm p
    pm=$(head -n1 "$pg/data/postmaster.pid")
    while :; do
        for p in $(pgrep -P "$pm"); do
            case "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" in
                *" pgbench "*) echo "$p $(bk_cpu_ticks "$p")" ;;
            esac
        done >>"$1"
        sleep 0.5
    done
}
# cpu_sample — "responder nginx postgres workers fake driver" ticks so far.
cpu_sample() {
    local w=() i
    for ((i = 1; i <= workers; i++)); do w+=("$(head -n1 "$work/worker-$i.pid")"); done
    # shellcheck disable=SC2046 # one pid per word
    echo "$(bk_cpu_ticks "$(head -n1 "$work/bookiji.pid")") $(bk_nginx_ticks) $(bk_postgres_ticks)" \
        "$(bk_cpu_ticks "${w[@]}") $(bk_cpu_ticks "$(head -n1 "$work/fake.pid")") $(bk_cpu_ticks "$(head -n1 "$work/driver.pid")")"
}

results=()
missed=0

# run_phase NAME LATENCY_MS — one measured phase; appends its lines to results.
run_phase() {
    local name=$1 latency=$2
    bk_log "phase $name: fake-stripe at ${latency} ms, $workers workers x payment concurrency $concurrency"
    start_fake "$latency"
    local i
    for ((i = 1; i <= workers; i++)); do start_worker "$i"; done
    probe
    local phase_start
    phase_start=$(date +%s.%N)
    sql "CHECKPOINT" >/dev/null
    drive "$name" --clients "$clients" --max-pending "$max_pending"
    sleep "$warmup"
    local c0 c1 t0 t1 pg0 pgrc=0 x0 x1
    xacts() { sql "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'bookiji'"; }
    if [ "$pg_stats" = 1 ]; then sql "SELECT pg_stat_statements_reset()" >/dev/null; fi
    x0=$(xacts) c0=$(cpu_sample) t0=$(date +%s.%N)
    mkdir -p "$work/pgbench-$name"
    sample_pgbench_backends "$work/pgbench-backends-$name.txt" &
    local sampler=$!
    (
        cd "$work/pgbench-$name" && "$pgbench" -c "$pgbench_clients" -j 2 -T "$duration" -b tpcb-like -n -l \
            --log-prefix=tx "$pgbench_url" >"$work/pgbench-$name.log" 2>&1
        rc=$?
        awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$BASHPID/stat" >"$work/pgbench-$name.ticks"
        exit $rc
    ) || pgrc=$?
    # Backends report their counts about once a second: both ends lag alike.
    t1=$(date +%s.%N) c1=$(cpu_sample) x1=$(xacts)
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    local pgb_backends
    pgb_backends=$(awk '{ if ($2 > m[$1]) m[$1] = $2 } END { for (p in m) s += m[p]; print s + 0 }' \
        "$work/pgbench-backends-$name.txt" 2>/dev/null || echo 0)
    if [ "$pg_stats" = 1 ]; then bk_pg_stats_top 25 >"$work/pg-statements-$name.txt"; fi
    pg0=$(cat "$work/pgbench-$name.ticks")
    bk_stop_pidfile "$work/driver.pid" driver 60
    [ -s "$work/load-$name.json" ] || { cat "$work/driver-$name.log" >&2; bk_die "the driver wrote no statistics"; }
    next_index=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["next_index"])' "$work/load-$name.json")
    [ "$pgrc" = 0 ] || bk_die "pgbench failed (see $work/pgbench-$name.log)"
    local settled=yes
    drain 300 || settled=no
    stop_workers_and_fake

    local tps tps_avg tps_p99 failed
    tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$work/pgbench-$name.log")
    tps_avg=$(awk '/^latency average = / { printf "%.2f", $4 }' "$work/pgbench-$name.log")
    failed=$(awk '/^number of failed transactions: / { print $5; f = 1 } END { if (!f) print 0 }' "$work/pgbench-$name.log")
    tps_p99=$(cat "$work/pgbench-$name"/tx.* | awk '{ print $3 }' | sort -n \
        | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", v[i] / 1000 }')
    # Reservations that reached COMMITTED inside the window, and how long the commit took them.
    # Instants from reservation_transitions (clock_timestamp()): reservations.created_at is the
    # responder's clock in whole seconds.
    local figures
    figures=$(sql "
        WITH c AS (
            SELECT reservation_id, occurred_at FROM reservation_transitions
            WHERE to_state = 'COMMITTED' AND occurred_at >= to_timestamp($t0) AND occurred_at < to_timestamp($t1)
        ), d AS (
            SELECT extract(epoch FROM c.occurred_at - (SELECT max(occurred_at) FROM reservation_transitions t
                       WHERE t.reservation_id = c.reservation_id AND t.to_state = 'AUTHORIZED_BOTH')) AS commit_s,
                   extract(epoch FROM c.occurred_at - (SELECT min(occurred_at) FROM reservation_transitions t
                       WHERE t.reservation_id = c.reservation_id AND t.to_state = 'HELD')) AS booking_s
            FROM c
        )
        SELECT count(*),
               round((count(*) / ($t1 - $t0))::numeric, 1),
               coalesce(round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY commit_s)::numeric), 0),
               coalesce(round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY commit_s)::numeric), 0),
               coalesce(round(1000 * max(commit_s)::numeric), 0),
               coalesce(round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY booking_s)::numeric), 0),
               coalesce(round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY booking_s)::numeric), 0),
               (SELECT count(*) FROM reservation_transitions
                WHERE to_state = 'HELD' AND occurred_at >= to_timestamp($t0) AND occurred_at < to_timestamp($t1))
        FROM d" | tr '|' ' ')
    local n_committed rate c50 c99 cmax b50 b99 holds
    read -r n_committed rate c50 c99 cmax b50 b99 holds <<<"$figures"
    # The fake posts its events one at a time: how far behind the webhooks were in the window.
    local events ev_n ev_lag
    events=$(sql "SELECT count(*), coalesce(max(extract(epoch FROM received_at) - (payload->>'created')::bigint)::int, 0)
                  FROM stripe_events WHERE received_at >= to_timestamp($t0) AND received_at < to_timestamp($t1)" | tr '|' ' ')
    read -r ev_n ev_lag <<<"$events"
    local outcomes
    outcomes=$(sql "SELECT string_agg(state || ' ' || n, ', ' ORDER BY n DESC) FROM (
        SELECT r.state, count(*) AS n FROM reservations r JOIN reservation_transitions t ON t.reservation_id = r.id
        WHERE t.to_state = 'HELD' AND t.occurred_at >= to_timestamp($phase_start) GROUP BY r.state) s")
    local cpu
    # PostgreSQL's time is split: the backends serving pgbench, and the rest (the bookings).
    cpu=$(awk -v a="$c0" -v b="$c1" -v pgb="$pg0" -v pgbe="$pgb_backends" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" \
        -v n="$n_committed" -v cores="$(nproc)" '
        BEGIN {
            split(a, x, " "); split(b, y, " "); split("responder nginx postgres workers fake driver", name, " ")
            w = t1 - t0; if (n < 1) n = 1
            for (i = 1; i <= 6; i++) {
                s = (y[i] - x[i]) / hz; tot += s
                if (name[i] == "postgres") { s -= pgbe / hz; name[i] = "postgres for bookiji" }
                out = out sprintf("%s %.2f (%.1f ms), ", name[i], s / w, 1000 * s / n)
            }
            s = pgb / hz; tot += s
            printf "%spostgres for pgbench %.2f, pgbench %.2f; all %.2f of %d cores", out, pgbe / hz / w, s / w, tot / w, cores
        }')
    local verdict ok
    if [ "$name" = a ]; then
        ok=$(awk -v r="$rate" -v t="$tps" 'BEGIN { print (t > 0 && r >= 0.1 * t) ? 1 : 0 }')
        verdict=$(awk -v r="$rate" -v t="$tps" -v ok="$ok" 'BEGIN {
            printf "committed/pgbench %.3f (target >= 0.100: %s)", (t > 0 ? r / t : 0), (ok ? "met" : "MISSED") }')
    else
        ok=$(awk -v r="$rate" -v p="$c99" 'BEGIN { print (r >= 50 && p < 1000) ? 1 : 0 }')
        verdict=$(awk -v r="$rate" -v p="$c99" 'BEGIN {
            printf "committed/s %.1f (target >= 50: %s), p99 AUTHORIZED_BOTH->COMMITTED %d ms (target < 1000: %s)",
                r, (r >= 50 ? "met" : "MISSED"), p, (p < 1000 ? "met" : "MISSED") }')
    fi
    [ "$ok" = 1 ] || missed=1
    local load_stats
    load_stats=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
steps = ", ".join("%s p50 %.1f/p99 %.1f ms" % (k, v["p50_ms"], v["p99_ms"]) for k, v in s["steps"].items())
bad = {k: v for k, v in s["status"].items() if not k.endswith((" 200", " 201", " 202"))}
print("%d bookings submitted; %s; unexpected answers %s; waited for the pending cap %.0f thread-s" % (
    s["submitted"], steps, bad or "none", s["waited_for_pending_s"]))' "$work/load-$name.json")
    results+=(
        "phase $name  fake latency ${latency} ms, window $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
        "  committed   $n_committed in the window: $rate/s (holds placed in the window: $holds)"
        "  commit      AUTHORIZED_BOTH -> COMMITTED p50 $c50 ms, p99 $c99 ms, max $cmax ms; hold -> COMMITTED p50 $b50 ms, p99 $b99 ms"
        "  database    $(( (x1 - x0) / (n_committed > 0 ? n_committed : 1) )) transactions in database bookiji per committed booking ($((x1 - x0)) in the window)"
        "  events      $ev_n Stripe events received in the window ($(awk -v e="$ev_n" -v n="$n_committed" 'BEGIN { printf "%.1f", e / (n > 0 ? n : 1) }') per committed booking), received up to ${ev_lag} s after the fake created them"
        "  pgbench     $tps TPS, latency average $tps_avg ms, p99 $tps_p99 ms, failed transactions $failed"
        "  cpu         per second of the window (per committed booking): $cpu"
        "  driver      $load_stats"
        "  outcome     $outcomes; settled after the run: $settled"
        "  target      $verdict"
    )
    if [ "$pg_stats" = 1 ]; then
        results+=("  statements  costliest in the window (total, calls, rows, mean; all in $work/pg-statements-$name.txt):")
        while IFS= read -r line; do results+=("              $line"); done < <(head -n 8 "$work/pg-statements-$name.txt")
    fi
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
header() {
    cat <<EOF
Bookiji Core bookings benchmark (issue 12, point 9)
$(bk_bench_environment "$load")
  services   responder $threads threads; $workers workers, --payment-concurrency $concurrency each; fake-stripe (one process)
  data       $vendors vendors open 06:00-22:00 UTC, 30-minute slots, 50.00 EUR with a 10.00 deposit (setup ${setup_s}s)
EOF
}

if [ "$invariants" = 1 ]; then
    start_fake "$inv_latency"
    for ((i = 1; i <= workers; i++)); do start_worker "$i"; done
    probe
    fault_args=()
    [ "$fault_every" -gt 0 ] && fault_args=(--fault-every "$fault_every" --fake "http://127.0.0.1:$fake_port")
    run_start=$(date +%s.%N)
    rows_before=$(sql "SELECT count(*) FROM reservations")
    drive invariants --count "$bookings" --clients "$clients" --max-pending "$max_pending" "${fault_args[@]}"
    killed=0 kill_log=()
    driver_pid=$(head -n1 "$work/driver.pid")
    while kill -0 "$driver_pid" 2>/dev/null; do
        if [ "$killed" -lt "$kills" ]; then
            placed=$(( $(sql "SELECT count(*) FROM reservations") - rows_before ))
            if [ "$placed" -ge $(( (killed + 1) * bookings / (kills + 1) )) ]; then
                victim=$(( killed % workers + 1 ))
                vpid=$(head -n1 "$work/worker-$victim.pid")
                active=$(sql "$active_sql")
                kill -KILL "$vpid"
                wait "$vpid" 2>/dev/null || true
                start_worker "$victim"
                killed=$((killed + 1))
                kill_log+=("SIGKILL worker $victim (pid $vpid) after $placed holds, $active reservations active; restarted")
                bk_log "${kill_log[-1]}"
            fi
        fi
        sleep 0.5
    done
    finish_drive invariants
    submit_s=$(awk -v s="$run_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
    settled=yes
    drain "$drain_timeout" || settled=no
    settle_s=$(awk -v s="$run_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
    rc=0
    python3 "$driver" check --database "$url" --fake "http://127.0.0.1:$fake_port" --faults "$work/load-invariants.json" \
        --clients 32 >"$work/check.txt" 2>&1 || rc=$?
    stop_workers_and_fake
    header
    cat <<EOF
  run        --invariants: $bookings bookings, fake at ${inv_latency} ms, capture faults on every ${fault_every}th booking,
             $killed worker SIGKILLs; submitted in ${submit_s}s, settled ${settled} ${settle_s}s after the start
EOF
    for line in "${kill_log[@]}"; do echo "  kill       $line"; done
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
bad = {k: v for k, v in s["status"].items() if not k.endswith((" 200", " 201", " 202"))}
print("  driver     %d bookings submitted, unexpected answers: %s" % (s["submitted"], bad or "none"))
for e in s["errors"][:5]: print("             %s" % e)' "$work/load-invariants.json"
    echo
    cat "$work/check.txt"
    [ "$rc" = 0 ] || bk_log "INVARIANTS FAILED (logs kept in $work)"
    exit "$rc"
fi

# pgbench with nothing else running, for scale: what the bookings take from it.
sql "CHECKPOINT" >/dev/null
"$pgbench" -c "$pgbench_clients" -j 2 -T "$duration" -b tpcb-like -n "$pgbench_url" >"$work/pgbench-alone.log" 2>&1 \
    || bk_die "pgbench failed (see $work/pgbench-alone.log)"
alone_tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$work/pgbench-alone.log")
IFS=, read -r -a phase_list <<<"$phases"
for phase in "${phase_list[@]}"; do
    if [ "$phase" = a ]; then run_phase a 0; else run_phase b 200; fi
done
header
cat <<EOF
  load       bookings.py: $clients client threads through nginx, at most $max_pending unfinished; ${warmup}s warm-up,
             then pgbench -c $pgbench_clients -j 2 -T $duration (tpcb-like, scale $scale) on the same cluster: the window
  pgbench    alone, before the phases: $alone_tps TPS
EOF
echo
for line in "${results[@]}"; do echo "$line"; done
if [ "$strict" = 1 ] && [ "$missed" = 1 ]; then exit 1; fi
exit 0
