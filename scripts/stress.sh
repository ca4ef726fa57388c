#!/usr/bin/env bash
# The long linearizability histories (ignored in a plain cargo test).
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\n==> long stress histories\n'
cargo test --release --workspace -- --ignored long_history
echo "stress: long histories of every store and registry are linearizable"
