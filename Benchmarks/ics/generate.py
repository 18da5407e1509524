#!/usr/bin/env python3
"""Writes a deterministic benchmark calendar: N events, a third of them recurring (weekly,
bi-weekly, daily, monthly, BYSETPOS), with EXDATE exceptions and RECURRENCE-ID overrides
(moved and cancelled occurrences), in three zones with VTIMEZONE blocks, plus all-day,
tentative, transparent and cancelled single events.

usage: generate.py OUT.ics [N] [SEED]
"""
import datetime as dt
import random
import sys

VTIMEZONES = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def fmt(t):
    return t.strftime("%Y%m%dT%H%M%S")


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    zones = ["America/New_York", "Europe/Berlin", None]  # None = UTC
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bookiji//benchmark//EN", VTIMEZONES.rstrip("\n")]

    def dtprop(name, t, zone):
        if zone is None:
            return f"{name}:{fmt(t)}Z"
        return f"{name};TZID={zone}:{fmt(t)}"

    for i in range(n):
        uid = f"ev-{i}@bench"
        zone = rng.choice(zones)
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 700))
        start = dt.datetime.combine(day, dt.time(rng.randrange(7, 19), rng.choice([0, 15, 30, 45])))
        length = dt.timedelta(minutes=rng.choice([30, 45, 60, 90, 120]))
        ev = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", f"SUMMARY:Event {i}"]
        if i % 3 == 0:
            kind = rng.random()
            weekday = DAYS[start.weekday()]
            step = dt.timedelta(days=7)
            if kind < 0.35:
                days = sorted(set([weekday] + rng.sample(DAYS[:5], rng.randrange(0, 3))), key=DAYS.index)
                rule = "FREQ=WEEKLY;BYDAY=" + ",".join(days)
            elif kind < 0.5:
                rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"
                step = dt.timedelta(days=14)
            elif kind < 0.7:
                rule = f"FREQ=DAILY;COUNT={rng.randrange(5, 60)}"
                step = dt.timedelta(days=1)
            elif kind < 0.9:
                rule = f"FREQ=MONTHLY;BYMONTHDAY={start.day}" if start.day <= 28 else f"FREQ=WEEKLY;BYDAY={weekday}"
                step = None
            else:
                rule = "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
                step = None
            if "COUNT" not in rule and rng.random() < 0.3:
                until = start + dt.timedelta(days=rng.randrange(30, 500))
                rule += f";UNTIL={fmt(until)}Z"
            ev += [dtprop("DTSTART", start, zone), dtprop("DTEND", start + length, zone), "RRULE:" + rule]
            overrides = []
            if step is not None and rng.random() < 0.5:
                picks = sorted(rng.sample(range(1, 5), rng.randrange(1, 3)))
                for k in picks:
                    ev.append(dtprop("EXDATE", start + k * step, zone))
                for k in sorted(rng.sample(range(5, 9), rng.randrange(1, 3))):
                    rid = start + k * step
                    o = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", dtprop("RECURRENCE-ID", rid, zone)]
                    if rng.random() < 0.3:
                        o += [dtprop("DTSTART", rid, zone), dtprop("DTEND", rid + length, zone), "STATUS:CANCELLED"]
                    else:
                        moved = rid + dt.timedelta(hours=rng.choice([-2, 1, 3]))
                        o += [dtprop("DTSTART", moved, zone), dtprop("DTEND", moved + length, zone), f"SUMMARY:Moved {i}"]
                    o.append("END:VEVENT")
                    overrides.append(o)
            ev.append("END:VEVENT")
            lines += ev
            for o in overrides:
                lines += o
            continue
        kind = rng.random()
        if kind < 0.1:
            ev += [f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
                   f"DTEND;VALUE=DATE:{(day + dt.timedelta(days=rng.randrange(1, 3))).strftime('%Y%m%d')}"]
        else:
            ev += [dtprop("DTSTART", start, zone), dtprop("DTEND", start + length, zone)]
            if kind < 0.2:
                ev.append("STATUS:TENTATIVE")
            elif kind < 0.25:
                ev.append("TRANSP:TRANSPARENT")
            elif kind < 0.3:
                ev.append("STATUS:CANCELLED")
        ev.append("END:VEVENT")
        lines += ev
    lines.append("END:VCALENDAR")
    with open(out, "w", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


if __name__ == "__main__":
    main()
