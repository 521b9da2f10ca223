#!/usr/bin/env bash
# Runs Hasura's conformance corpus from ../shared against the debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/conformance ]; then
  echo "conformance: skipped (../shared/conformance not found)"
  exit 0
fi
cargo build --locked -p rasura -p rasura-conformance
bin="${CARGO_TARGET_DIR:-target}/debug"
"$bin/rasura-conformance" --shared ../shared --bin "$bin/rasura" "$@"
