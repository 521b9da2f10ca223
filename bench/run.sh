#!/usr/bin/env bash
# Side-by-side benchmark in one run: Rasura vs PostGraphile v5 vs the raw SQL floor, on the
# dataset and harness of ../shared/bench. Arguments go to its run-matrix.sh, e.g.
#   bench/run.sh                      # full matrix: 4 queries x c=16,64, 15 s each
#   bench/run.sh -d 5 -w 2 -c 16      # a short smoke run
#   bench/run.sh -t "rasura sql"      # without the peer
#   ROUNDS=3 bench/run.sh -d 10 -w 3  # three runs back to back, then their medians
#   OWN_SESSION=1 bench/run.sh         # the engine in a session of its own (as a service runs)
#   RASURA_BIN=/path/rasura bench/run.sh  # measure that binary instead of building this tree
# The markdown table is printed at the end and saved under ../shared/bench/results/; with
# ROUNDS > 1, bench/median.py prints the medians (ratios taken within each run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared/bench"
if [ ! -d "$SHARED" ]; then
  echo "bench: ../shared/bench not found; nothing to run" >&2
  exit 1
fi
"$ROOT/scripts/setup.sh"
if ! command -v wrk >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
# RASURA_BIN: an engine binary to measure as it is (bench/ab.sh compares two); else this tree's.
RASURA_BIN="${RASURA_BIN:-}"
if [ -z "$RASURA_BIN" ]; then
  cargo build --profile dist --locked -p rasura --manifest-path "$ROOT/Cargo.toml"
  RASURA_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/dist/rasura"
fi

PG_PORT="${PG_PORT:-55432}"
RASURA_PORT="${RASURA_PORT:-18181}"
pg_line="$("$SHARED/pg-start.sh" "$PG_PORT" | grep '^PG_URL=')"
PG_URL="$(echo "$pg_line" | sed -E 's/^PG_URL=([^ ]+).*/\1/')"

log="$(mktemp -t rasura-bench-XXXXXX.log)"
# By default the engine runs in this script's session, like the peer and wrk: with Linux's
# autogroup scheduling they then share one CPU share against PostgreSQL's (docs/benchmarks.md).
launch=()
[ "${OWN_SESSION:-0}" = 1 ] && launch=(setsid)
# Only start-up lines are logged (HTTP_LOG=1 keeps Hasura's default, an http-log line per
# request), so that the runs measure the engine and not the log file.
log_types=startup
[ "${HTTP_LOG:-0}" = 1 ] && log_types=startup,http-log
HASURA_GRAPHQL_ENABLED_LOG_TYPES="$log_types" "${launch[@]}" "$RASURA_BIN" serve --host 127.0.0.1 --database-url "$PG_URL" --port "$RASURA_PORT" >"$log" 2>&1 </dev/null &
RASURA_PID=$!
cleanup() {
  kill -TERM "$RASURA_PID" 2>/dev/null || true
  wait "$RASURA_PID" 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ]; then
    "$SHARED/pg-stop.sh" "$PG_PORT" >&2 || true
    "$SHARED/peer-postgraphile.sh" stop >&2 2>/dev/null || true
  fi
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$RASURA_PORT/healthz" >/dev/null && break
  sleep 0.1
done
idle_rss=$(awk '/VmRSS/{print $2}' "/proc/$RASURA_PID/status")
echo "bench: rasura pid $RASURA_PID, idle RSS $((idle_rss / 1024)) MB"

# Track the dataset as Hasura's console would (errors for what is already tracked are fine).
meta() { curl -s "http://127.0.0.1:$RASURA_PORT/v1/metadata" -d "$1" >/dev/null; }
for t in author article comment; do meta "{\"type\":\"pg_track_table\",\"args\":{\"table\":\"$t\"}}"; done
meta '{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}'
meta '{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}}'
meta '{"type":"pg_create_object_relationship","args":{"table":"comment","name":"article","using":{"foreign_key_constraint_on":"article_id"}}}'
meta '{"type":"pg_create_array_relationship","args":{"table":"article","name":"comments","using":{"foreign_key_constraint_on":{"table":"comment","column":"article_id"}}}}'

results=()
for round in $(seq 1 "${ROUNDS:-1}"); do
  echo "bench: round $round of ${ROUNDS:-1}"
  KEEP=1 RASURA_URL="http://127.0.0.1:$RASURA_PORT/v1/graphql" RASURA_PID="$RASURA_PID" PG_PORT="$PG_PORT" \
    "$SHARED/run-matrix.sh" "$@" 2> >(tee "$log.matrix" >&2)
  sleep 1
  results+=("$SHARED/$(sed -nE 's/^results: (results\/[^ ]+\.txt) and .*/\1/p' "$log.matrix" | tail -1)")
done
if [ "${ROUNDS:-1}" -gt 1 ]; then
  python3 "$ROOT/bench/median.py" "${results[@]}"
fi
echo "bench: rasura peak RSS $(awk '/VmHWM/{print $2/1024 " MB"}' "/proc/$RASURA_PID/status")"
