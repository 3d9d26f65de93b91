#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ThreadSanitizer run of what crosses threads: the worker inbox and cross-worker delivery (the
# server integration tests, with two workers), the storage writer thread (storage unit tests),
# the core unit tests, and stream management (acks released from store completions, sessions
# resumed across workers), offline delivery (receipts fired on other workers; the sent marks the
# workers share), account deletion closing sessions on every worker, and push notifications for
# sessions on other workers; and the log (workers, its writer and reporter threads). Separate from
# scripts/test.sh because it needs a third full build.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
if [[ ! -f build-tsan/build.ninja ]]; then
  meson setup build-tsan -Db_sanitize=thread -Dbenchmarks=false -Dbuildtype=debug \
    -Doptimization=1
fi
ninja -C build-tsan
# A race makes the process exit with 66; the harness fails a test when ternd does not exit 0.
TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1" \
  meson test -C build-tsan --print-errorlogs core storage modules server strophe stream_management \
    offline register push log
