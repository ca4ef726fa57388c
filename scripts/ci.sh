#!/usr/bin/env bash
# The whole CI run: formatting, lints, the README's test command, and one
# quick benchmark run that must leave fresh reports behind.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (the README's test command)"
cargo test

step "facade features: mutex fallback and channel"
cargo test -p procstore --no-default-features --features mutex
cargo test -p procstore --no-default-features --features channel

scripts/bench-smoke.sh
