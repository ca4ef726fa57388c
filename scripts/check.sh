#!/usr/bin/env bash
# Formatting, lints, the README's test command, and the facade's fallback
# features.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (the README's test command)"
cargo test

step "facade features: the mutex fallback and the channel store"
cargo test -p procstore --no-default-features --features mutex
cargo test -p procstore --no-default-features --features channel
