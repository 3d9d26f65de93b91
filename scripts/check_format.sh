#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails if a tracked C++ source differs from clang-format's output (.clang-format at the root).
# `scripts/check_format.sh --fix` rewrites the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.h' '*.cpp' '*.c')
if [[ ${#files[@]} -eq 0 ]]; then
  exit 0
fi
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if clang-format --dry-run -Werror "${files[@]}"; then
  echo "format: ok (${#files[@]} files)"
else
  echo "format: run scripts/check_format.sh --fix"
  exit 1
fi
