#!/usr/bin/env bash
# Compares the main table's benchmarks of the work tree with BASE (a git ref)
# in the quick profile, on this machine and architecture only, and prints
# criterion's verdicts. Never fails on a slowdown: noise on shared runners
# is larger than most changes, so this informs a reviewer, it does not gate.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/bench-compare.sh BASE_REF}
filter=${BENCH_COMPARE_FILTER:-'^(single_reader/|concurrent/.*/10$|contention/)'}
export PROCSTORE_BENCH_PROFILE=quick
export CARGO_TARGET_DIR="$PWD/target/bench-compare"
worktree=$(mktemp -d)
trap 'git worktree remove --force "$worktree" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$worktree" "$base" >/dev/null

printf '\n==> baseline: %s\n' "$base"
if [ ! -f "$worktree/benches/benches/comparison.rs" ]; then
  echo "bench-compare: $base has no benchmark harness; nothing to compare"
  exit 0
fi
(cd "$worktree" && cargo bench -p procstore-benches --bench comparison -- --save-baseline base --noplot "$filter")

printf '\n==> this tree against %s (noise threshold 10%%)\n' "$base"
# Lenient: a strategy added since BASE has no baseline and is measured alone.
cargo bench -p procstore-benches --bench comparison -- --baseline-lenient base --noise-threshold 0.10 --noplot "$filter" \
  | tee "$CARGO_TARGET_DIR/bench-compare.log"
regressed=$(grep -c 'Performance has regressed' "$CARGO_TARGET_DIR/bench-compare.log" || true)
echo "bench-compare: $regressed benchmark(s) slower than $base beyond noise (reported, not failed)"
