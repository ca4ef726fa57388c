#!/usr/bin/env bash
# Builds everything with the rust-version Cargo.toml states.
set -euo pipefail
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
# rustup may know the toolchain as "1.95" or "1.95.0"; install only if neither exists.
toolchain=$msrv
for candidate in "$msrv" "$msrv.0"; do
  if rustup run "$candidate" rustc -V >/dev/null 2>&1; then
    toolchain=$candidate
    break
  fi
done
rustup run "$toolchain" rustc -V >/dev/null 2>&1 || rustup toolchain install "$toolchain" --profile minimal
printf '\n==> cargo +%s check --workspace --all-targets\n' "$toolchain"
cargo "+$toolchain" check --workspace --all-targets
echo "msrv: the workspace builds with Rust $toolchain (rust-version $msrv)"
