#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the interop tests' npm packages (xmpp.js, pinned in package-lock.json) into
# tests/interop/node_modules with `npm ci`, unless they are already what the lock file says:
# after a successful install the lock file is copied to node_modules/.tern-lock, and an identical
# copy means nothing changed. Quiet when there is nothing to do. scripts/setup.sh runs it, and so
# does the xmpp.js test when node_modules is missing or stale.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stamp="$dir/node_modules/.tern-lock"

if [[ -f "$stamp" ]] && cmp -s "$dir/package-lock.json" "$stamp"; then
  exit 0
fi
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "interop: $tool is not installed (Debian's nodejs and npm); cannot install xmpp.js" >&2
    exit 1
  fi
done
echo "interop: npm ci in tests/interop"
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
cp "$dir/package-lock.json" "$stamp"
