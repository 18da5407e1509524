# shellcheck shell=bash
# Shared helpers for the scripts in this directory. Source it; do not run it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here is prefixed `bk_` so that sourcing it cannot clash with a caller's names.

# Absolute path of the repository that holds this file (scripts/..), whatever the caller's cwd.
BK_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck disable=SC2034 # used by the scripts that source this file
BK_SCRIPTS="$BK_REPO_ROOT/scripts"

# nginx and runuser live in /usr/sbin, which a non-root user's PATH often lacks.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac

# Debian packages the project needs at build, test and run time. nginx is checked by command
# because operators may have nginx-light/-full/-extras or nginx.org's package instead.
# chromium and chromium-driver: the vendor page's browser test (Selenium drives Debian's driver).
# prometheus: promtool, which checks the alert rules, their unit tests and the metrics output.
# pgbouncer: the tests that run the responder and worker through a transaction pooler.
# shellcheck disable=SC2034 # used by the scripts that source this file
BK_PACKAGES=(libfcgi-dev libpq-dev libical-dev zlib1g-dev nginx postgresql postgresql-contrib tzdata pkg-config curl openssl
    python3-venv chromium chromium-driver prometheus pgbouncer)

bk_log() { printf '%s: %s\n' "${BK_PROG:-${0##*/}}" "$*" >&2; }
bk_die() { bk_log "error: $*"; exit 1; }

bk_is_root() { [ "$(id -u)" -eq 0 ]; }

# bk_missing_packages PKG... — prints the packages of the list that are not installed.
bk_missing_packages() {
    local pkg status
    for pkg in "$@"; do
        if [ "$pkg" = nginx ]; then
            command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || echo nginx
            continue
        fi
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        case "$status" in
            *" installed") ;;
            *) echo "$pkg" ;;
        esac
    done
}

# bk_ensure_packages PKG... — installs whatever of the list is missing, with one `apt-get update`.
# As root directly, otherwise through passwordless sudo; fails with the exact command otherwise.
bk_ensure_packages() {
    command -v dpkg-query >/dev/null 2>&1 || {
        bk_log "not a Debian system: cannot check packages; make sure these are installed: $*"
        return 0
    }
    local missing
    mapfile -t missing < <(bk_missing_packages "$@")
    [ "${#missing[@]}" -eq 0 ] && return 0

    local -a sudo=()
    if ! bk_is_root; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            bk_die "missing packages: ${missing[*]}. Install them as root:
    apt-get update && apt-get install -y ${missing[*]}"
        fi
    fi
    bk_log "installing missing packages: ${missing[*]}"
    # No stdin in CI: never let apt or debconf ask anything.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2 \
        || bk_die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" </dev/null >&2 || bk_die "apt-get install ${missing[*]} failed"
}

# bk_require_swift — Swift cannot come from apt; find it or explain.
bk_require_swift() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        PATH="/opt/swift/usr/bin:$PATH"
        export PATH
    fi
    command -v swift >/dev/null 2>&1 || bk_die "the Swift toolchain (6.0 or newer) is not on PATH.
It does not come from apt: install the Linux toolchain from swift.org (for example under
/opt/swift) and put its usr/bin on PATH, then run this again."
}

# bk_build_release — builds the release product and prints the path of the bookiji binary.
# BOOKIJI_BIN=/path/to/bookiji skips the build and uses that binary instead.
bk_build_release() {
    if [ -n "${BOOKIJI_BIN:-}" ]; then
        [ -x "$BOOKIJI_BIN" ] || bk_die "BOOKIJI_BIN=$BOOKIJI_BIN is not an executable"
        bk_log "using BOOKIJI_BIN=$BOOKIJI_BIN (no build)"
        printf '%s\n' "$BOOKIJI_BIN"
        return 0
    fi
    bk_require_swift
    bk_log "swift build -c release (this takes a while the first time)"
    (cd "$BK_REPO_ROOT" && swift build -c release >&2) || bk_die "swift build -c release failed"
    local bin
    bin="$(cd "$BK_REPO_ROOT" && swift build -c release --show-bin-path)/bookiji"
    [ -x "$bin" ] || bk_die "build succeeded but $bin is missing"
    printf '%s\n' "$bin"
}

# bk_as_user USER CMD... — runs CMD as USER: directly when we already are USER, through runuser
# when we are root. Runs from / so that a child never fails to chdir back into a private cwd.
bk_as_user() {
    local user=$1; shift
    if [ "$user" = "$(id -un)" ]; then
        "$@"
    else
        (cd / && runuser -u "$user" -- "$@")
    fi
}

# bk_check_traversable USER PATH WHAT — fails with the first directory USER cannot search.
bk_check_traversable() {
    local user=$1 path=$2 what=$3
    bk_as_user "$user" test -x "$path" && return 0
    local prefix="" part
    local -a parts
    IFS=/ read -r -a parts <<<"${path#/}"
    for part in "${parts[@]}"; do
        prefix="$prefix/$part"
        if ! bk_as_user "$user" test -x "$prefix"; then
            bk_die "user '$user' cannot enter $prefix ($(stat -c '%A %U:%G' "$prefix")), so it cannot reach $what $path.
Use a directory it can reach (for example under /tmp), or: chmod o+x $prefix"
        fi
    done
    bk_die "user '$user' cannot reach $what $path"
}

# bk_port_in_use HOST PORT — true when something accepts TCP connections there.
bk_port_in_use() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# bk_free_port HOST FIRST — prints the first port from FIRST on that nothing listens on.
bk_free_port() {
    local host=$1 port=$2
    while bk_port_in_use "$host" "$port"; do
        port=$((port + 1))
        [ "$port" -lt 65535 ] || bk_die "no free port on $host"
    done
    printf '%s\n' "$port"
}

# bk_pid_alive PIDFILE — true when PIDFILE names a running process.
bk_pid_alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(head -n1 "$1")
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# bk_stop_pidfile PIDFILE NAME [SECONDS] — SIGTERM, wait up to SECONDS (default 20), then SIGKILL.
bk_stop_pidfile() {
    local pidfile=$1 name=$2 wait=${3:-20} pid i
    if ! bk_pid_alive "$pidfile"; then
        rm -f "$pidfile"
        return 0
    fi
    pid=$(head -n1 "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
        sleep 0.1
    done
    bk_log "$name (pid $pid) did not stop within ${wait}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

# bk_wait_for_http URL SECONDS [CURL-ARGS...] — waits until URL answers 200.
bk_wait_for_http() {
    local url=$1 wait=$2 i; shift 2
    for ((i = 0; i < wait * 5; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" 2>/dev/null)" = 200 ] && return 0
        sleep 0.2
    done
    return 1
}

# bk_wait_for_socket PATH SECONDS [PID] — waits for a unix socket to appear; gives up early when
# the process that should create it has exited.
bk_wait_for_socket() {
    local path=$1 wait=$2 pid=${3:-} i
    for ((i = 0; i < wait * 10; i++)); do
        [ -S "$path" ] && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.1
    done
    return 1
}

# bk_json_field JSON NAME — the string value of a top-level "NAME":"value" pair (flat JSON only;
# enough for the CLI's one-line --json outputs without depending on jq).
bk_json_field() {
    local re="\"$2\"[[:space:]]*:[[:space:]]*\"([^\"]*)\""
    [[ "$1" =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

# bk_nginx_worker_user — whom nginx workers run as when the master is root.
bk_nginx_worker_user() {
    if getent passwd www-data >/dev/null 2>&1; then echo www-data; else echo nobody; fi
}

# bk_bench_workspace NAME — the scratch directory of one benchmark run: sets work (mode 0755, so
# the postgres and nginx worker users can enter it), pg, sock and ngx, and installs the EXIT trap
# that stops what the script started (every $work/*.pid besides the responder's: drivers, workers,
# fakes, receivers), then nginx, the responder and PostgreSQL, and removes the directory unless
# keep=1 or the run failed.
# shellcheck disable=SC2034 # work, pg, sock and ngx are for the calling script
bk_bench_workspace() {
    work=$(mktemp -d "/tmp/bookiji-$1.XXXXXX")
    chmod 0755 "$work"
    pg="$work/pg" sock="$work/bookiji.sock" ngx="$work/nginx"
    trap bk_bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
bk_bench_cleanup() {
    local rc=$? f
    trap - EXIT INT TERM
    for f in "$work"/*.pid; do
        if [ -e "$f" ] && [ "$f" != "$work/bookiji.pid" ]; then bk_stop_pidfile "$f" "${f##*/}" 20 || true; fi
    done
    bk_stop_pidfile "$ngx/nginx.pid" nginx 10 || true
    bk_stop_pidfile "$work/bookiji.pid" responder 20 || true
    "$BK_SCRIPTS/pgcluster" stop "$pg" >/dev/null 2>&1 || true
    if [ "${keep:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
        bk_log "scratch directory kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}

# bk_wrk_summary FILE — from `wrk --latency` output prints "req_per_s p99_ms non2xx socket_errors"
# (socket_errors "none" or wrk's counts); fails when the file has no figures.
bk_wrk_summary() {
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
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { sub(/.*Socket errors: */, ""); errs = $0; gsub(/ /, "", errs) }
        END {
            if (rps == "" || p99 == "") exit 1
            printf "%.0f %.2f %d %s\n", rps, p99, bad, (errs == "" ? "none" : errs)
        }' "$1"
}

# --- The write benchmarks' common setup (Benchmarks/bookings, Benchmarks/webhooks). They run in
# the scratch directory of bk_bench_workspace and use its pg, sock, ngx and work.

# bk_sql SQL — one statement against $url; unaligned, tuples only.
bk_sql() { psql -X -qtA -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }

# bk_bench_database BIN — starts the scratch cluster with its durable defaults (no --ephemeral:
# commits are fsynced as in production), refuses to go on if it is not durable, and applies the
# migrations with BIN; sets url.
# shellcheck disable=SC2034 # url is for the calling script
bk_bench_database() {
    local bin=$1 durability
    "$BK_SCRIPTS/pgcluster" start "$pg"
    url=$("$BK_SCRIPTS/pgcluster" url "$pg")
    durability=$(bk_sql "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit') || ' ' || current_setting('full_page_writes')")
    [ "$durability" = "on on on" ] \
        || bk_die "the cluster is not durable (fsync, synchronous_commit, full_page_writes = $durability)"
    (cd "$BK_REPO_ROOT" && "$bin" migrate --database "$url" --dir "$BK_REPO_ROOT/migrations") >&2 \
        || bk_die "bookiji migrate failed"
}

# bk_bench_partner BIN — a partner whose hourly and active-hold limits are out of reach; sets
# key and partner_id.
# shellcheck disable=SC2034 # key and partner_id are for the calling script
bk_bench_partner() {
    local bin=$1 partner
    partner=$("$bin" partner create --name "Benchmark partner" --json --database "$url") || bk_die "partner create failed"
    key=$(bk_json_field "$partner" apiKey) || bk_die "no apiKey in: $partner"
    partner_id=$(bk_json_field "$partner" partnerId) || bk_die "no id in: $partner"
    "$bin" partner limits "$partner_id" --per-hour 1000000000 --max-holds 1000000000 --database "$url" >&2 \
        || bk_die "partner limits failed"
}

# The bookable hours bk_bench_vendors gives every vendor: open at 06:00 UTC, 32 slots of 30 minutes.
# shellcheck disable=SC2034 # for the calling scripts
BK_VENDOR_OPEN=$((6 * 3600)) BK_VENDOR_SLOT=1800 BK_VENDOR_SLOTS=32

# bk_bench_vendors BIN COUNT — COUNT vendors open every day 06:00-22:00 UTC with 30-minute slots,
# payment settings (50.00 EUR, deposit 10.00, fee 5.00) and a vendor key each, as in
# Benchmarks/reservations: the CLI makes the first (and its key), SQL copies it and stores the
# others' keys as the CLI does (SHA-256 only). Writes "vendor-id vendor-key" lines, in name
# order, to $work/vendors.txt.
bk_bench_vendors() {
    local bin=$1 count=$2 first first_id first_key
    mkdir -p "$work/setup"
    cat >"$work/setup/rules.json" <<'RULES'
{"timeZone":"UTC","slotMinutes":30,"weeklyHours":{
"monday":[{"start":"06:00","end":"22:00"}],"tuesday":[{"start":"06:00","end":"22:00"}],
"wednesday":[{"start":"06:00","end":"22:00"}],"thursday":[{"start":"06:00","end":"22:00"}],
"friday":[{"start":"06:00","end":"22:00"}],"saturday":[{"start":"06:00","end":"22:00"}],
"sunday":[{"start":"06:00","end":"22:00"}]}}
RULES
    first=$("$bin" vendor create --name bench-vendor-0001 --timezone UTC --json --database "$url") || bk_die "vendor create failed"
    first_id=$(bk_json_field "$first" vendorId) || bk_die "no id in: $first"
    "$bin" vendor rules set "$first_id" --file "$work/setup/rules.json" --database "$url" >&2 || bk_die "vendor rules set failed"
    "$bin" vendor payments set "$first_id" --stripe-account acct_1Bench --currency eur --price 5000 --deposit 1000 \
        --platform-fee 500 --database "$url" >&2 || bk_die "vendor payments set failed"
    first_key=$("$bin" vendor key create "$first_id" --json --database "$url") || bk_die "vendor key create failed"
    first_key=$(bk_json_field "$first_key" apiKey) || bk_die "no apiKey from vendor key create"
    bk_sql "INSERT INTO vendors (name, timezone, rules, revision, stripe_account, currency, price_minor, deposit_minor, platform_fee_minor)
         SELECT format('bench-vendor-%s', lpad(g::text, 4, '0')), v.timezone, v.rules, v.revision, v.stripe_account,
                v.currency, v.price_minor, v.deposit_minor, v.platform_fee_minor
         FROM vendors v, generate_series(2, $count) AS g WHERE v.id = '$first_id'" >/dev/null \
        || bk_die "copying the first vendor failed"
    bk_sql "INSERT INTO vendor_api_keys (vendor_id, api_key_hash, api_key_prefix)
         SELECT id, sha256(convert_to('bkv_bench_' || replace(id::text, '-', ''), 'UTF8')), 'bkv_bench_'
         FROM vendors WHERE id <> '$first_id'" >/dev/null || bk_die "vendor keys failed"
    bk_sql "SELECT id || ' ' || CASE WHEN id = '$first_id' THEN '$first_key' ELSE 'bkv_bench_' || replace(id::text, '-', '') END
         FROM vendors ORDER BY name" >"$work/vendors.txt" || bk_die "could not list the vendors"
    [ "$(wc -l <"$work/vendors.txt")" -eq "$count" ] || bk_die "expected $count vendors, got $(wc -l <"$work/vendors.txt")"
}

# bk_bench_serve BIN THREADS [SERVE-ARGS...] — the responder on $sock (pid in $work/bookiji.pid,
# log in $work/bookiji.log) and nginx in front of it on a free port from 18080, its rate limit
# effectively off (the zone is still consulted on every request; every client here is
# 127.0.0.1); waits for /v1/health. Sets port and base. Environment for the responder goes in
# front of the call (VAR=value bk_bench_serve ...).
# shellcheck disable=SC2034 # port and base are for the calling script
bk_bench_serve() {
    local bin=$1 threads=$2; shift 2
    "$bin" serve --socket "$sock" --socket-mode 0666 --threads "$threads" --database "$url" "$@" \
        >"$work/bookiji.log" 2>&1 </dev/null &
    echo $! >"$work/bookiji.pid"
    bk_wait_for_socket "$sock" 20 "$!" || { tail -n 20 "$work/bookiji.log" >&2; bk_die "the responder did not start"; }
    port=$(bk_free_port 127.0.0.1 18080)
    base="http://127.0.0.1:$port"
    "$BK_SCRIPTS/nginx-conf" --out "$ngx" --listen "127.0.0.1:$port" --socket "$sock" \
        --rate 1000000r/s --burst 1000000 --conn-limit 65535 >/dev/null
    nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" || bk_die "nginx did not start; see $ngx/error.log"
    bk_wait_for_http "$base/v1/health" 30 || bk_die "$base/v1/health did not answer 200"
}

# bk_cpu_ticks PID... — user + system CPU of the processes so far (clock ticks).
bk_cpu_ticks() {
    local total=0 pid ticks
    for pid in "$@"; do
        ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${ticks:-0}))
    done
    echo "$total"
}

# bk_postgres_ticks — the postmaster, its live backends, and the backends that exited (cutime).
bk_postgres_ticks() {
    local p own
    p=$(head -n1 "$pg/data/postmaster.pid")
    own=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$p/stat")
    # shellcheck disable=SC2046 # one pid per word
    echo $((own + $(bk_cpu_ticks $(pgrep -P "$p" || true))))
}

# bk_nginx_ticks — nginx's master and workers.
bk_nginx_ticks() {
    local n
    n=$(head -n1 "$ngx/nginx.pid")
    # shellcheck disable=SC2046 # one pid per word
    bk_cpu_ticks "$n" $(pgrep -P "$n" || true)
}

# bk_bench_environment LOADAVG — the commit, machine and database lines of a report header.
bk_bench_environment() {
    local pgbin
    pgbin=$(pg_config --bindir 2>/dev/null || true)
    cat <<ENV
  commit     $(git -C "$BK_REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$BK_REPO_ROOT" diff --quiet HEAD 2>/dev/null || echo " (uncommitted changes)")
  machine    $(nproc) cores, $(uname -sr); $(nginx -v 2>&1 | sed 's/^nginx version: //'); load average before the run $1
  database   $("$pgbin/postgres" --version 2>/dev/null || echo PostgreSQL), private cluster on $(df -T "$pg" | awk 'NR == 2 { print $2 }'); fsync, synchronous_commit, full_page_writes on
ENV
}

# bk_pg_stats_enable — loads pg_stat_statements into the scratch cluster (one restart).
bk_pg_stats_enable() {
    bk_sql "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
    "$BK_SCRIPTS/pgcluster" stop "$pg" >/dev/null && "$BK_SCRIPTS/pgcluster" start "$pg" >/dev/null
    bk_sql "CREATE EXTENSION pg_stat_statements" >/dev/null
}

# bk_pg_stats_top N — database bookiji's N costliest statements since the last
# `SELECT pg_stat_statements_reset()`: "total ms, calls, rows, mean ms, the statement's start", one a line.
bk_pg_stats_top() {
    bk_sql "SELECT round(total_exec_time)::int || ' ms ' || calls || ' calls ' || rows || ' rows ' || round(mean_exec_time::numeric, 3) || ' ms  '
                || left(regexp_replace(query, '\s+', ' ', 'g'), 160)
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'bookiji'
         ORDER BY total_exec_time DESC LIMIT $1"
}
