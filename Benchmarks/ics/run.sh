#!/usr/bin/env bash
# ICS expansion benchmark: generates a calendar of N (default 10,000) events, a third of them
# recurring with EXDATEs and moved/cancelled RECURRENCE-ID overrides, and expands it over one
# year with our `ics expand` (release build of the ICalendar module, through the symlinked
# sources in this directory) and with python's recurring-ical-events in a virtual environment
# made here. Prints both wall-clock figures, checks that both tools produce the same intervals,
# and exits non-zero when ours is over 1 s or less than 20x faster than python.
#
# usage: Benchmarks/ics/run.sh            (N=20000 Benchmarks/ics/run.sh for a bigger file)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
n="${N:-10000}"
from="${FROM:-2025-01-01}"
to="${TO:-2026-01-01}"
runs="${RUNS:-5}"
work="$here/.work"
mkdir -p "$work"

echo "== building ics-expand (release)"
swift build -c release --package-path "$here" 2>&1 | tail -1
bin="$(swift build -c release --package-path "$here" --show-bin-path)/ics-expand"

if [ ! -x "$here/.venv/bin/python" ] || ! "$here/.venv/bin/python" -c "import recurring_ical_events" 2>/dev/null; then
    echo "== installing recurring-ical-events into $here/.venv"
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install --quiet --disable-pip-version-check recurring-ical-events
fi
py_version="$("$here/.venv/bin/python" -c 'import importlib.metadata as m; print(m.version("recurring-ical-events"))')"

echo "== generating $n events"
python3 "$here/generate.py" "$work/bench.ics" "$n" 42
echo "   $(grep -c '^BEGIN:VEVENT' "$work/bench.ics") VEVENT components ($(grep -c '^RECURRENCE-ID' "$work/bench.ics") overrides, $(grep -c '^RRULE' "$work/bench.ics") RRULEs, $(grep -c '^EXDATE' "$work/bench.ics") EXDATEs), $(wc -c < "$work/bench.ics") bytes"

now_ns() { date +%s%N; }

echo "== ours: $bin ($runs runs, median)"
times=()
for _ in $(seq "$runs"); do
    t0=$(now_ns)
    "$bin" "$work/bench.ics" --from "$from" --to "$to" > "$work/ours.json" 2> "$work/ours.err"
    t1=$(now_ns)
    times+=($(( (t1 - t0) / 1000000 )))
done
ours_ms=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
echo "   runs (ms): ${times[*]}"
head -1 "$work/ours.err" | sed 's/^/   /'

echo "== python recurring-ical-events $py_version (1 run)"
t0=$(now_ns)
"$here/.venv/bin/python" "$here/expand_python.py" "$work/bench.ics" "$from" "$to" > "$work/python.json"
t1=$(now_ns)
py_ms=$(( (t1 - t0) / 1000000 ))

python3 "$here/compare.py" "$work/ours.json" "$work/python.json" "$from" "$to" | sed 's/^/   /' || agree=no

ratio=$(awk -v p="$py_ms" -v o="$ours_ms" 'BEGIN { printf "%.1f", (o > 0 ? p / o : 0) }')
echo
echo "ours:   ${ours_ms} ms  (parse + expand + JSON, $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/ours.json") intervals)"
echo "python: ${py_ms} ms  (recurring-ical-events $py_version)"
echo "speedup: ${ratio}x"

status=0
if [ "$ours_ms" -gt 1000 ]; then echo "FAIL: ours took more than 1 s"; status=1; fi
if awk -v r="$ratio" 'BEGIN { exit !(r < 20) }'; then echo "FAIL: less than 20x faster than python"; status=1; fi
if [ "${agree:-yes}" = no ]; then echo "FAIL: the two tools disagree"; status=1; fi
[ "$status" -eq 0 ] && echo "PASS: <= 1 s and >= 20x faster than python"
exit "$status"
