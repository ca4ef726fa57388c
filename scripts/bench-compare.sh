#!/usr/bin/env bash
# Compares the main table's benchmarks of the work tree (B) with BASE (a git
# ref), on this machine and architecture only, in the quick profile, and
# states how much of the difference is noise: BASE is measured twice (A and
# A', an A/A control), and the largest |A'/A - 1| over the run is the noise
# of this machine now. A benchmark is called slower or faster only when B/A
# is further from 1 than that spread (the bench-noise binary of
# crates/procstore-report prints the table). Criterion's own verdicts, at a
# fixed 10% noise threshold, called 5 of 39 benchmarks of identical code
# slower on a shared runner, so they decide nothing here.
#
# The runs go A, B, A', so slow drift of the machine during the run widens
# the spread instead of passing for a change in B. When BASE is HEAD and the
# tree has no change outside reports/ (the benchmarks' output, not their
# input), the tree is BASE: it runs in place as A and A', with no worktree
# and no third run, and the A/B comparison is the A/A control itself.
#
# The tree builds where `cargo bench` builds (so after a bench run, as in
# .ci/run, nothing is rebuilt); BASE's worktree builds in its own target
# directory: cargo names a workspace crate's artifacts by its path in the
# workspace and judges them fresh by mtime, so in a shared one the tree's
# older files would pass BASE's build as the tree's. All three runs save to
# one criterion directory.
#
# Never fails on a verdict: noise on shared runners is larger than most
# changes, so this informs a reviewer, it does not gate (the instruction
# count gate is separate). It fails on a build error or on criterion output
# the comparer cannot use. A filtered run leaves reports/ as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/bench-compare.sh BASE_REF}
filter=${BENCH_COMPARE_FILTER:-'^(single_reader/|concurrent/.*/10$|contention/)'}
if ! base_commit=$(git rev-parse --verify --quiet "$base^{commit}"); then
  echo "bench-compare: $base is not a commit" >&2
  exit 1
fi
# Absolute: cargo runs the bench binary from benches/, so a relative
# CRITERION_HOME would land there.
tree_target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
export PROCSTORE_BENCH_PROFILE=quick
base_target="$PWD/target/bench-compare-base"
export CRITERION_HOME="$tree_target/bench-compare/criterion"

# The comparer comes from this tree (BASE may predate it), built first so
# that a compile error costs no benchmark run.
CARGO_TARGET_DIR=$tree_target cargo build --quiet -p procstore-report --bin bench-noise
noise=("$tree_target/debug/bench-noise" --criterion "$CRITERION_HOME" --base "$base" --a aa-1 --a-again aa-2)
# An earlier run's baselines (another filter, another BASE) are not this run's.
rm -rf "$CRITERION_HOME"

# bench DIR TARGET_DIR BASELINE WHAT: DIR's filtered benchmarks, saved as BASELINE.
bench() {
  local started=$SECONDS
  printf '\n==> %s: cargo bench in %s, saved as baseline %s\n' "$4" "$1" "$3"
  (cd "$1" && CARGO_TARGET_DIR=$2 cargo bench -p procstore-benches --bench comparison -- \
    --save-baseline "$3" --noplot "$filter")
  printf '<== baseline %s: %ss\n' "$3" "$((SECONDS - started))"
}

# No change to HEAD outside reports/, tracked or untracked (ignored files aside).
tree_is_head() {
  git diff --quiet HEAD -- . ':(exclude)reports' &&
    [ -z "$(git ls-files --others --exclude-standard -- . ':(exclude)reports')" ]
}

if [ "$base_commit" = "$(git rev-parse HEAD)" ] && tree_is_head; then
  printf '\n==> the tree is %s (%s, nothing changed outside reports/): run in place as A and A'\'', no B\n' \
    "$base" "${base_commit:0:12}"
  bench . "$tree_target" aa-1 "$base (A)"
  bench . "$tree_target" aa-2 "$base again (A')"
  printf '\n==> the A/A control, which is the comparison: the tree is %s\n' "$base"
  "${noise[@]}"
  exit 0
fi

worktree=$(mktemp -d)
trap 'git worktree remove --force "$worktree" >/dev/null 2>&1 || { rm -rf "$worktree"; git worktree prune; }' EXIT
git worktree add --detach "$worktree" "$base_commit" >/dev/null
if [ ! -f "$worktree/benches/benches/comparison.rs" ]; then
  echo "bench-compare: $base has no benchmark harness; nothing to compare"
  exit 0
fi
bench "$worktree" "$base_target" aa-1 "$base (A)"
bench . "$tree_target" tree "this tree (B)"
bench "$worktree" "$base_target" aa-2 "$base again (A')"
printf '\n==> this tree against %s, beyond the A/A spread\n' "$base"
"${noise[@]}" --tree tree
