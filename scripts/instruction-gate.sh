#!/usr/bin/env bash
# The instruction-count gate: each probe (a store's read and update, a
# registry's get hit and miss, insert plus remove; not the actors' nor the
# papaya and scc handle maps', whose counts vary with the schedule or the
# hash seed) runs under callgrind, and the run fails when a read executes
# more than 20% (a write or a get miss 50%) and more than 3 instructions
# above the counts committed for this architecture, or when a read
# allocates. Counts, unlike times, do not depend on a noisy
# runner. (Writes and misses get more room: a write's amortized work and a
# miss's probe length depend on the hash seed each run draws.)
# Then it proves it can fail: the same probe built with extra work in one
# read path (feature inject-regression) must be caught, and its neighbour
# (arc-swap's plain load, measured beside it) must not.
#
#   scripts/instruction-gate.sh            gate this architecture, then the proof
#   scripts/instruction-gate.sh --record   write this architecture's baseline
#   scripts/instruction-gate.sh --record-aarch64
#                                          write aarch64's, from an aarch64 build
#                                          run by arm64 callgrind under qemu-user
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-gate}
case "$mode" in gate | --record | --record-aarch64) ;; *)
  echo "usage: scripts/instruction-gate.sh [--record | --record-aarch64]" >&2
  exit 2
  ;;
esac

sudo=$([ "$(id -u)" -eq 0 ] || echo sudo) # hosted runners are not root
if ! command -v valgrind >/dev/null; then
  echo "instruction-gate: installing valgrind"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build() { cargo build --release -q -p procstore-instructions "$@"; }

if [ "$mode" = --record-aarch64 ]; then
  # Instruction counts are the guest's, so callgrind for arm64 run by
  # qemu-user counts what an Arm machine would execute for the same binary.
  target=aarch64-unknown-linux-gnu
  for tool in qemu-aarch64 aarch64-linux-gnu-gcc dpkg-deb; do
    command -v "$tool" >/dev/null || {
      echo "instruction-gate: --record-aarch64 needs $tool (scripts/test-aarch64.sh installs the cross tools)" >&2
      exit 1
    }
  done
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
  # Debian's mirror serves arm64 beside amd64; on Ubuntu, arm64 lives on
  # ports.ubuntu.com and needs a sources entry of its own first.
  vg=target/valgrind-arm64
  if [ ! -x "$vg/usr/libexec/valgrind/callgrind-arm64-linux" ]; then
    dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
    (cd "$work" && apt-get download -q valgrind:arm64)
    dpkg-deb -x "$work"/valgrind_*_arm64.deb "$vg"
    # Run without its launcher, the tool preloads memcheck's malloc
    # replacement, which callgrind cannot serve: every malloc fails.
    rm -f "$vg"/usr/libexec/valgrind/vgpreload_memcheck-*
  fi
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  build --target "$target"
  build # this machine's, to drive the count
  export VALGRIND_LIB="$PWD/$vg/usr/libexec/valgrind" VALGRIND_LAUNCHER=/usr/bin/valgrind
  target/release/procstore-instructions count --probe "target/$target/release/procstore-instructions" --emulated \
    --callgrind "qemu-aarch64 -L /usr/aarch64-linux-gnu $VALGRIND_LIB/callgrind-arm64-linux" \
    --out reports/aarch64-linux/instruction-counts.json
  exit 0
fi

slug="$(uname -m)-linux"
baseline="reports/$slug/instruction-counts.json"
build
probe="$work/probe"
cp target/release/procstore-instructions "$probe"

if [ "$mode" = --record ]; then
  mkdir -p "reports/$slug"
  "$probe" count --probe "$probe" --out "$baseline"
  exit 0
fi

if [ ! -f "$baseline" ]; then
  echo "instruction-gate: no baseline for $slug ($baseline); record one with --record" >&2
  exit 1
fi
printf '\n==> instruction counts on %s against %s\n' "$slug" "$baseline"
"$probe" count --probe "$probe" --out "$work/now.json"
"$probe" gate --baseline "$baseline" --counts "$work/now.json"

printf '\n==> the gate must fail on an injected regression (extra work in read/arc-swap-cache)\n'
build --features inject-regression
cp target/release/procstore-instructions "$work/injected"
build # the plain probe again, so nothing later runs the injected one
"$probe" count --probe "$work/injected" --filter read/arc-swap --out "$work/injected.json"
if "$probe" gate --baseline "$baseline" --counts "$work/injected.json" --partial >"$work/injected.log" 2>&1; then
  cat "$work/injected.log"
  echo "instruction-gate: FAILED: the injected regression passed the gate" >&2
  exit 1
fi
caught=$(grep -c '^instruction gate: [a-z-]*/' "$work/injected.log" || true)
if ! grep -q '^instruction gate: read/arc-swap-cache: ' "$work/injected.log" || [ "$caught" -ne 1 ]; then
  cat "$work/injected.log"
  echo "instruction-gate: FAILED: expected exactly read/arc-swap-cache to be caught, got $caught failure(s)" >&2
  exit 1
fi
grep '^instruction gate: read/arc-swap-cache: ' "$work/injected.log"
echo "instruction-gate: counts within bounds on $slug, and the injected regression was caught"
