#!/usr/bin/env python3
"""Compares two JSON interval arrays (ours, python's) away from the window edges, where the two
tools read the window differently (python's date window is local to each event's zone).

usage: compare.py OURS.json PYTHON.json FROM TO
"""
import datetime as dt
import json
import sys


def key(o):
    return (o["start"], o["end"], o["status"], o.get("uid"))


def main():
    ours, theirs = (json.load(open(p)) for p in sys.argv[1:3])
    lo = (dt.date.fromisoformat(sys.argv[3]) + dt.timedelta(days=2)).isoformat()
    hi = (dt.date.fromisoformat(sys.argv[4]) - dt.timedelta(days=2)).isoformat()
    inner = lambda xs: {key(o) for o in xs if lo <= o["start"] and o["end"] <= hi}
    a, b = inner(ours), inner(theirs)
    print(f"agreement away from the window edges: {len(a & b)} identical, {len(a - b)} only ours, {len(b - a)} only python")
    for k in sorted(a - b)[:5]:
        print("  only ours:  ", k)
    for k in sorted(b - a)[:5]:
        print("  only python:", k)
    sys.exit(0 if a == b else 1)


if __name__ == "__main__":
    main()
