#!/bin/bash
# SPDX-License-Identifier: MIT
# The conformance suite against ternd, Prosody and ejabberd in one go, to check the scenarios
# themselves (conformance/README.md, "Results"): each server runs as a throwaway instance on
# loopback (run_ternd.py, run-prosody.sh, run-ejabberd.sh install and configure what they need),
# and the summary shows the three side by side. A FAIL on a peer must be a documented known gap
# ('# known-gap: prosody|ejabberd:' citing the sentence it breaks); anything else is a mistake in
# a scenario. Exit status 0 when every server passed (known gaps and SHOULD warnings aside).
#
# usage: conformance/run-peers.sh [BUILD_DIR] [tern-conformance options...]
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
shift || true
runner="$build/conformance/tern-conformance"
ninja -C "$build" conformance/tern-conformance ternd/ternd tools/ternctl >/dev/null 2>&1 ||
  ninja -C "$build" >/dev/null || { echo "run-peers.sh: cannot build $build" >&2; exit 2; }

logs="$(mktemp -d /tmp/tern-peers-XXXXXX)"
status=0
TERN_BUILD_DIR="$build" python3 "$here/run_ternd.py" "$runner" "$here/scenarios" "$@" \
  >"$logs/ternd.log" 2>&1 || status=1
"$here/run-prosody.sh" "$build" --jobs 4 "$@" >"$logs/prosody.log" 2>&1 || status=1
"$here/run-ejabberd.sh" "$build" --jobs 4 "$@" >"$logs/ejabberd.log" 2>&1 || status=1

python3 - "$logs" <<'PY'
import os, re, sys
logs = sys.argv[1]
servers = ["ternd", "prosody", "ejabberd"]
counts = {}
for server in servers:
    text = open(os.path.join(logs, server + ".log")).read()
    c = {k: 0 for k in ("PASS", "FAIL", "WARN", "SKIP", "GAP")}
    for m in re.finditer(r"^(PASS|FAIL|WARN|SKIP) \S+.*$", text, re.M):
        kind = m.group(1)
        if kind == "FAIL" and "[known gap:" in m.group(0):
            kind = "GAP"
        c[kind] += 1
    counts[server] = c
print(f"{'':<22}" + "".join(f"{s:>10}" for s in servers))
for key, label in (("PASS", "passed"), ("GAP", "failed: known gap"), ("FAIL", "failed: other"),
                   ("WARN", "SHOULD warnings"), ("SKIP", "skipped")):
    print(f"{label:<22}" + "".join(f"{counts[s][key]:>10}" for s in servers))
PY
echo "run-peers.sh: full reports in $logs/{ternd,prosody,ejabberd}.log"
exit "$status"
