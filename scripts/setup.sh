#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every Debian package Tern needs to build, test, fuzz and benchmark, then configures
# the build directories. Idempotent: packages already present are not fetched again, so a second
# run costs a few dpkg queries.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ meson ninja-build pkg-config python3
  clang-14 libclang-rt-14-dev clang-format clang-tidy
  # libraries (see README: "Dependencies")
  libexpat1-dev libssl-dev libuv1-dev liblmdb-dev libc-ares-dev libicu-dev libfmt-dev
  libtomlplusplus-dev libspdlog-dev
  # tests and benchmarks (integration tests drive the server with Debian's slixmpp, which lives
  # in /usr/bin/python3's packages, and with a C client on libstrophe)
  libgtest-dev libgmock-dev libbenchmark-dev python3-slixmpp libstrophe-dev
  # slixmpp's XEP-0363 upload (the HTTP upload test) does its HTTP with aiohttp
  python3-aiohttp
  # the zlib figures of the binary XMPP size table (bench/binary_bench)
  zlib1g-dev
)

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
