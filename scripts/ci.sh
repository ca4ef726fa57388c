#!/usr/bin/env bash
# The whole CI run, in the order a failure is cheapest to find. The hosted
# workflows (.github/workflows/ci.yml) call these same scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
run() {
  local t=$SECONDS
  "$@"
  printf '<== %s: %ss\n' "$*" "$((SECONDS - t))"
}

run scripts/check.sh          # fmt, clippy -D warnings, cargo test, facade features
run scripts/actionlint.sh     # the hosted workflows
run scripts/msrv.sh           # the rust-version Cargo.toml states
run scripts/loom.sh           # every interleaving of the hazard and lock stores
run scripts/stress.sh         # long linearizability histories
run scripts/miri.sh           # undefined behaviour, leaks, races, ABA by address reuse
run scripts/tsan.sh           # data races in the lock, channel and arc-swap stores
run scripts/test-aarch64.sh   # the workspace's tests built for aarch64, under qemu-user
run scripts/bench-smoke.sh    # a quick cargo bench must regenerate this machine's reports
run scripts/collect-reports.sh reports
run scripts/bench-compare.sh HEAD
printf '\nci: everything passed in %ss\n' "$((SECONDS - started))"
