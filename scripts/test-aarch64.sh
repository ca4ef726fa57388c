#!/usr/bin/env bash
# Builds the workspace for aarch64 and runs its tests under qemu-user.
# qemu runs Arm code on this machine's memory model, so this checks code
# generation and behaviour, not Arm's weak ordering (loom and Miri do that).
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-gnu
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if [ ${#need[@]} -gt 0 ]; then
  echo "aarch64: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
# Tests that run one of our binaries themselves (procstore-supervisor's CLI
# tests) need the same runner: this machine cannot exec aarch64 code directly.
export PROCSTORE_TEST_RUNNER="$CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER"
export PROCSTORE_EMULATOR=qemu-aarch64
printf '\n==> cargo test --target %s (under qemu-aarch64)\n' "$target"
cargo test --workspace --target "$target"
echo "aarch64: the whole workspace builds for $target and its tests pass under qemu-user"
