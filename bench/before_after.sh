#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The chat benchmark on two builds of ternd in the same run, for a change that must not slow the
# server down: each build gets a fresh store provisioned with its own ternctl, a warm-up, and a
# saturated 1,000-pair chat (tern-bench from NEW); the builds alternate for ROUNDS rounds so that
# drift of the machine hits both alike. Prints every summary line and a table of medians with
# the ratio NEW/BASE.
#
#   bench/before_after.sh BASE_BUILD NEW_BUILD     # e.g. /work/base/build build
#
# BASE_BUILD and NEW_BUILD are build directories holding ternd (ternd/ternd, or core/ternd in
# trees from before ternd/ existed) and tools/ternctl. Sizes: PAIRS (1000), DURATION (10 s),
# ROUNDS (3), GENERATORS (2). The machine is assumed to be idle.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=$(realpath "$1")
NEW=$(realpath "$2")
PAIRS=${PAIRS:-1000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
GENERATORS=${GENERATORS:-2}
PASSWORD=bench-password
WORK=${BENCH_DIR:-/tmp/tern-before-after}
TERN_BENCH=$NEW/tools/tern-bench/tern-bench
RESULTS=$WORK/results.txt
mkdir -p "$WORK"
: > "$RESULTS"

ternd_of() { [[ -x $1/ternd/ternd ]] && echo "$1/ternd/ternd" || echo "$1/core/ternd"; }

BENCH_NAME=before_after
# shellcheck source=bench/lib.sh
source bench/lib.sh  # (the script runs from the repository root)

run_one() {  # run_one NAME BUILD
  local name=$1 build=$2 dir=$WORK/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  local set=(--set "server.storage_path=$dir/store" --set "server.workers=2"
             --set 'c2s.starttls=["127.0.0.1:26222"]' --set 'c2s.direct_tls=["127.0.0.1:26223"]'
             --set 'http.listen=[]' --set 'http.tls_listen=[]'
             --set c2s.require_encryption=false --set log.level=warn)
  "$build/tools/ternctl" "${set[@]}" init > /dev/null
  local accounts=$((2 * PAIRS > 50 ? 2 * PAIRS : 50))
  "$build/tools/ternctl" "${set[@]}" adduser-range "bench@localhost" 0 "$accounts" \
    "$PASSWORD" > /dev/null
  "$(ternd_of "$build")" "${set[@]}" > "$dir/ternd.log" 2>&1 &
  SERVER_PID=$!
  wait_port 26222
  # Warm-up (allocators, TLS, first store reads), not recorded.
  "$TERN_BENCH" connect --port 26222 --sessions 50 --hold 0 --password "$PASSWORD" \
    > /dev/null || true
  local line
  line=$("$TERN_BENCH" chat --port 26222 --pairs "$PAIRS" --duration "$DURATION" \
           --processes "$GENERATORS" --password "$PASSWORD" --server-pid "$SERVER_PID" \
           --setup-timeout 600 | grep '^tern-bench: ')
  stop_server
  echo "$name $line" | tee -a "$RESULTS"
}

for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then
    run_one base "$BASE"; run_one new "$NEW"
  else
    run_one new "$NEW"; run_one base "$BASE"
  fi
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
runs = {"base": [], "new": []}
for line in open(sys.argv[1]):
    name, _, rest = line.partition(" ")
    fields = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
    runs[name].append(fields)
keys = [("msgs_per_s", "chat msg/s (saturated)", True), ("lat_p50_ms", "latency p50 ms", False),
        ("lat_p99_ms", "latency p99 ms", False),
        ("server_cpu_us_per_msg", "server CPU µs/msg", False), ("lost", "lost", False)]
print(f"\n| {'figure':28} | base (median) | new (median) | new/base |")
print(f"|{'-'*30}|---------------|--------------|----------|")
for key, label, _ in keys:
    b = [float(r[key]) for r in runs["base"] if key in r]
    n = [float(r[key]) for r in runs["new"] if key in r]
    if not b or not n:
        continue
    mb, mn = statistics.median(b), statistics.median(n)
    ratio = f"{mn / mb:.3f}" if mb else "-"
    print(f"| {label:28} | {mb:13.2f} | {mn:12.2f} | {ratio:>8} |")
PY
