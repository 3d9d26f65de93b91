#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Summarises parser_bench's JSON output: stanzas/s and MB/s per figure and the parse/floor ratio.
import json
import sys

with open(sys.argv[1]) as f:
    runs = {b["name"]: b for b in json.load(f)["benchmarks"] if b.get("run_type") != "aggregate"}

print()
print(f"{'figure':<34}{'stanzas/s':>14}{'MB/s':>10}")
for name in ("ExpatFloor", "TernParse", "TernSerialize"):
    b = runs.get(name)
    if b:
        print(f"{name:<34}{b['items_per_second']:>14,.0f}{b['bytes_per_second'] / 1e6:>10.1f}")
floor, parse = runs.get("ExpatFloor"), runs.get("TernParse")
if floor and parse:
    ratio = floor["bytes_per_second"] / parse["bytes_per_second"]
    print(f"ratio (b)/(a), time of TernParse over ExpatFloor: {ratio:.2f} (target: at most ~2)")
