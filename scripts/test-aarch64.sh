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

# qemu-user 7.2 with glib 2.74 (Debian 12) can deadlock a child that a
# multi-threaded program forks: the child, still qemu, translates code on its
# way to exec, and blocks on glib's slice-allocator lock, which another thread
# held at the fork (gdb: tcg_tb_insert -> g_slice_alloc -> futex). The parent
# then waits for that exec forever: the supervisor's control tests hung in 2
# of 82 runs here. With always-malloc, glib allocates with glibc's malloc,
# whose locks fork resets (glib 2.76 and later always do): none of 150 hung.
export G_SLICE=always-malloc
qemu="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# Any other hang in qemu ends that test binary after 15 minutes (every one
# takes well under 5 here), failing the step instead of the whole CI run.
# (timeout gives it a process group of its own, so Ctrl-C in a terminal
# stops cargo but leaves a running test binary to finish or time out.)
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="timeout --kill-after=10 900 $qemu"
# Tests that run one of our binaries themselves (procstore-supervisor's CLI
# tests) need qemu too: this machine cannot exec aarch64 code directly. They
# signal that process, so it is qemu itself, not a timeout in between.
export PROCSTORE_TEST_RUNNER="$qemu"
export PROCSTORE_EMULATOR=qemu-aarch64
printf '\n==> cargo test --target %s (under qemu-aarch64)\n' "$target"
cargo test --workspace --target "$target"
echo "aarch64: the whole workspace builds for $target and its tests pass under qemu-user"
