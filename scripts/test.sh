#!/usr/bin/env bash
# The project's tests: installs what is missing, then runs every crate's tests
# (unit, snapshot, and end-to-end against throwaway PostgreSQL clusters).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo test --workspace --locked "$@"
