#!/usr/bin/env bash
# Brings the tutorial's whole system up on this machine with one command, and keeps it up
# until Ctrl-C:
#   examples/seed/up.sh          # engine + the Rust backend (examples/seed-backend)
#   examples/seed/up.sh python   # engine + the tutorial's Python backend from ../shared
# The backend starts first (the engine reads its remote schema at start), then the engine on
# its embedded PostgreSQL (./.rasura-seed) with this directory as its project: migrations and
# metadata applied before it serves. With the Rust backend (an admin secret and JWTs), requests
# without credentials are role `anonymous` (the tutorial's login); with the Python one there is
# no secret, and every request is admin as in the tutorial. Run it again any number of times: nothing is applied twice.
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-rust}"
ENGINE_PORT="${ENGINE_PORT:-8080}" BACKEND_PORT="${BACKEND_PORT:-8000}"
ADMIN_SECRET="${ADMIN_SECRET:-seed-admin-secret}"
JWT_SECRET="${JWT_SECRET:-change-me-to-a-secret-of-at-least-32-bytes}"
./scripts/setup.sh
cargo build --locked --release -q -p rasura -p seed-backend
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
export PORT="$BACKEND_PORT" GRAPHQL_ENGINE_URL="http://127.0.0.1:$ENGINE_PORT/v1/graphql"
if [ "$which" = python ]; then
  bash ../shared/interop/seed-python-backend/run.sh &
else
  RASURA_ADMIN_SECRET="$ADMIN_SECRET" JWT_SECRET="$JWT_SECRET" target/release/seed-backend &
fi
pids+=($!)
until curl -sf -o /dev/null -X POST -H 'content-type: application/json' -d '{"query":"{ hello }"}' "http://127.0.0.1:$BACKEND_PORT/graphql"; do sleep 0.3; done
engine_args=(serve --port "$ENGINE_PORT" --data-dir .rasura-seed --project examples/seed)
if [ "$which" = rust ]; then
  engine_args+=(--admin-secret "$ADMIN_SECRET" --jwt-secret "{\"type\":\"HS256\",\"key\":\"$JWT_SECRET\"}" --unauthorized-role anonymous)
fi
BACKEND_URL="http://127.0.0.1:$BACKEND_PORT" target/release/rasura "${engine_args[@]}" &
pids+=($!)
until curl -sf "http://127.0.0.1:$ENGINE_PORT/healthz" >/dev/null; do sleep 0.3; done
echo "up: GraphQL at http://127.0.0.1:$ENGINE_PORT/v1/graphql, backend ($which) at http://127.0.0.1:$BACKEND_PORT; Ctrl-C stops both"
wait
