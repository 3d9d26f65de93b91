#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The size table of binary XMPP (docs/binary-xmpp.md, section 12) on tests/data/mobile-stanzas.xml:
# XML, deflate per stanza and zlib streams (computed with zlib over the same lines), the issue's
# quoted figures, Tern's binary encoding, the typical stanzas and the targets. Sizes do not depend
# on the build type, so the default build directory serves (BUILD=build-release also works).
# Exits 1 when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}

bash scripts/setup.sh >/dev/null
if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build"
fi
ninja -C "$build" bench/binary_bench >/dev/null
TERN_TEST_DATA=tests/data "$build/bench/binary_bench" --sizes
