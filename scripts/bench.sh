#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Parser and serializer benchmarks (release build) over tests/data/mobile-stanzas.xml. Prints the
# Google Benchmark table, then stanzas/s and MB/s for each figure and the ratio the foundation
# issue asks for: (Tern parse building trees) / (Expat alone with empty callbacks), as time per
# byte. Extra arguments go to the benchmark binary (e.g. --benchmark_repetitions=5).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
if [[ ! -f build-release/build.ninja ]]; then
  meson setup build-release -Dbuildtype=release -Dtests=false
fi
ninja -C build-release bench/parser_bench
out=build-release/parser_bench.json
TERN_TEST_DATA=tests/data build-release/bench/parser_bench --benchmark_min_time=1 \
  --benchmark_out="$out" --benchmark_out_format=json "$@"
python3 scripts/bench_summary.py "$out"
