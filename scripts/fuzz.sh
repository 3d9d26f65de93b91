#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Short fuzzing run of every libFuzzer target (clang 14, ASan + UBSan), SECONDS each (default 60),
# starting from the seed corpus made from tests/data/mobile-stanzas.xml plus fuzz/regressions/.
# New interesting inputs are kept in build-fuzz/corpus/<target>/ between runs. A crash leaves its
# input in build-fuzz/ and makes this command fail. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

bash scripts/setup.sh
if [[ ! -f build-fuzz/build.ninja ]]; then
  CXX=clang++-14 meson setup build-fuzz -Dfuzz=true -Dtests=false -Dbenchmarks=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
fi
ninja -C build-fuzz

status=0
for binary in build-fuzz/fuzz/*_fuzz; do
  target=$(basename "$binary" _fuzz)
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  dict=()
  if [[ $target == stream_parser ]]; then dict=(-dict=../fuzz/xmpp.dict); fi
  echo "== fuzzing $target for ${seconds}s"
  inputs=("corpus/$target")
  for dir in "fuzz/seeds/$target" "../fuzz/regressions/$target"; do
    if [[ -d build-fuzz/$dir ]]; then inputs+=("$dir"); fi
  done
  if ! (cd build-fuzz && "./fuzz/${target}_fuzz" "${dict[@]}" \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${inputs[@]}"); then
    echo "fuzz: $target FAILED (see the crash input above)"
    status=1
  fi
done
exit $status
