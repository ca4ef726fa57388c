#!/usr/bin/env bash
# Runs every benchmark once in the quick profile and checks that the reports
# for this architecture were written by this run.
set -euo pipefail
cd "$(dirname "$0")/.."

marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
printf '\n==> PROCSTORE_BENCH_PROFILE=quick cargo bench\n'
PROCSTORE_BENCH_PROFILE=quick cargo bench

slug="$(uname -m)-linux"
for file in results.json REPORT.md index.html; do
  path="reports/$slug/$file"
  if [ ! "$path" -nt "$marker" ]; then
    echo "bench-smoke: $path was not written by this run" >&2
    exit 1
  fi
done
echo "bench-smoke: reports/$slug/{results.json,REPORT.md,index.html} regenerated"
