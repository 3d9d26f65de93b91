#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every Debian package Tern needs to build, test, fuzz and benchmark, then configures
# the build directories. Idempotent: packages already present are not fetched again, so a second
# run costs a few dpkg queries.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ meson ninja-build pkg-config python3
  # meson compiles through ccache when it is on PATH; its cache (~/.cache/ccache) lives outside
  # the clone, so CI on the same machine rebuilds only what changed
  ccache
  clang-14 libclang-rt-14-dev clang-format clang-tidy
  # libraries (see README: "Dependencies")
  libexpat1-dev libssl-dev libuv1-dev liblmdb-dev libc-ares-dev libicu-dev libfmt-dev
  libtomlplusplus-dev libspdlog-dev libhttp-parser-dev nlohmann-json3-dev libphonenumber-dev
  libsystemd-dev
  # tests and benchmarks (integration tests drive the server with Debian's slixmpp, which lives
  # in /usr/bin/python3's packages, and with a C client on libstrophe)
  libgtest-dev libgmock-dev libbenchmark-dev python3-slixmpp libstrophe-dev
  # slixmpp's XEP-0363 upload (the HTTP upload test) does its HTTP with aiohttp
  python3-aiohttp
  # the FCM push test: its local stand-in for Google makes keys and certificates and checks the
  # JWT signature
  python3-cryptography
  # a second Python client family for PEP and vCard (aioxmpp's PEP, avatar and vCard services)
  python3-aioxmpp
  # real clients of other families in the interop tests: the Go xmpp library (go-sendxmpp), and
  # the terminal clients Profanity (libstrophe) and mcabber (loudmouth), driven through tmux
  go-sendxmpp profanity mcabber tmux
  # promtool (in Debian's prometheus package) checks /metrics's output and etc/'s alert rules
  prometheus
  # the zlib figures of the binary XMPP size table (bench/binary_bench)
  zlib1g-dev
  # the browser test: Converse.js (npm, tests/interop) in headless Chromium, driven by
  # puppeteer-core, which downloads no browser of its own; openssl for the certificate's key hash
  chromium openssl
)

# xmpp.js (@xmpp/client from npm, pinned in tests/interop/package-lock.json) runs on Node; the
# machine image ships Node and npm, Debian's are installed only where they are absent
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi

# xmpp.js, Converse.js and puppeteer-core for the interop and browser tests: npm ci into
# tests/interop/node_modules unless it already matches
# tests/interop/package-lock.json (silent then)
bash "$(dirname "${BASH_SOURCE[0]}")/../tests/interop/install.sh"
