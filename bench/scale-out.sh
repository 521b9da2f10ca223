#!/usr/bin/env bash
# Scale-out, measured: three engines behind a real haproxy, the source behind a real pgbouncer
# in transaction mode (`use_prepared_statements: false`), the metadata on a direct connection;
# against one engine on a direct connection; q1-q4 of ../shared/bench. Then the same three
# engines while a permission is changed every second through the balancer (the cost of a
# metadata change under load).
#   bench/scale-out.sh                      # -d 10 -w 3 -c 16
#   bench/scale-out.sh -d 15 -w 5 -c "16 64"
# Arguments go to ../shared/bench/run-matrix.sh; results land in ../shared/bench/results/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared/bench"
if [ ! -d "$SHARED" ]; then
  echo "bench: ../shared/bench not found; nothing to run" >&2
  exit 1
fi
"$ROOT/scripts/setup.sh"
command -v wrk >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
RASURA_BIN="${RASURA_BIN:-}"
if [ -z "$RASURA_BIN" ]; then
  cargo build --release --locked -p rasura --manifest-path "$ROOT/Cargo.toml"
  RASURA_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/rasura"
fi
[ "$#" -gt 0 ] || set -- -d 10 -w 3 -c 16

PG_PORT="${PG_PORT:-55432}"
PGB_PORT="${PGB_PORT:-56432}"
LB_PORT="${LB_PORT:-18190}"
pg_line="$("$SHARED/pg-start.sh" "$PG_PORT" | grep '^PG_URL=')"
PG_URL="$(echo "$pg_line" | sed -E 's/^PG_URL=([^ ]+).*/\1/')"
PG_BIN="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
"$PG_BIN/psql" -q "${PG_URL%/*}/postgres" -c "CREATE DATABASE meta" 2>/dev/null || true

work="$(mktemp -d -t rasura-scale-out-XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [ -f "$work/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || "$SHARED/pg-stop.sh" "$PG_PORT" >&2 || true
}
trap cleanup EXIT

# pgbouncer in transaction mode, run as postgres (it refuses root).
printf '"postgres" ""\n' >"$work/users.txt"
cat >"$work/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$PG_PORT dbname=bench user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $work/users.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits,options
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
EOF
chmod 644 "$work"/*.ini "$work/users.txt"
pgbouncer_bin="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$work"
  runuser -u postgres -- "$pgbouncer_bin" -d "$work/pgbouncer.ini"
else
  "$pgbouncer_bin" -d "$work/pgbouncer.ini"
fi

start_engine() { # port, extra args...
  local port="$1"
  shift
  HASURA_GRAPHQL_ENABLED_LOG_TYPES=startup "$RASURA_BIN" serve --host 127.0.0.1 --port "$port" "$@" \
    >"$work/rasura-$port.log" 2>&1 </dev/null &
  pids+=($!)
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench: the engine on $port did not start" >&2
  cat "$work/rasura-$port.log" >&2
  exit 1
}
track() { # base URL; errors for what is already tracked are fine
  local m="$1/v1/metadata"
  for t in author article comment; do curl -s "$m" -d "{\"type\":\"pg_track_table\",\"args\":{\"table\":\"$t\"}}" >/dev/null; done
  curl -s "$m" -d '{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}' >/dev/null
  curl -s "$m" -d '{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}}' >/dev/null
}
matrix() { # label, url, pid, extra run-matrix args...
  local label="$1" url="$2" pid="$3"
  shift 3
  echo "bench: $label"
  # The other engines, pgbouncer and haproxy count as outside work for the harness (only one
  # engine's CPU is sampled): no re-measuring for it.
  KEEP=1 RETRIES="${RETRIES:-0}" RASURA_URL="$url" RASURA_PID="$pid" PG_PORT="$PG_PORT" \
    "$SHARED/run-matrix.sh" -t rasura "$@" 2> >(tee "$work/matrix.log" >&2)
  echo "bench: $label: $(sed -nE 's/^results: (results\/[^ ]+\.txt).*/\1/p' "$work/matrix.log" | tail -1)"
}

# One engine, direct (the metadata in the bench database, as bench/run.sh does).
start_engine 18195 --database-url "$PG_URL"
one=${pids[-1]}
track "http://127.0.0.1:18195"
matrix "one engine, direct" "http://127.0.0.1:18195/v1/graphql" "$one" "$@"
kill -TERM "$one"
wait "$one" 2>/dev/null || true

# Three engines: metadata in `meta` (direct), the source through pgbouncer.
for port in 18191 18192 18193; do
  start_engine "$port" --metadata-database-url "${PG_URL%/*}/meta"
done
first="http://127.0.0.1:18191"
curl -s "$first/v1/metadata" -d "{\"type\":\"pg_add_source\",\"args\":{\"name\":\"default\",\"replace_configuration\":true,\"configuration\":{\"connection_info\":{\"database_url\":\"postgres://postgres@127.0.0.1:$PGB_PORT/bench\",\"use_prepared_statements\":false,\"pool_settings\":{\"max_connections\":16}}}}}" >/dev/null
track "$first"
sleep 2 # the other engines follow within a second
cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 4000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
frontend api
  bind 127.0.0.1:$LB_PORT
  default_backend engines
backend engines
  balance roundrobin
  server e1 127.0.0.1:18191
  server e2 127.0.0.1:18192
  server e3 127.0.0.1:18193
EOF
haproxy -f "$work/haproxy.cfg" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
lb="http://127.0.0.1:$LB_PORT/v1/graphql"
matrix "three engines + haproxy + pgbouncer" "$lb" "${pids[1]}" "$@"

# The same, while a permission is changed every second through the balancer.
(
  i=0
  while :; do
    i=$((i + 1))
    curl -s "http://127.0.0.1:$LB_PORT/v1/metadata" -d '{"type":"pg_drop_select_permission","args":{"table":"comment","role":"reader"}}' >/dev/null
    curl -s "http://127.0.0.1:$LB_PORT/v1/metadata" -d "{\"type\":\"pg_create_select_permission\",\"args\":{\"table\":\"comment\",\"role\":\"reader\",\"permission\":{\"columns\":[\"id\"],\"filter\":{\"id\":{\"_gt\":$i}}}}}" >/dev/null
    sleep 1
  done
) &
changer=$!
pids+=("$changer")
matrix "three engines + haproxy + pgbouncer, a permission changed every second" "$lb" "${pids[1]}" "$@"
kill "$changer" 2>/dev/null || true
echo "bench: done; logs in $work"
