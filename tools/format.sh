#!/usr/bin/env bash
# Formats the tree's C sources with clang-format and the repo's .clang-format.
#   tools/format.sh           reformat every tracked .c/.h file in place
#   tools/format.sh --check   change nothing; list the files that differ, exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format is missing: run tools/deps.sh" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
      echo "format: $f does not follow .clang-format (tools/format.sh fixes it)"
      bad=$((bad + 1))
    fi
  done
  echo "format: ${#files[@]} files, $bad not formatted"
  [ "$bad" -eq 0 ]
else
  clang-format --style=file -i "${files[@]}"
fi
