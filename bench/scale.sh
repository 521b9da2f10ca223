#!/usr/bin/env bash
# Startup and scale: N tables (each with a foreign key to the previous one, an object and an
# array relationship) and R roles with select permissions; measures the time from start to the
# first served GraphQL request, the time to apply and rebuild after a metadata change, and RSS.
#   bench/scale.sh [TABLES] [ROLES]          (defaults 1000 and 5)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-1000}"; R="${2:-5}"
PORT="${PORT:-18282}"
"$ROOT/scripts/setup.sh"
cargo build --profile dist --locked -p rasura --manifest-path "$ROOT/Cargo.toml" >/dev/null 2>&1
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/dist/rasura"
DIR="$(mktemp -d -t rasura-scale-XXXXXX)"; chmod 755 "$DIR"
PID=""
stop() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true; PID=""; }
trap 'stop; rm -rf "$DIR"' EXIT
START_MS=0
start() {  # sets PID and START_MS
  local t0 t1
  t0=$(date +%s%N)
  (cd "$DIR" && exec "$BIN" serve --port "$PORT" >>"$DIR/serve.log" 2>&1) &
  PID=$!
  until curl -sf "http://127.0.0.1:$PORT/v1/graphql" -d '{"query":"{ t1(limit: 1) { id } }"}' | grep -q '"data"'; do sleep 0.02; done
  t1=$(date +%s%N)
  START_MS=$(( (t1 - t0) / 1000000 ))
}
rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$PID/status"; }
post() { curl -sf "http://127.0.0.1:$PORT$1" -d @"$2" >/dev/null; }

# First start creates the embedded cluster; then the schema and the metadata.
(cd "$DIR" && exec "$BIN" serve --port "$PORT" >>"$DIR/serve.log" 2>&1) & PID=$!
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.1; done
python3 - "$N" "$R" "$DIR" <<'PY'
import json, sys
n, r, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sql = ["create table t1 (id serial primary key, name text, parent_id int)"]
sql += [f"create table t{i} (id serial primary key, name text, parent_id int references t{i-1}(id))" for i in range(2, n + 1)]
# In chunks: one transaction creating 10,000 tables runs out of PostgreSQL's lock table.
for c in range(0, n, 1000):
    json.dump({"type": "run_sql", "args": {"sql": ";\n".join(sql[c:c + 1000])}}, open(f"{d}/sql_{c // 1000:04d}.json", "w"))
tables = []
for i in range(1, n + 1):
    t = {"table": {"schema": "public", "name": f"t{i}"},
         "select_permissions": [{"role": f"role{k}", "permission": {"columns": ["id", "name"], "filter": {"id": {"_gt": k}}, "allow_aggregations": k % 2 == 0}} for k in range(r)]}
    if i > 1:
        t["object_relationships"] = [{"name": "parent", "using": {"foreign_key_constraint_on": "parent_id"}}]
    if i < n:
        t["array_relationships"] = [{"name": "children", "using": {"foreign_key_constraint_on": {"table": {"schema": "public", "name": f"t{i+1}"}, "column": "parent_id"}}}]
    tables.append(t)
md = {"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": tables,
      "configuration": {"connection_info": {"database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}}}]}
json.dump({"type": "replace_metadata", "args": md}, open(f"{d}/md.json", "w"))
json.dump({"type": "pg_create_select_permission", "args": {"table": "t1", "role": "extra", "permission": {"columns": "*", "filter": {}}}}, open(f"{d}/change.json", "w"))
PY
for f in "$DIR"/sql_*.json; do post /v2/query "$f"; done
t0=$(date +%s%N); post /v1/metadata "$DIR/md.json"; t1=$(date +%s%N)
echo "RESULT scale tables=$N roles=$R replace_metadata_ms=$(( (t1 - t0) / 1000000 ))"
stop
start
echo "RESULT scale tables=$N roles=$R start_to_first_query_ms=$START_MS rss_mb=$(rss)"
t0=$(date +%s%N); post /v1/metadata "$DIR/change.json"; t1=$(date +%s%N)
echo "RESULT scale tables=$N roles=$R metadata_change_ms=$(( (t1 - t0) / 1000000 )) rss_mb=$(rss)"
for k in $(seq 0 $((R - 1))); do
  curl -sf "http://127.0.0.1:$PORT/v1/graphql" -H "x-hasura-role: role$k" -d '{"query":"{ t2(limit: 1) { id parent { id } } }"}' | grep -q '"data"'
done
echo "RESULT scale tables=$N roles=$R all_roles_served rss_mb=$(rss)"
