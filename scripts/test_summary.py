#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Counts the test cases in meson's JUnit logs (GoogleTest cases appear one by one, since the
# tests use meson's gtest protocol) and prints the closing line "tests: N passed, N failed".
# Exits non-zero if anything failed, or if no test ran at all.
import argparse
import sys
import xml.etree.ElementTree as ET

parser = argparse.ArgumentParser()
parser.add_argument("logs", nargs="+")
parser.add_argument("--extra-failures", type=int, default=0,
                    help="non-zero when a check outside the JUnit logs failed")
args = parser.parse_args()

passed = failed = skipped = 0
for path in args.logs:
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        # With the gtest protocol meson copies each GoogleTest case into the log; every other
        # test (the fuzz replays) is one case.
        outcome = [child.tag for child in case]
        if "failure" in outcome or "error" in outcome:
            failed += 1
        elif "skipped" in outcome:
            skipped += 1
        else:
            passed += 1

failed += 1 if args.extra_failures else 0
line = f"tests: {passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
