#!/usr/bin/env bash
# loom models: every interleaving (bounded preemptions) of the hazard-pointer
# store's update, read and reclamation, of the crossbeam-epoch store's CAS
# loop and read, of the lock store and registry, and of the handle
# registry's insert, update and remove.
set -euo pipefail
cd "$(dirname "$0")/.."

# crossbeam_loom: crossbeam-epoch's own switch to loom's atomics. It applies
# to every crate built here, and crossbeam-channel does not build under it,
# so only the two packages below (which do not use channels) run.
export RUSTFLAGS="--cfg loom --cfg crossbeam_loom ${RUSTFLAGS:-}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
# A target dir of its own: --cfg loom rebuilds every dependency.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"

printf '\n==> loom models (LOOM_MAX_PREEMPTIONS=%s)\n' "$LOOM_MAX_PREEMPTIONS"
cargo test --release -p procstore-atomic -p procstore-mutex --test loom
echo "loom: every interleaving within $LOOM_MAX_PREEMPTIONS preemptions kept versions monotonic, lost no update, freed nothing in use, published no update after its removal"
