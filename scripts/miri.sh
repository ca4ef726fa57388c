#!/usr/bin/env bash
# Miri over the conformance suite and the unsafe code: undefined behaviour,
# use after free, data races and leaks, under several schedules.
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

# Miri runs every interleaving it picks on one core; the channels' actor
# threads and the benches are too slow under it and are left out.
packages=(-p procstore-core -p procstore-mutex -p procstore-atomic)
seeds="${MIRI_SEEDS:-1 2 3}"
for seed in $seeds; do
  printf '\n==> miri, seed %s\n' "$seed"
  MIRIFLAGS="-Zmiri-strict-provenance -Zmiri-seed=$seed ${MIRIFLAGS:-}" cargo +nightly miri test "${packages[@]}"
done
printf '\n==> miri, every freed address reused at once (ABA by reuse)\n'
MIRIFLAGS="-Zmiri-strict-provenance -Zmiri-address-reuse-rate=1.0 -Zmiri-address-reuse-cross-thread-rate=1.0 ${MIRIFLAGS:-}" \
  cargo +nightly miri test -p procstore-atomic
echo "miri: no undefined behaviour, leak or data race in the core, lock and atomic crates (seeds: $seeds, plus full address reuse)"
