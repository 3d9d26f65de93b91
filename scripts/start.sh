#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up everything and starts the server on its embedded default (domain localhost, LMDB store,
# self-signed certificate). Arguments are passed to ternd (e.g. --config FILE, --set KEY=VALUE).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
if [[ ! -f build/build.ninja ]]; then
  meson setup build
fi
ninja -C build

if [[ -x build/core/ternd ]]; then
  exec build/core/ternd "$@"
fi
cat <<'MSG'
start: the protocol library (xmpp/) is built and tested, but the server binary ternd does not
exist yet (it is the next issue). What exists now:
  scripts/test.sh    unit tests, sanitizer build, fuzz corpus replay, format and layering checks
  scripts/bench.sh   parser and serializer benchmarks over the mobile traffic corpus
  scripts/fuzz.sh    a short libFuzzer run of every target
MSG
exit 1
