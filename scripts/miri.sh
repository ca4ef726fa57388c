#!/usr/bin/env bash
# Miri over the conformance suite and our unsafe code: undefined behaviour,
# use after free, leaks and data races, under several schedules (seeds), and
# once with every freed address reused at once, to provoke ABA.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "miri: not installed, trying: rustup component add miri rust-src --toolchain nightly"
  if ! rustup component add miri rust-src --toolchain nightly; then
    echo "miri: SKIPPED: the miri component could not be installed on this machine" >&2
    exit 0
  fi
fi
cargo +nightly miri setup

# Isolation stays on: no code under test reads the wall clock (transitions
# take their timestamp from the caller) or touches the host. Strict
# provenance holds for our code and haphazard;
# arc-swap (its fallback path), parking_lot_core (its queue words), papaya's
# seize and scc's sdd (tagged pointers) cast integers to pointers, so the
# tests that use them run with permissive provenance. crossbeam-epoch
# casts too, and is not Stacked-Borrows clean (crossbeam #545): its store
# runs under Tree Borrows, as crossbeam's own CI does. The channel crate's actor threads are too slow
# under Miri and are left to ThreadSanitizer and the suite.
strict="-Zmiri-strict-provenance"
permissive="-Zmiri-permissive-provenance"
miri() { MIRIFLAGS="$1 ${MIRIFLAGS:-}" cargo +nightly miri test "${@:2}"; }

seeds="${MIRI_SEEDS:-1 2}"
first="${seeds%% *}"
# The suite runs from procstore-catalog's tests/conformance.rs, one module
# per catalogue id; the filters pick the strategies by id.
suite() { miri "$1" -p procstore-catalog --test conformance -- "${@:2}"; }

# Every store, once, with the first seed.
first_seed() {
  printf '\n==> miri, seed %s: core, conformance helpers and the hazard store (strict provenance)\n' "$first"
  miri "$strict -Zmiri-seed=$first" -p procstore-core -p procstore-conformance
  suite "$strict -Zmiri-seed=$first" haphazard --skip handles_
  miri "$strict -Zmiri-seed=$first" -p procstore-atomic --test reclamation
  printf '\n==> miri, seed %s: lock and arc-swap stores, DashMap and copy-on-write registries\n' "$first"
  suite "$permissive -Zmiri-seed=$first" std_ parking_lot arc_swap dashmap cow_map --skip handles_
  printf '\n==> miri, seed %s: left-right, arcshift and seqlock stores, seize, crossbeam-epoch (Tree Borrows)\n' "$first"
  suite "$strict -Zmiri-seed=$first" left_right arcshift seqlock --skip handles_
  epoch_stores "-Zmiri-seed=$first"
}

# The two epoch stores, whose CAS loops and retirement are ours.
epoch_stores() {
  suite "$strict $1" seize
  suite "$permissive -Zmiri-tree-borrows $1" crossbeam_epoch
}

# The registries of handles, once; later seeds vary the schedule of the
# hazard store and core (the oldest of our unsafe code, with the most
# reclamation tests); then every freed address reused at once, to provoke
# ABA, in the stores whose CAS loop compares addresses: hazard, arc-swap,
# the copy-on-write map and the two epoch stores. (arcshift and left-right
# loops are the crates' own; they run with the first seed.) The budget:
# this whole script must leave .ci/run under 60 minutes on 2 cores.
handles_other_seeds_and_reuse() {
  # The registries of handles add no unsafe code of their own: one seed, on
  # the maps whose crates bring theirs (papaya, scc, DashMap) and on the
  # copy-on-write map, whose readers index their own readers of the stores;
  # the locked handle map is parking_lot's.
  printf '\n==> miri, seed %s: registries of handles in papaya, scc, DashMap and a copy-on-write map\n' "$first"
  suite "$permissive -Zmiri-seed=$first" handles_papaya handles_scc handles_dashmap handles_cow_map
  for seed in ${seeds#"$first"}; do
    printf '\n==> miri, seed %s: core and the hazard store\n' "$seed"
    miri "$strict -Zmiri-seed=$seed" -p procstore-core -p procstore-conformance
    suite "$strict -Zmiri-seed=$seed" haphazard --skip handles_
    miri "$strict -Zmiri-seed=$seed" -p procstore-atomic --test reclamation
  done
  printf '\n==> miri: every freed address reused at once (ABA by reuse)\n'
  reuse="-Zmiri-address-reuse-rate=1.0 -Zmiri-address-reuse-cross-thread-rate=1.0"
  suite "$strict $reuse" haphazard --skip handles_
  suite "$permissive $reuse" arc_swap cow_map --skip handles_
  epoch_stores "$reuse"
}

# Miri interprets on one core: the two halves run side by side, each into
# its own log (shown when it ends), so that a 2-core machine is busy.
cargo +nightly miri test --no-run -p procstore-core -p procstore-conformance -p procstore-atomic -p procstore-catalog
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
(set -e; first_seed) >"$logs/first" 2>&1 &
first_pid=$!
(set -e; handles_other_seeds_and_reuse) >"$logs/other" 2>&1 &
other_pid=$!
status=0
wait "$first_pid" || status=$?
cat "$logs/first"
wait "$other_pid" || status=$?
cat "$logs/other"
if [ "$status" -ne 0 ]; then
  echo "miri: FAILED (see the logs above)" >&2
  exit "$status"
fi
echo "miri: no undefined behaviour, leak or data race in the core, lock and atomic crates, values and handles (every strategy with seed $first; core and haphazard with seeds $seeds; haphazard, arc-swap, crossbeam-epoch and seize with full address reuse)"
