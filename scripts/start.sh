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

if [[ -x build/ternd/ternd ]]; then
  exec build/ternd/ternd "$@"
fi
echo "start: build/ternd/ternd was not built" >&2
exit 1
