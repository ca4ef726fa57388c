#!/usr/bin/env bash
# The facade's conformance tests with the fallback and channel features, on
# top of the default (atomic) that cargo test covers.
set -euo pipefail
cd "$(dirname "$0")/.."
for feature in mutex channel; do
  printf '\n==> cargo test -p procstore --no-default-features --features %s\n' "$feature"
  cargo test -p procstore --no-default-features --features "$feature"
done
echo "facade-features: DefaultStore and DefaultRegistry pass the suite under every feature"
