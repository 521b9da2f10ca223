#!/usr/bin/env bash
# Interleaved A/B of two engine binaries on the benchmark's dataset (for a refactor or a change
# that must not cost speed): A, B, A, B, ... each one bench/run.sh run of the engine alone, then
# the medians of each binary's runs side by side.
#   bench/ab.sh BIN_A BIN_B                       # 3 rounds, 4 queries at c=16, 8 s each
#   ROUNDS=5 bench/ab.sh BIN_A BIN_B -d 10 -c "16 64"
# Arguments after the two binaries go to ../shared/bench/run-matrix.sh (defaults: -d 8 -w 2 -c 16).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
A="$(realpath "$1")"; B="$(realpath "$2")"; shift 2
[ $# -gt 0 ] || set -- -d 8 -w 2 -c 16
out="$(mktemp -d -t rasura-ab-XXXXXX)"
for round in $(seq 1 "${ROUNDS:-3}"); do
  for side in A B; do
    bin="$A"; [ "$side" = B ] && bin="$B"
    echo "ab: round $round, $side ($bin)" >&2
    RASURA_BIN="$bin" ROUNDS=1 "$ROOT/bench/run.sh" -t rasura "$@" >"$out/$side.$round.log" 2>&1 \
      || { tail -20 "$out/$side.$round.log" >&2; exit 1; }
    grep '^RESULT ' "$out/$side.$round.log" | sed "s/^RESULT label=rasura/RESULT label=$side/" >>"$out/$side.txt"
  done
done
python3 - "$out/A.txt" "$out/B.txt" <<'PY'
import statistics, sys
def load(path):
    rows = {}
    for line in open(path):
        kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
        rows.setdefault((kv["query"].rsplit(".", 1)[0], int(kv["c"])), []).append(kv)
    return rows
a, b = load(sys.argv[1]), load(sys.argv[2])
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
print("| query | c | A req/s | B req/s | B/A | A p50 ms | B p50 ms | A p99 ms | B p99 ms | runs |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for key in sorted(a):
    ra, rb = a[key], b.get(key, [])
    if not rb:
        continue
    x, y = med(ra, "rps"), med(rb, "rps")
    print(f"| {key[0]} | {key[1]} | {x:.0f} | {y:.0f} | {y / x:.3f} | {med(ra, 'p50_ms'):.2f} | "
          f"{med(rb, 'p50_ms'):.2f} | {med(ra, 'p99_ms'):.2f} | {med(rb, 'p99_ms'):.2f} | {len(ra)}+{len(rb)} |")
PY
echo "ab: logs in $out" >&2
