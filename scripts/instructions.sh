#!/usr/bin/env bash
# What each store's read and update compile to, per architecture: builds
# the probe binary (crates/procstore-instructions) three ways, counts the
# instructions, loads, atomic read-modify-writes, fences and calls of every
# store's read and update function from objdump, and writes them to
# reports/instructions.json, then re-renders the reports (each
# REPORT.md/index.html gains the section "What each read executes").
#
#   x86_64       x86_64-unknown-linux-gnu, no RUSTFLAGS
#   aarch64      aarch64-unknown-linux-gnu, no RUSTFLAGS: the ARMv8.0 baseline,
#                whose atomics are calls to outline helpers (compiler-builtins)
#                (__aarch64_cas8_acq_rel ...) that pick LSE at run time
#   aarch64+lse  aarch64-unknown-linux-gnu, RUSTFLAGS=-C target-feature=+lse:
#                casal, ldaddal, swpal inline
#
# The counts are compiler output, not a measurement of this machine: one
# file for every architecture's report. Each configuration builds in its
# own target/instructions/<name>, so its RUSTFLAGS never rebuild target/.
#
#   scripts/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v aarch64-linux-gnu-objdump >/dev/null || need+=(binutils-aarch64-linux-gnu)
command -v objdump >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
  echo "instructions: installing ${need[*]}"
  sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
for target in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done
host=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
if [ "$host" != x86_64-unknown-linux-gnu ]; then
  # Building for x86_64 elsewhere (an Arm runner) needs its cross linker.
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER="${CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER:-x86_64-linux-gnu-gcc}"
fi
# The x86_64 disassembler wherever this runs (plain objdump is the host's).
x86_objdump=x86_64-linux-gnu-objdump
command -v "$x86_objdump" >/dev/null || x86_objdump=objdump

# name | label | target | RUSTFLAGS | objdump | --arch
configurations=(
  "x86_64|x86_64|x86_64-unknown-linux-gnu||$x86_objdump|x86_64"
  "aarch64|aarch64|aarch64-unknown-linux-gnu||aarch64-linux-gnu-objdump|aarch64"
  "aarch64-lse|aarch64+lse|aarch64-unknown-linux-gnu|-C target-feature=+lse|aarch64-linux-gnu-objdump|aarch64"
)

build() { # name target rustflags
  printf '\n==> building the probe: %s (%s%s)\n' "$1" "$2" "${3:+, RUSTFLAGS=$3}"
  env -u CARGO_ENCODED_RUSTFLAGS RUSTFLAGS="$3" CARGO_TARGET_DIR="target/instructions/$1" \
    cargo build --release -q -p procstore-instructions --target "$2"
}

for configuration in "${configurations[@]}"; do
  IFS='|' read -r name _ target flags _ _ <<<"$configuration"
  build "$name" "$target" "$flags"
done

# The disassembly runs on this machine: the configuration built for it
# without RUSTFLAGS, else a build of its own.
runner=
for configuration in "${configurations[@]}"; do
  IFS='|' read -r name _ target flags _ _ <<<"$configuration"
  if [ "$target" = "$host" ] && [ -z "$flags" ]; then
    runner="target/instructions/$name/$target/release/procstore-instructions"
  fi
done
if [ -z "$runner" ]; then
  build host "$host" ""
  runner="target/instructions/host/$host/release/procstore-instructions"
fi

rustc_version=$(rustc -V)
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
parts=()
for configuration in "${configurations[@]}"; do
  IFS='|' read -r name label target flags objdump arch <<<"$configuration"
  printf '\n==> disassembling %s\n' "$label"
  "$runner" disasm --objdump "$objdump" --arch "$arch" --label "$label" --target "$target" \
    --rustflags="$flags" --rustc "$rustc_version" --commit "$commit" \
    --binary "target/instructions/$name/$target/release/procstore-instructions" --out "$work/$name.json"
  parts+=("$work/$name.json")
done
"$runner" disasm --merge "${parts[@]}" --out reports/instructions.json

printf '\n==> rendering the reports\n'
cargo run -q -p procstore-report -- --reports reports
echo "instructions: reports/instructions.json written and the reports re-rendered in $((SECONDS - start)) s"
