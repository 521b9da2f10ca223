#!/usr/bin/env bash
# Scale-out, measured: one engine on a direct connection; three engines behind a real haproxy
# on a direct, prepared source; the same three with the source behind a real pgbouncer in
# transaction mode (`use_prepared_statements: false`); and those while a permission is changed
# every second through the balancer (the cost of a metadata change under load). q1-q4 of
# ../shared/bench; the metadata on a direct connection.
#   bench/scale-out.sh                      # -d 10 -w 3 -c 16, one round
#   ROUNDS=3 bench/scale-out.sh -d 8 -w 2 -c "16 64"   # medians of three rounds
# Arguments go to ../shared/bench/run-matrix.sh; results land in ../shared/bench/results/, and
# a table of medians (req/s, p99) per setup, query and concurrency ends the output.
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
  cargo build --profile dist --locked -p rasura --manifest-path "$ROOT/Cargo.toml"
  RASURA_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/dist/rasura"
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
ROUNDS="${ROUNDS:-1}"
matrix() { # label, url, pid, extra run-matrix args...
  local label="$1" url="$2" pid="$3"
  shift 3
  for round in $(seq 1 "$ROUNDS"); do
    echo "bench: $label (round $round of $ROUNDS)"
    # The other engines, pgbouncer and haproxy count as outside work for the harness (only one
    # engine's CPU is sampled): no re-measuring for it.
    KEEP=1 RETRIES="${RETRIES:-0}" RASURA_URL="$url" RASURA_PID="$pid" PG_PORT="$PG_PORT" \
      "$SHARED/run-matrix.sh" -t rasura "$@" 2> >(tee "$work/matrix.log" >&2)
    local file
    file="$(sed -nE 's/^results: (results\/[^ ]+\.txt).*/\1/p' "$work/matrix.log" | tail -1)"
    echo "bench: $label: $file"
    echo "$label|$file" >>"$work/results.list"
  done
}
medians() { # the median req/s and p99 of every setup, query and concurrency over the rounds
  python3 - "$work/results.list" "$SHARED" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, file = line.rstrip("\n").split("|")
    for r in open(f"{sys.argv[2]}/{file}"):
        if not r.startswith("RESULT "):
            continue
        kv = dict(f.split("=", 1) for f in r.split()[1:] if "=" in f)
        key = (label, kv["query"].split(".")[0], int(kv["c"]))
        runs.setdefault(key, []).append((float(kv["rps"]), float(kv["p99_ms"]), int(kv.get("errors", 0))))
print("| setup | query | c | rounds | req/s (median) | p99 ms (median) | errors |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for (label, q, c), v in runs.items():
    rps = statistics.median(x[0] for x in v)
    p99 = statistics.median(x[1] for x in v)
    print(f"| {label} | {q} | {c} | {len(v)} | {rps:,.0f} | {p99:.2f} | {sum(x[2] for x in v)} |")
PY
}

# One engine, direct (the metadata in the bench database, as bench/run.sh does).
start_engine 18195 --database-url "$PG_URL"
one=${pids[-1]}
track "http://127.0.0.1:18195"
matrix "one engine, direct" "http://127.0.0.1:18195/v1/graphql" "$one" "$@"
kill -TERM "$one"
wait "$one" 2>/dev/null || true

# Three engines: metadata in `meta` (direct).
for port in 18191 18192 18193; do
  start_engine "$port" --metadata-database-url "${PG_URL%/*}/meta"
done
first="http://127.0.0.1:18191"
source_at() { # database URL, prepared (true|false)
  curl -s "$first/v1/metadata" -d "{\"type\":\"pg_add_source\",\"args\":{\"name\":\"default\",\"replace_configuration\":true,\"configuration\":{\"connection_info\":{\"database_url\":\"$1\",\"use_prepared_statements\":$2,\"pool_settings\":{\"max_connections\":16}}}}}" >/dev/null
  sleep 2 # the other engines follow within a second
}
source_at "$PG_URL" true
track "$first"
sleep 2
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
matrix "three engines + haproxy, direct" "$lb" "${pids[1]}" "$@"

# The same three engines, the source through pgbouncer.
source_at "postgres://postgres@127.0.0.1:$PGB_PORT/bench" false
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
medians
echo "bench: done; logs in $work"
