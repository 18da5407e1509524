#!/usr/bin/env bash
# Benchmarks/availability/run.sh — availability through nginx against the skeleton's ping (issue 3).
#
#   Benchmarks/availability/run.sh [--duration S] [--threads N] [--connections C] [--wrk-threads T]
#                                  [--warmup S] [--vendors V] [--windows W] [--strict] [--keep]
#
#   --duration S     seconds of measurement per target (default 10)
#   --threads N      responder threads, `bookiji serve --threads` (default 4)
#   --connections C  wrk connections (default 32)
#   --wrk-threads T  wrk threads (default 2)
#   --warmup S       unmeasured seconds before each target (default 2)
#   --vendors V      vendors with realistic rules and busy calendars (default 1000)
#   --windows W      distinct 7-day windows, consecutive weeks from next Monday (default 2)
#   --strict         exit 1 when a target is missed
#   --keep           keep the scratch directory (logs, configs, rules, calendars, raw wrk output)
#
# Builds release, starts a private PostgreSQL, the responder and nginx (everything in one scratch
# directory, all stopped on exit). Creates a partner with the CLI and V vendors in bulk (COPY of
# rules and of one `bookiji ics expand` of their calendars; vendors.awk: 8 zones, lunch breaks,
# some Saturdays, 30/60-minute slots, buffers, notice, date overrides, weekly and one-off busy
# events, tentative and free ones), checks every vendor's availability answers 200 through the
# API, then runs wrk through nginx, all with the same Authorization header, against four targets:
#   roof      nginx serving a static JSON file exactly as large as the /v1/ping answer
#   bigroof   the same file padded to the average availability answer's size (context only: what
#             nginx alone does with bodies this large)
#   ping      GET /v1/ping (authenticated, no database): the skeleton's database-free route
#   cached    GET /v1/vendors/{id}/availability, random vendor and window per request
#             (availability.lua), responder with its default cache, warmed by one request per
#             vendor and window in each encoding
#   uncached  the same requests after restarting the responder with --availability-cache-seconds 0
# Every request says `Accept-Encoding: gzip`, as partners' HTTP clients do (Go's net/http, OkHttp,
# browsers, curl --compressed), so availability answers travel gzipped. cached-plain and
# uncached-plain repeat the two without that header (answers uncompressed) as context.
# Prints req/s, p99, the CPU time per request of the responder, PostgreSQL (postmaster and
# backends), nginx (master and workers) and wrk during each measured run, read from /proc, which
# varies less than req/s on a shared machine, and the machine's context switches per request;
# the ratios cached/ping (target >= 0.8) and uncached/ping (target >= 0.4),
# p99 < 10 ms for both availability targets, the availability body size (plain and gzipped) and
# the responder's peak RSS (VmHWM) in each mode. Any non-2xx answer or socket error makes the run
# invalid (exit 1).
# BOOKIJI_BIN=/path/to/bookiji benchmarks that binary instead of building one.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh
BK_PROG="bench-availability"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

duration=10 threads=4 connections=32 wrk_threads=2 warmup=2 vendors=1000 windows=2 strict=0 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --wrk-threads) wrk_threads=${2:?}; shift 2 ;;
        --warmup) warmup=${2:?}; shift 2 ;;
        --vendors) vendors=${2:?}; shift 2 ;;
        --windows) windows=${2:?}; shift 2 ;;
        --strict) strict=1; shift ;;
        --keep) keep=1; shift ;;
        *) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
for v in "$duration" "$threads" "$connections" "$wrk_threads" "$warmup" "$vendors" "$windows"; do
    [[ "$v" =~ ^[0-9]+$ ]] || bk_die "numeric options want whole numbers, got '$v'"
done
if [ "$duration" -lt 1 ] || [ "$vendors" -lt 1 ] || [ "$windows" -lt 1 ]; then
    bk_die "--duration, --vendors and --windows must be at least 1"
fi
[ "$windows" -le 8 ] || bk_die "--windows is at most 8 (the vendors' horizons start at 30 days)"

[ -n "${BOOKIJI_BIN:-}" ] || bk_require_swift
bk_ensure_packages "${BK_PACKAGES[@]}" wrk
bin=$(bk_build_release)

bk_bench_workspace bench-availability
setup="$work/setup"
mkdir -p "$setup"

"$BK_SCRIPTS/pgcluster" start "$pg"
url=$("$BK_SCRIPTS/pgcluster" url "$pg")
(cd "$BK_REPO_ROOT" && "$bin" migrate --database "$url" --dir "$BK_REPO_ROOT/migrations") >&2 \
    || bk_die "bookiji migrate failed"
partner=$("$bin" partner create --name "Benchmark partner" --json --database "$url") || bk_die "partner create failed"
key=$(bk_json_field "$partner" apiKey) || bk_die "no apiKey in: $partner"

# The windows: W consecutive weeks from next Monday 00:00Z (never today's week, so minimum notice
# and the horizon cut the same way on every run day), and the dates vendors.awk plans around.
today=$(($(date -u +%s) / 86400))
monday=$(( (today + 8 - $(date -u -d "@$((today * 86400))" +%u)) * 86400 ))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
days=() window_lines=()
for ((w = 0; w < windows; w++)); do
    from=$((monday + w * 7 * 86400))
    window_lines+=("startTime=$(iso "$from")&endTime=$(iso $((from + 7 * 86400)))")
    for ((d = 0; d < 7; d++)); do days+=("$(date -u -d "@$((from + d * 86400))" +%F)"); done
done
printf '%s\n' "${window_lines[@]}" >"$work/windows.txt"

# Vendors, rules and busy time in bulk. One CLI call per vendor costs 20-50 ms here (process
# start, connection, a durable commit), so `vendor create` + `rules set` + `import-ics` for 1,000
# vendors took 90 s on a busy 2-core machine. Instead: one COPY of vendors with their rules, and
# one `bookiji ics expand` of a calendar holding every vendor's events (the project's own RRULE,
# TZID and transparency handling), COPY'd into calendar_sources/calendar_intervals, then the
# revision bump that Store does with every change of an availability input. The rules skip the
# CLI's validation here; fetch_all below asks the API for every vendor and window and stops the
# run on any answer that is not 200, which is at least as strict.
started=$(date +%s.%N)
awk -v count="$vendors" -v dir="$setup" -v days="${days[*]}" -f "$here/vendors.awk" || bk_die "vendors.awk failed"
expand_from=$(iso $((monday - 86400))) expand_to=$(iso $((monday + (windows * 7 + 1) * 86400)))
"$bin" ics expand "$setup/busy.ics" --from "$expand_from" --to "$expand_to" --format text \
    >"$setup/busy.txt" 2>"$setup/expand.log" || bk_die "bookiji ics expand failed (see $setup/expand.log)"
# "START END STATUS UID" -> "INDEX START END STATUS UID"; the UID is KIND-INDEX-...
awk -v OFS='\t' '{ split($4, part, "-"); print part[2], $1, $2, $3, $4 }' "$setup/busy.txt" >"$setup/busy.tsv"
psql -X -q -v ON_ERROR_STOP=1 -1 -d "$url" >"$setup/load.log" 2>&1 <<SQL || { cat "$setup/load.log" >&2; bk_die "loading vendors failed"; }
\\copy vendors (name, timezone, rules) FROM '$setup/vendors.tsv'
CREATE TEMP TABLE busy (idx int, s timestamptz, e timestamptz, status text, uid text);
\\copy busy FROM '$setup/busy.tsv'
CREATE TEMP TABLE vendor_index AS SELECT id, substring(name FROM '[0-9]+\$')::int AS idx FROM vendors;
INSERT INTO calendar_sources (vendor_id, name, kind, covered, status, last_synced_at)
    SELECT id, 'work', 'ics_file', tstzrange('$expand_from', '$expand_to', '[)'), 'ok', now() FROM vendor_index;
INSERT INTO calendar_intervals (source_id, vendor_id, period, status, uid)
    SELECT s.id, s.vendor_id, tstzrange(b.s, b.e, '[)'), b.status, b.uid
    FROM busy b JOIN vendor_index v ON v.idx = b.idx JOIN calendar_sources s ON s.vendor_id = v.id;
UPDATE vendors SET revision = revision + 1, updated_at = now();
SQL
psql -X -qtA -F ' ' -d "$url" -c "SELECT id, rules->>'slotMinutes' FROM vendors ORDER BY name" >"$work/vendors.txt" \
    || bk_die "could not list the vendors"
[ "$(wc -l <"$work/vendors.txt")" -eq "$vendors" ] || bk_die "expected $vendors vendors, got $(wc -l <"$work/vendors.txt")"
busy_rows=$(psql -X -qtA -d "$url" -c "SELECT count(*) FROM calendar_intervals")
[ "$busy_rows" -eq "$(wc -l <"$setup/busy.tsv")" ] || bk_die "only $busy_rows of $(wc -l <"$setup/busy.tsv") busy intervals found their vendor"
"$bin" vendor rules show "$(head -n1 "$work/vendors.txt" | cut -d' ' -f1)" --database "$url" >"$setup/rules-first.json" \
    || bk_die "the CLI cannot read the first vendor's rules back"
setup_s=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
bk_log "setup: $vendors vendors, rules and $busy_rows busy intervals in ${setup_s}s (COPY + one ics expand)"

start_responder() { # start_responder CACHE_SECONDS
    rm -f "$sock"
    "$bin" serve --socket "$sock" --socket-mode 0666 --threads "$threads" --database "$url" \
        --availability-cache-seconds "$1" --pid-file "$work/bookiji.pid" >>"$work/bookiji.log" 2>&1 </dev/null &
    echo $! >"$work/bookiji.pid"
    bk_wait_for_socket "$sock" 20 "$!" || { tail -n 20 "$work/bookiji.log" >&2; bk_die "the responder did not start"; }
}
peak_rss_mib() { # the responder's VmHWM, MiB
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$(head -n1 "$work/bookiji.pid")/status"
}
start_responder 300

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

# roof_file SIZE — makes nginx's /static-roof.json valid JSON of exactly SIZE bytes (a new file
# renamed into place: nginx opens it per request) and checks it is served.
roof_file() {
    local bytes=$1 tmp="$ngx/static-roof.json.new"
    if [ "$bytes" -ge 10 ]; then
        printf '{"pad":"%s"}' "$(head -c $((bytes - 10)) /dev/zero | tr '\0' x)" >"$tmp"
    else
        printf '{}%*s' $((bytes - 2)) '' >"$tmp"
    fi
    chmod 0644 "$tmp"
    mv -f "$tmp" "$ngx/static-roof.json"
    [ "$(fetch /static-roof.json "$work/roof.json")" = 200 ] || bk_die "the static roof is not served"
    [ "$(stat -c %s "$work/roof.json")" = "$bytes" ] || bk_die "the static roof is not $bytes bytes"
}
size=$(stat -c %s "$work/ping.json")
roof_file "$size"

# fetch_all OUT — one request for every vendor and window over one curl connection; writes
# "STATUS BYTES PATH" lines to OUT. This validates every vendor's rules and calendar through the
# API (any non-200 stops the run) and fills the responder's cache.
fetch_all() { # fetch_all OUT [CURL-ARGS...]
    local out=$1
    shift
    awk -v base="$base" 'NR == FNR { windows[++n] = $0; next }
        { for (w = 1; w <= n; w++)
              printf "url = \"%s/v1/vendors/%s/availability?%s&slotDuration=%s&includeConfidence=true\"\noutput = \"/dev/null\"\n",
                     base, $1, windows[w], $2 }' "$work/windows.txt" "$work/vendors.txt" >"$work/fetch-all.curl"
    curl -s -H "$auth" "$@" -K "$work/fetch-all.curl" -w '%{http_code} %{size_download} %{url_effective}\n' >"$out" \
        || bk_die "curl failed while fetching every vendor's availability"
    awk '$1 != 200 { bad++; if (bad <= 3) print "  " $0 > "/dev/stderr" } END { exit bad > 0 }' "$out" \
        || bk_die "some availability requests did not answer 200 (first ones above; all in $out)"
}
fetch_all "$work/all-cached.txt"
# Again accepting gzip: the bytes that travel (curl does not inflate them without --compressed).
gzip_header="Accept-Encoding: gzip"
fetch_all "$work/all-gzip.txt" -H "$gzip_header"
gzip_avg=$(awk '{ sum += $2 } END { printf "%.0f\n", sum / NR }' "$work/all-gzip.txt")
read -r body_avg body_min body_max answers < <(awk '
    { sum += $2; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 }
    END { printf "%.0f %d %d %d\n", sum / NR, min, max, NR }' "$work/all-cached.txt")
first_path=$(awk 'NR == 1 { sub(/^[^ ]+ [^ ]+ [^\/]+\/\/[^\/]+/, ""); print }' "$work/all-cached.txt")
[ "$(fetch "$first_path" "$work/availability.json")" = 200 ] || bk_die "GET $first_path did not answer 200"
slots=$(grep -o '"isAvailable":' "$work/availability.json" | wc -l)
open=$(grep -o '"isAvailable":true' "$work/availability.json" | wc -l)

# cpu_ticks PID... — user + system CPU of the processes so far, in clock ticks. (The fields after
# the command name: it is in parentheses and may hold spaces.)
cpu_ticks() {
    local total=0 pid ticks
    for pid in "$@"; do
        ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${ticks:-0}))
    done
    echo "$total"
}
# children_ticks PID — user + system CPU of the finished children of shell PID (wrk), in ticks.
children_ticks() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$1/stat"; }
# switches — context switches of the whole machine since boot.
switches() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }
# The responder, PostgreSQL's postmaster with its backends, nginx's master with its workers.
responder_pids() { head -n1 "$work/bookiji.pid"; }
postgres_pids() { local p; p=$(head -n1 "$pg/data/postmaster.pid"); echo "$p"; pgrep -P "$p" || true; }
nginx_pids() { local p; p=$(head -n1 "$ngx/nginx.pid"); echo "$p"; pgrep -P "$p" || true; }

# run_wrk NAME PATH [LUA-SCRIPT LUA-ARGS...] — warm-up, then the measured run; prints
# "responder_us postgres_us nginx_us wrk_us switches req_per_s p99_ms non2xx errors": the first
# four are the CPU time each process spent per request during the measured run, the fifth the
# machine's context switches per request.
# Headers come from the array `headers` (each target sets it).
run_wrk() {
    local name=$1 path=$2 out="$work/wrk-$1.txt"
    shift 2
    local -a script=() args=() hs=()
    local h
    for h in "${headers[@]}"; do hs+=(-H "$h"); done
    if [ $# -gt 0 ]; then script=(-s "$1"); shift; args=(-- "$@"); fi
    if [ "$warmup" -gt 0 ]; then
        wrk -t"$wrk_threads" -c"$connections" -d"${warmup}s" "${hs[@]}" "${script[@]}" "$base$path" "${args[@]}" >/dev/null
    fi
    local -a responder postgres server
    read -r -a responder < <(responder_pids)
    mapfile -t postgres < <(postgres_pids)
    mapfile -t server < <(nginx_pids)
    local r0 p0 n0 w0 s0 r1 p1 n1 w1 s1 summary
    r0=$(cpu_ticks "${responder[@]}") p0=$(cpu_ticks "${postgres[@]}") n0=$(cpu_ticks "${server[@]}")
    local me=$BASHPID
    w0=$(children_ticks "$me") s0=$(switches)
    wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency "${hs[@]}" "${script[@]}" "$base$path" "${args[@]}" >"$out"
    s1=$(switches) w1=$(children_ticks "$me")
    r1=$(cpu_ticks "${responder[@]}") p1=$(cpu_ticks "${postgres[@]}") n1=$(cpu_ticks "${server[@]}")
    summary=$(bk_wrk_summary "$out") || bk_die "could not parse wrk output for $name ($out)"
    awk -v hz="$(getconf CLK_TCK)" -v rps="${summary%% *}" -v d="$duration" -v r=$((r1 - r0)) -v p=$((p1 - p0)) -v n=$((n1 - n0)) \
        -v w=$((w1 - w0)) -v s=$((s1 - s0)) \
        'BEGIN { q = rps * d; if (q <= 0) q = 1; f = 1e6 / hz / q; printf "%.1f %.1f %.1f %.1f %.1f ", r * f, p * f, n * f, w * f, s / q }'
    echo "$summary"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
cat <<EOF
Bookiji Core availability benchmark (issue 3)
  commit     $(git -C "$BK_REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$BK_REPO_ROOT" diff --quiet HEAD 2>/dev/null || echo " (uncommitted changes)")
  machine    $(nproc) cores, $(uname -sr); $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes auto; load average before the run $load
  load       wrk -t$wrk_threads -c$connections, ${warmup}s warm-up + ${duration}s per target, on the same machine
  responder  $threads threads, release build; nginx keeps no FastCGI connections open (see nginx/conf.d/bookiji.conf)
  rate limit effectively off: limit_req stays in the path at 1000000r/s, burst 1000000
  data       $vendors vendors (8 zones, realistic rules, $busy_rows busy intervals), loaded in ${setup_s}s
  requests   $windows distinct 7-day window(s) from $(iso "$monday"), slotDuration = the vendor's, includeConfidence=true;
             Accept-Encoding: gzip on every request except the *-plain targets
  body size  $size bytes for /v1/ping and the static roof (bigroof: $body_avg); availability $body_avg bytes on average ($body_min-$body_max, $answers answers), $gzip_avg gzipped
             (first vendor's first window: $slots slots, $open available)
EOF

declare -A rps p99 bad errs rss cpu_r cpu_p cpu_n cpu_w ctx
invalid=0
measure() { # measure TARGET PATH [LUA-SCRIPT LUA-ARGS...]
    local target=$1 result
    result=$(run_wrk "$@")
    read -r "cpu_r[$target]" "cpu_p[$target]" "cpu_n[$target]" "cpu_w[$target]" "ctx[$target]" "rps[$target]" "p99[$target]" "bad[$target]" "errs[$target]" <<<"$result"
    if [ "${bad[$target]}" -ne 0 ] || [ "${errs[$target]}" != none ]; then invalid=1; fi
}
lua="$here/availability.lua"
headers=("$auth" "$gzip_header")
measure roof /static-roof.json
roof_file "$body_avg"
measure bigroof /static-roof.json
measure ping /v1/ping
measure cached / "$lua" "$work/vendors.txt" "$work/windows.txt"
headers=("$auth")
measure cached-plain / "$lua" "$work/vendors.txt" "$work/windows.txt"
headers=("$auth" "$gzip_header")
rss[cached]=$(peak_rss_mib)

bk_stop_pidfile "$work/bookiji.pid" responder 20
start_responder 0
bk_wait_for_http "$base/v1/ping" 20 -H "$auth" || bk_die "the restarted responder does not answer /v1/ping"
measure uncached / "$lua" "$work/vendors.txt" "$work/windows.txt"
headers=("$auth")
measure uncached-plain / "$lua" "$work/vendors.txt" "$work/windows.txt"
rss[uncached]=$(peak_rss_mib)

printf '\n%-15s %-44s %10s %9s %8s  %-13s  %s\n' target request req/s p99_ms non-2xx socket_errors "CPU µs/request: responder postgres nginx wrk; context switches/request"
for target in roof bigroof ping cached cached-plain uncached uncached-plain; do
    case "$target" in
        roof) shown="GET /static-roof.json" ;;
        bigroof) shown="GET /static-roof.json ($body_avg B)" ;;
        ping) shown="GET /v1/ping" ;;
        cached) shown="GET .../availability (cache on, gzip)" ;;
        cached-plain) shown="GET .../availability (cache on, plain)" ;;
        uncached) shown="GET .../availability (cache off, gzip)" ;;
        uncached-plain) shown="GET .../availability (cache off, plain)" ;;
    esac
    printf '%-15s %-44s %10s %9s %8s  %-13s  %9s %8s %5s %5s  %5s\n' "$target" "$shown" "${rps[$target]}" "${p99[$target]}" \
        "${bad[$target]}" "${errs[$target]}" "${cpu_r[$target]}" "${cpu_p[$target]}" "${cpu_n[$target]}" "${cpu_w[$target]}" "${ctx[$target]}"
done

missed=0
ratio() { # ratio NAME TARGET — prints the ratio to ping; returns 1 when below target
    awk -v a="${rps[$1]}" -v b="${rps[ping]}" -v t="$2" -v n="$1" 'BEGIN {
        r = (b > 0) ? a / b : 0
        printf "%-14s %.3f  (target >= %.2f: %s)\n", n "/ping", r, t, (r >= t ? "met" : "MISSED")
        exit (r >= t ? 0 : 1)
    }'
}
p99_check() { # p99_check NAME — p99 under 10 ms
    awk -v p="${p99[$1]}" -v n="$1" 'BEGIN {
        printf "%-14s %.2f ms  (target < 10 ms: %s)\n", n " p99", p, (p < 10 ? "met" : "MISSED")
        exit (p < 10 ? 0 : 1)
    }'
}
echo
ratio cached 0.8 || missed=1
ratio uncached 0.4 || missed=1
p99_check cached || missed=1
p99_check uncached || missed=1
awk -v r="${rps[ping]}" -v f="${rps[roof]}" -v c="${rps[cached-plain]}" -v b="${rps[bigroof]}" \
    -v cp="${rps[cached-plain]}" -v up="${rps[uncached-plain]}" 'BEGIN {
    printf "%-20s %.3f  (context: without Accept-Encoding: gzip)\n", "cached-plain/ping", (r > 0 ? cp / r : 0)
    printf "%-20s %.3f  (context: without Accept-Encoding: gzip)\n", "uncached-plain/ping", (r > 0 ? up / r : 0)
    printf "%-20s %.3f  (context; the skeleton target is >= 0.35)\n", "ping/roof", (f > 0 ? r / f : 0)
    printf "%-20s %.3f  (context: against nginx serving a static file of the same size)\n", "cached-plain/bigroof", (b > 0 ? c / b : 0)
}'
printf 'peak RSS of the responder (VmHWM): %s MiB with the cache, %s MiB without\n' "${rss[cached]}" "${rss[uncached]}"

if [ "$invalid" = 1 ]; then
    bk_log "INVALID RUN: some answers were not 2xx or wrk saw socket errors (raw output kept in $work)"
    exit 1
fi
if [ "$strict" = 1 ] && [ "$missed" = 1 ]; then exit 1; fi
exit 0
