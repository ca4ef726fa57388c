#!/usr/bin/env bash
# Formatting and lints, warnings denied.
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\n==> cargo fmt --all --check\n'
cargo fmt --all --check
printf '\n==> cargo clippy --workspace --all-targets -- -D warnings\n'
cargo clippy --workspace --all-targets -- -D warnings
printf '\n==> cargo doc --workspace --no-deps (RUSTDOCFLAGS="-D warnings")\n'
RUSTDOCFLAGS="-D warnings ${RUSTDOCFLAGS:-}" cargo doc --workspace --no-deps
echo "lint: formatted; clippy and rustdoc find nothing"
