#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# clang-tidy (.clang-tidy at the root) over the library sources, using build/compile_commands.json.
# Part of scripts/test.sh; also usable alone: scripts/lint.sh [FILE…].
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/compile_commands.json ]]; then
  meson setup build
fi
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'xmpp/*.cpp' 'tls/*.cpp' 'core/*.cpp' 'ternd/*.cpp' 'storage/*.cpp' \
    'modules/*.cpp' 'tools/*.cpp' 'conformance/*.cpp' 'client/*.cpp' 'log/*.cpp')
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet >"$log" 2>&1
then
  echo "lint: ok (${#files[@]} files)"
else
  grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter' "$log" || true
  echo "lint: clang-tidy found problems (above)"
  exit 1
fi
