#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, from a clean clone: installs what is missing, builds, and runs
#   1. the unit tests (optimised build, gcc),
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the fuzz corpus replay (every seed through every fuzz target, in both builds),
#   4. the structural checks: clang-format, clang-tidy and the layering rules.
# It ends with one line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs=$(nproc)

configure() {  # configure DIR [meson options…]: set up once, reconfigure if meson.build changed
  local dir=$1
  shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    meson setup "$dir" "$@"
  fi
}

configure build
configure build-asan -Db_sanitize=address,undefined -Dbenchmarks=false -Dbuildtype=debug \
  -Doptimization=1

status=0
for dir in build build-asan; do
  echo "== build and test: $dir"
  ninja -C "$dir" -j "$jobs"
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" || status=1
done

echo "== structural checks"
bash scripts/check_layering.sh || status=1
bash scripts/check_format.sh || status=1
bash scripts/lint.sh || status=1

python3 scripts/test_summary.py build/meson-logs/testlog.junit.xml \
  build-asan/meson-logs/testlog.junit.xml --extra-failures "$status"
