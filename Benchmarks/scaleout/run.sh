#!/usr/bin/env bash
# Benchmarks/scaleout/run.sh — availability through two responders on one database, under a hold
# load, with and without the LISTEN-based cache invalidation (issue 16, point 7).
#
#   Benchmarks/scaleout/run.sh [--duration S] [--threads N] [--connections C] [--hold-connections H]
#                              [--vendors V] [--keep]
#
#   --duration S          seconds of each measured phase (default 10)
#   --threads N           threads of each responder (default 2)
#   --connections C       wrk connections per front door for availability (default 16)
#   --hold-connections H  wrk connections placing holds through front door A (default 1)
#   --vendors V           vendors (default 1000)
#   --keep                keep the scratch directory
#
# Starts a private durable PostgreSQL, two responders A and B (release build, cache on), each
# behind its own nginx (two front doors, as two hosts would have), V vendors open 06:00-22:00 UTC
# (Benchmarks/reservations' vendors) and two 7-day windows from the day after tomorrow. Every
# answer is fetched once through each door before each phase that reads (warm caches). Then four phases, each S seconds; wrk
# sends availability (random vendor and window, availability.lua) to both doors at once in all
# but `holds`:
#   reads      availability only
#   holds      holds alone through door A (reservations.lua, H connections): what a hold costs
#   listen     availability plus holds through door A: every hold bumps one vendor's revision; the NOTIFY drops B's cached answers of that vendor
#              within milliseconds, so only the changed vendors' answers are computed again
#   poll       the same hold load with both responders restarted with --no-revision-listener and
#              --availability-revision-seconds 0: the other way to be fresh across responders,
#              reading the vendor's revision from the database for every cached answer
# For each phase it prints availability req/s (both doors), holds/s, the cache hit ratio of each
# responder (bookiji_availability_cache_lookups_total from /metrics), PostgreSQL transactions per
# availability answer (per hold in `holds`), and the CPU µs per request of the responders,
# PostgreSQL and nginx (from /proc; per request of either kind in the mixed phases). A non-2xx
# availability answer, a hold answered other than 201, or a socket error makes the run invalid
# (exit 1).
# BOOKIJI_BIN=/path/to/bookiji benchmarks that binary instead of building one.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench-scaleout"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

duration=10 threads=2 connections=16 hold_connections=1 vendors=1000 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --hold-connections) hold_connections=${2:?}; shift 2 ;;
        --vendors) vendors=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        *) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
for v in "$duration" "$threads" "$connections" "$hold_connections" "$vendors"; do
    { [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ]; } || bk_die "numeric options want whole numbers of at least 1, got '$v'"
done

[ -n "${BOOKIJI_BIN:-}" ] || bk_require_swift
bk_ensure_packages "${BK_PACKAGES[@]}" wrk
bin=$(bk_build_release)

bk_bench_workspace bench-scaleout
bk_bench_database "$bin"
bk_bench_partner "$bin"
bk_bench_vendors "$bin" "$vendors"
awk '{ print $1, 30 }' "$work/vendors.txt" >"$work/vendor-slots.txt"
cut -d' ' -f1 "$work/vendors.txt" >"$work/vendor-ids.txt"

first_day=$(( ($(date -u +%s) / 86400 + 2) * 86400 ))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
for w in 0 1; do
    from=$((first_day + w * 7 * 86400))
    echo "startTime=$(iso "$from")&endTime=$(iso $((from + 7 * 86400)))"
done >"$work/windows.txt"

# Door D (a or b): responder socket $work/D.sock, pid $work/responder-D.pid, nginx in $work/nginx-D
# (its master's pid copied to $work/nginx-D.pid so the EXIT trap stops it).
declare -A door_port=()
doors=0
start_responder() { # start_responder D [SERVE-ARGS...]
    local d=$1; shift
    rm -f "$work/$d.sock"
    "$bin" serve --socket "$work/$d.sock" --socket-mode 0666 --threads "$threads" --database "$url" "$@" \
        >>"$work/responder-$d.log" 2>&1 </dev/null &
    echo $! >"$work/responder-$d.pid"
    bk_wait_for_socket "$work/$d.sock" 20 "$!" || { tail -n 20 "$work/responder-$d.log" >&2; bk_die "responder $d did not start"; }
}
start_door() { # start_door D — nginx for responder D on a free port
    local d=$1 port
    port=$(bk_free_port 127.0.0.1 $((18080 + doors * 10)))
    doors=$((doors + 1))
    "$BK_SCRIPTS/nginx-conf" --out "$work/nginx-$d" --listen "127.0.0.1:$port" --socket "$work/$d.sock" \
        --rate 1000000r/s --burst 1000000 --conn-limit 65535 >/dev/null
    nginx -p "$work/nginx-$d" -c "$work/nginx-$d/nginx.conf" -e "$work/nginx-$d/error.log" \
        || bk_die "nginx $d did not start; see $work/nginx-$d/error.log"
    cp "$work/nginx-$d/nginx.pid" "$work/nginx-$d.pid"
    door_port[$d]=$port
    bk_wait_for_http "http://127.0.0.1:$port/v1/health" 30 || bk_die "door $d: /v1/health did not answer 200"
}
restart_responders() { # restart_responders [SERVE-ARGS...]
    local d
    for d in a b; do
        bk_stop_pidfile "$work/responder-$d.pid" "responder $d" 20
        start_responder "$d" "$@"
    done
}
auth="Authorization: Bearer $key"
for d in a b; do start_responder "$d"; start_door "$d"; done
grep -q 'revision listener' "$work/responder-a.log" \
    || bk_log "note: responder A's log does not mention the revision listener (is this binary older than it?)"

warm() { # warm D — every vendor and window through door D, over one connection; all must be 200
    awk -v base="http://127.0.0.1:${door_port[$1]}" 'NR == FNR { windows[++n] = $0; next }
        { for (w = 1; w <= n; w++)
              printf "url = \"%s/v1/vendors/%s/availability?%s&slotDuration=30&includeConfidence=true\"\noutput = \"/dev/null\"\n",
                     base, $1, windows[w] }' "$work/windows.txt" "$work/vendor-ids.txt" >"$work/warm-$1.curl"
    curl -s -H "$auth" -H "Accept-Encoding: gzip" -K "$work/warm-$1.curl" -w '%{http_code}\n' >"$work/warm-$1.txt" \
        || bk_die "curl failed while warming door $1"
    awk '$1 != 200 { bad++ } END { exit bad > 0 }' "$work/warm-$1.txt" || bk_die "warming door $1: some answers were not 200"
}

# lookups D — "hits misses" of responder D so far (its /metrics, read through its door).
lookups() {
    curl -s "http://127.0.0.1:${door_port[$1]}/metrics" | awk '
        /^bookiji_availability_cache_lookups_total/ && /result="hit"/ { h += $NF }
        /^bookiji_availability_cache_lookups_total/ && /result="miss"/ { m += $NF }
        END { printf "%d %d\n", h, m }'
}
xacts() { bk_sql "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'bookiji'"; }
cpu_now() { # "responders postgres nginx" ticks so far
    local -a ng=()
    local d n
    for d in a b; do n=$(head -n1 "$work/nginx-$d.pid"); ng+=("$n"); mapfile -t -O "${#ng[@]}" ng < <(pgrep -P "$n" || true); done
    echo "$(bk_cpu_ticks "$(head -n1 "$work/responder-a.pid")" "$(head -n1 "$work/responder-b.pid")") $(bk_postgres_ticks) $(bk_cpu_ticks "${ng[@]}")"
}

next_index=0
declare -A result
phase() { # phase NAME READS(0|1) HOLDS(0|1)
    local name=$1 reads=$2 holds=$3 x0 x1 c0 c1 t0 t1 hold_pid="" d a_h0 a_m0 b_h0 b_m0 a_h1 a_m1 b_h1 b_m1
    read -r a_h0 a_m0 < <(lookups a)
    read -r b_h0 b_m0 < <(lookups b)
    x0=$(xacts) c0=$(cpu_now) t0=$(date +%s.%N)
    for d in a b; do
        [ "$reads" = 1 ] || break
        wrk -t1 -c"$connections" -d"${duration}s" --latency -H "$auth" -H "Accept-Encoding: gzip" \
            -s "$here/../availability/availability.lua" "http://127.0.0.1:${door_port[$d]}/" \
            -- "$work/vendor-slots.txt" "$work/windows.txt" >"$work/wrk-$name-$d.txt" &
        echo $! >"$work/wrk-$d.pid"
    done
    if [ "$holds" = 1 ]; then
        wrk -t1 -c"$hold_connections" -d"${duration}s" --latency -H "$auth" -H "Content-Type: application/json" \
            -s "$here/../reservations/reservations.lua" "http://127.0.0.1:${door_port[a]}/v1/reservations" \
            -- "$work/vendor-ids.txt" "$next_index" 1 "$first_day" "$BK_VENDOR_OPEN" "$BK_VENDOR_SLOT" "$BK_VENDOR_SLOTS" \
            >"$work/wrk-$name-holds.txt" &
        hold_pid=$!
    fi
    if [ "$reads" = 1 ]; then
        wait "$(cat "$work/wrk-a.pid")" "$(cat "$work/wrk-b.pid")" || bk_die "wrk failed in phase $name"
        rm -f "$work/wrk-a.pid" "$work/wrk-b.pid"
    fi
    if [ -n "$hold_pid" ]; then wait "$hold_pid" || bk_die "the hold wrk failed in phase $name"; fi
    t1=$(date +%s.%N) c1=$(cpu_now) x1=$(xacts)
    read -r a_h1 a_m1 < <(lookups a)
    read -r b_h1 b_m1 < <(lookups b)
    local ra=0 pa=0 ea=none rb=0 pb=0 eb=none holds_n=0 holds_ok=0 holds_other=0
    if [ "$reads" = 1 ]; then
        read -r ra pa _ ea < <(bk_wrk_summary "$work/wrk-$name-a.txt")
        read -r rb pb _ eb < <(bk_wrk_summary "$work/wrk-$name-b.txt")
        for d in a b; do
            if grep -q 'Non-2xx' "$work/wrk-$name-$d.txt"; then bk_log "phase $name door $d: non-2xx answers"; invalid=1; fi
        done
    fi
    if [ "$ea" != none ] || [ "$eb" != none ]; then bk_log "phase $name: socket errors ($ea / $eb)"; invalid=1; fi
    if [ "$holds" = 1 ]; then
        holds_ok=$(awk '$1 == "status" && $2 == 201 { print $3 }' "$work/wrk-$name-holds.txt")
        holds_other=$(awk '$1 == "status" && $2 != 201 { n += $3 } END { print n + 0 }' "$work/wrk-$name-holds.txt")
        holds_n=${holds_ok:-0}
        [ "$holds_other" -eq 0 ] || { bk_log "phase $name: $holds_other holds not answered 201"; invalid=1; }
        next_index=$(awk '$1 == "next_index" { print $2 }' "$work/wrk-$name-holds.txt")
    fi
    result[$name]=$(awk -v t0="$t0" -v t1="$t1" -v ra="$ra" -v rb="$rb" -v pa="$pa" -v pb="$pb" -v d="$duration" \
        -v hn="$holds_n" -v ah="$((a_h1 - a_h0))" -v am="$((a_m1 - a_m0))" -v bh="$((b_h1 - b_h0))" -v bm="$((b_m1 - b_m0))" \
        -v x="$((x1 - x0))" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN {
            split(c0, a, " "); split(c1, b, " ")
            reads = (ra + rb) * d
            all = reads + hn; if (all < 1) all = 1
            f = 1e6 / hz / all
            printf "%8.0f %7.1f %6.2f/%-6.2f %6.4f %6.4f %6.2f %8.1f %8.1f %6.1f",
                ra + rb, hn / (t1 - t0), pa, pb, (ah + am > 0 ? ah / (ah + am) : 0), (bh + bm > 0 ? bh / (bh + bm) : 0),
                (reads > 0 ? x / reads : x / all), (b[1] - a[1]) * f, (b[2] - a[2]) * f, (b[3] - a[3]) * f
        }')
}

invalid=0
load=$(cut -d' ' -f1-3 /proc/loadavg)
for d in a b; do warm "$d"; done
phase reads 1 0
phase holds 0 1
# The holds phase changed every vendor (a few holds each): warm again, so `listen` starts, as
# `reads` and `poll` do, with every answer cached.
for d in a b; do warm "$d"; done
phase listen 1 1
restart_responders --no-revision-listener --availability-revision-seconds 0
for d in a b; do warm "$d"; done
phase poll 1 1

cat <<EOF
Bookiji Core scale-out benchmark (issue 16): two responders on one database
$(bk_bench_environment "$load")
  doors      two nginx, each in front of one responder ($threads threads each, release build, cache on)
  load       wrk -t1 -c$connections per door for availability (2 windows x $vendors vendors, gzip); holds through door A with -c$hold_connections
             ${duration}s per phase, everything on the same $(nproc)-core machine

phase    avail/s  holds/s  p99 a/b ms     hit A  hit B   xacts/ans  CPU µs/request: responders postgres nginx
EOF
for p in reads holds listen poll; do
    printf '%-7s %s\n' "$p" "${result[$p]}"
done
if [ "$invalid" -ne 0 ]; then
    bk_log "the run is invalid (see the lines above)"
    exit 1
fi
