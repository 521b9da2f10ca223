#!/usr/bin/env bash
# Runs Hasura's conformance corpus from ../shared against the debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/conformance ]; then
  echo "conformance: skipped (../shared/conformance not found)"
  exit 0
fi
cargo build --locked -p rasura -p rasura-conformance
target/debug/rasura-conformance --shared ../shared --bin target/debug/rasura "$@"
