#!/usr/bin/env bash
# Adds every results.json found under DIR (e.g. CI artifacts from x86 and ARM
# runners) to reports/ and re-renders the reports, the comparison included.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: scripts/collect-reports.sh DIR}
mapfile -t found < <(find "$dir" -name results.json -path '*-*/results.json' | sort)
if [ ${#found[@]} -eq 0 ]; then
  echo "collect-reports: no results.json under $dir" >&2
  exit 1
fi
printf '\n==> procstore-report --add %s\n' "${found[*]}"
cargo run --quiet -p procstore-report -- --add "${found[@]}"
# An architecture with only instruction counts (aarch64-linux's) has no report.
echo "collect-reports: reports/README.md compares $(find reports -mindepth 2 -maxdepth 2 -name results.json | wc -l) architecture(s)"
