#!/usr/bin/env python3
"""Medians over repeated side-by-side runs (the RESULT lines of ../shared/bench run-matrix.sh).

usage: bench/median.py RESULTS.txt [RESULTS.txt ...]

Ratios are taken within each run (Rasura against the SQL floor and against PostGraphile of the
same run), then the median of those; the other columns are medians of the runs' values.
"""

import statistics
import sys
from collections import defaultdict


def parse(path):
    """{(label, query, c): {key: value}} for one run."""
    rows = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("RESULT "):
                continue
            kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
            query = kv["query"].rsplit(".", 1)[0]
            rows[(kv["label"], query, int(kv["c"]))] = kv
    return rows


def num(kv, key):
    try:
        return float(kv[key])
    except (KeyError, ValueError):
        return None


def per_req_us(kv, key):
    cpu, n = num(kv, key), num(kv, "requests")
    return cpu / n * 1e6 if cpu is not None and n else None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    m = statistics.median(values)
    return f"{m:.2f} ({min(values):.2f}-{max(values):.2f})"


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def main(paths):
    runs = [parse(p) for p in paths]
    cells = sorted({(q, c) for run in runs for (_, q, c) in run})
    print(f"Medians of {len(runs)} runs.\n")
    print("| query | c | target | req/s | p50 ms | p99 ms | server CPU us/req | PG CPU us/req "
          "| server peak RSS MB | Rasura vs SQL (min-max) | Rasura vs PostGraphile (min-max) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    for q, c in cells:
        vs_sql, vs_peer = [], []
        for run in runs:
            r, s, p = (run.get((t, q, c)) for t in ("rasura", "sql", "postgraphile"))
            if r and s:
                vs_sql.append(num(r, "rps") / num(s, "rps"))
            if r and p:
                vs_peer.append(num(r, "rps") / num(p, "rps"))
        for target in ("rasura", "postgraphile", "sql"):
            kvs = [run[(target, q, c)] for run in runs if (target, q, c) in run]
            if not kvs:
                continue
            ratios = ("", "")
            if target == "rasura":
                ratios = (spread(vs_sql), spread(vs_peer))
            print(f"| {q} | {c} | {target} | {fmt(med(num(k, 'rps') for k in kvs))} "
                  f"| {fmt(med(num(k, 'p50_ms') for k in kvs), 2)} "
                  f"| {fmt(med(num(k, 'p99_ms') for k in kvs), 2)} "
                  f"| {fmt(med(per_req_us(k, 'server_cpu_s') for k in kvs), 0)} "
                  f"| {fmt(med(per_req_us(k, 'pg_cpu_s') for k in kvs), 0)} "
                  f"| {fmt(med(num(k, 'server_hwm_mb') for k in kvs))} "
                  f"| {ratios[0]} | {ratios[1]} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
