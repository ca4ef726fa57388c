#!/usr/bin/env bash
# Builds everything with the rust-version Cargo.toml states.
set -euo pipefail
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal
printf '\n==> cargo +%s check --workspace --all-targets\n' "$msrv"
cargo "+$msrv" check --workspace --all-targets
echo "msrv: the workspace builds with Rust $msrv"
