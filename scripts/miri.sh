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
# tests that use them run with permissive provenance. The channel crate's actor threads are too slow
# under Miri and are left to ThreadSanitizer and the suite.
strict="-Zmiri-strict-provenance"
permissive="-Zmiri-permissive-provenance"
miri() { MIRIFLAGS="$1 ${MIRIFLAGS:-}" cargo +nightly miri test "${@:2}"; }

seeds="${MIRI_SEEDS:-1 2}"
# The suite runs from procstore-catalog's tests/conformance.rs, one module
# per catalogue id; the filters pick the strategies by id.
suite() { miri "$1" -p procstore-catalog --test conformance -- "${@:2}"; }
for seed in $seeds; do
  printf '\n==> miri, seed %s: core, conformance helpers and the hazard store (strict provenance)\n' "$seed"
  miri "$strict -Zmiri-seed=$seed" -p procstore-core -p procstore-conformance
  suite "$strict -Zmiri-seed=$seed" haphazard --skip handles_
  miri "$strict -Zmiri-seed=$seed" -p procstore-atomic --test reclamation
  if [ "$seed" = "${seeds%% *}" ]; then
    printf '\n==> miri, seed %s: lock and arc-swap stores, DashMap and copy-on-write registries\n' "$seed"
    suite "$permissive -Zmiri-seed=$seed" std_ parking_lot arc_swap dashmap cow_map --skip handles_
  else
    # Later seeds vary the schedule where safety rests on reclamation
    # (arc-swap); the locks' and DashMap's rest on their crates' own.
    printf '\n==> miri, seed %s: arc-swap stores and the copy-on-write registry\n' "$seed"
    suite "$permissive -Zmiri-seed=$seed" arc_swap cow_map --skip handles_
  fi
done
# The registries of handles add no unsafe code of their own: one seed, on
# the maps whose crates bring theirs (papaya, scc, DashMap), keeps CI within
# its budget; the copy-on-write and locked handle maps are arc-swap's and
# parking_lot's, run above.
printf '\n==> miri, seed 1: registries of handles in papaya, scc and DashMap\n'
suite "$permissive -Zmiri-seed=1" handles_papaya handles_scc handles_dashmap
printf '\n==> miri: every freed address reused at once (ABA by reuse)\n'
reuse="-Zmiri-address-reuse-rate=1.0 -Zmiri-address-reuse-cross-thread-rate=1.0"
suite "$strict $reuse" haphazard --skip handles_
suite "$permissive $reuse" arc_swap cow_map handles_papaya:: handles_scc --skip handles_dashmap --skip handles_cow
echo "miri: no undefined behaviour, leak or data race in the core, lock and atomic crates, values and handles (every strategy with seed ${seeds%% *}; core, haphazard and arc-swap with seeds $seeds; and with full address reuse)"
