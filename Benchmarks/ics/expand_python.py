#!/usr/bin/env python3
"""The reference expansion with python's recurring-ical-events: the same busy/tentative rules as
`bookiji ics expand` (cancelled, transparent and zero-length events block nothing), printing
the same JSON array of {"start","end","status","uid"} in UTC.

usage: expand_python.py FILE FROM TO     (FROM/TO as YYYY-MM-DD, UTC midnight)
"""
import datetime as dt
import json
import sys

import icalendar
import recurring_ical_events


def utc(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)


def main():
    path, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, "rb") as f:
        calendar = icalendar.Calendar.from_ical(f.read())
    window = (dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    out = []
    for event in recurring_ical_events.of(calendar).between(*window):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        s = utc(event["DTSTART"].dt)
        e = utc(event["DTEND"].dt) if "DTEND" in event else s
        if e <= s:
            continue
        status = "tentative" if str(event.get("STATUS", "")).upper() == "TENTATIVE" else "busy"
        out.append({"start": s.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": e.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "status": status, "uid": str(event.get("UID"))})
    out.sort(key=lambda o: (o["start"], o["end"], o["status"], o["uid"]))
    json.dump(out, sys.stdout, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
