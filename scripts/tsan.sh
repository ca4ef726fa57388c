#!/usr/bin/env bash
# ThreadSanitizer (nightly, std rebuilt with it) over the lock, channel and
# arc-swap stores' conformance suites.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup component list --toolchain nightly --installed | grep -q '^rust-src' \
  || rustup component add rust-src --toolchain nightly
export RUSTFLAGS="-Zsanitizer=thread ${RUSTFLAGS:-}"
export RUSTDOCFLAGS="-Zsanitizer=thread"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/tsan}"
export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
host=$(rustc -vV | sed -n 's/^host: //p')
printf '\n==> ThreadSanitizer\n'
cargo +nightly test -Zbuild-std --target "$host" \
  -p procstore-catalog --test conformance -- arc_swap mutex rwlock crossbeam flume
echo "tsan: no data race reported in the lock, channel and arc-swap stores"
