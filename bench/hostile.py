#!/usr/bin/env python3
"""Hostile-input benchmark: the shapes of the security probe against a dist-profile `rasura serve`
(embedded PostgreSQL in a temporary directory), one after the other, while a prober asks
/healthz every 10 ms and the engine's RSS is sampled every 50 ms. For each shape: how long it
took, the engine's peak RSS and /healthz p50/p99/max during it. Targets (issue #24): RSS under
256 MB and /healthz p99 under 50 ms throughout.

    cargo build --profile dist -p rasura && python3 bench/hostile.py [--tables 300]
"""

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN = "hostile-bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "dist/rasura")


class Engine:
    def __init__(self, tables):
        self.dir = tempfile.mkdtemp(prefix="rasura-hostile-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "engine.log"), "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--port", str(self.port), "--admin-secret", ADMIN,
             "--enabled-apis", "graphql,metadata,developer"],
            cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        sql = ";".join(
            f"create table t{i} (id serial primary key, name text, n int, tags text[], meta jsonb)"
            for i in range(tables))
        sql += "; insert into t0 (name, n) select 'row ' || g, g from generate_series(1, 200) g"
        args = [{"type": "run_sql", "args": {"sql": sql}}]
        args += [{"type": "pg_track_table", "args": {"table": f"t{i}"}} for i in range(tables)]
        status, body = self.post("/v1/metadata", {"type": "bulk", "args": args})
        assert status == 200, body

    def conn(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path):
        c = self.conn(5)
        c.request("GET", path, headers={"x-hasura-admin-secret": ADMIN})
        r = c.getresponse()
        return r.status, r.read()

    def post(self, path, body, raw=None, timeout=120):
        c = self.conn(timeout)
        data = raw if raw is not None else json.dumps(body).encode()
        c.request("POST", path, data, {"content-type": "application/json", "x-hasura-admin-secret": ADMIN})
        r = c.getresponse()
        text = r.read()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text

    def rss_mb(self):
        return rss_of(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def watch_loop(port, pid, stop, out):
    """/healthz every 10 ms and the engine's RSS every 50 ms, in a process of its own (so the
    load generator's own work never delays a probe)."""
    lat, rss, fail = [], [], 0
    last_rss = 0.0
    while not stop.is_set():
        t = time.perf_counter()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/healthz")
            c.getresponse().read()
            c.close()
            lat.append((time.perf_counter() - t) * 1000)
        except OSError:
            fail += 1
        if time.perf_counter() - last_rss > 0.05:
            rss.append(rss_of(pid))
            last_rss = time.perf_counter()
        time.sleep(0.01)
    out.put((lat, rss, fail))


def rss_of(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Watch:
    """/healthz latency and RSS while a shape runs."""

    def __init__(self, engine):
        self.stop_event = multiprocessing.Event()
        self.out = multiprocessing.Queue()
        self.proc = multiprocessing.Process(
            target=watch_loop, args=(engine.port, engine.proc.pid, self.stop_event, self.out), daemon=True)
        self.proc.start()

    def stop(self):
        self.stop_event.set()
        lat, rss, fail = self.out.get()
        self.proc.join()
        lat = sorted(lat) or [0.0]
        return {
            "healthz_p50_ms": round(statistics.median(lat), 2),
            "healthz_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
            "healthz_max_ms": round(lat[-1], 2),
            "healthz_failures": fail,
            "rss_peak_mb": round(max(rss or [0]), 1),
        }


def parallel(n, fn):
    """Runs fn(0..n) on n threads; the first failure is raised here."""
    errors = []

    def guarded(i):
        try:
            fn(i)
        except Exception as exc:  # reported after all threads end
            errors.append(exc)
    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def brace_bomb(e):
    body = json.dumps({"query": "{" * ((1 << 20) - 64)}).encode()

    def one(_):
        for _ in range(5):
            status, r = e.post("/v1/graphql", None, raw=body)
            assert r["errors"][0]["extensions"]["code"] == "validation-failed", r
    parallel(4, one)
    return "20 x 1 MB of '{'"


def deep_nesting(e):
    depth = 640_000 // 14
    q = "{ t0 " * depth + "{ id }" + " }" * depth
    body = json.dumps({"query": q}).encode()

    def one(_):
        for _ in range(5):
            e.post("/v1/graphql", None, raw=body)
    parallel(4, one)
    return "20 x 640 KB of nesting"


def unique_queries(e, size, count):
    def one(worker):
        for i in range(count // 4):
            tag = f"w{worker}q{i}x{random.randrange(1 << 30)}"
            fields = []
            n = 0
            while n < size:
                f = f"{tag}_{len(fields)}: t0(limit: 1) {{ id }} "
                fields.append(f)
                n += len(f)
            status, r = e.post("/v1/graphql", {"query": "{ " + "".join(fields) + "}"})
            assert status == 200 and "data" in r, str(r)[:300]
    parallel(4, one)
    return f"{count} unique queries of {size // 1024} KB"


def token_flood(e):
    body = json.dumps({"query": "{ " + "t0 { id } " * ((1 << 20) // 11 - 2) + "}"}).encode()

    def one(_):
        for _ in range(5):
            status, r = e.post("/v1/graphql", None, raw=body)
            assert r["errors"][0]["message"] == "not a valid graphql query", str(r)[:300]
    parallel(4, one)
    return f"20 x {len(body) // 1024} KB of fields (over the token limit)"


def introspection_batches(e):
    q = {"query": INTROSPECTION, "operationName": "IntrospectionQuery"}
    body = json.dumps([q] * 30).encode()
    sizes = []

    def one(_):
        for _ in range(3):
            c = e.conn(300)
            c.request("POST", "/v1/graphql", body, {"content-type": "application/json", "x-hasura-admin-secret": ADMIN})
            r = c.getresponse()
            sizes.append(len(r.read()))
            assert r.status == 200
    parallel(4, one)
    return f"12 batches of 30 introspection queries ({len(body) // 1024} KB each, answers of {max(sizes) // (1 << 20)} MB)"


# GraphiQL's introspection query, as clients send it.
INTROSPECTION = """query IntrospectionQuery { __schema { queryType { name } mutationType { name }
subscriptionType { name } types { ...FullType } directives { name description locations
args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name
description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) {
name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"""


def ws_connect(e, protocol):
    s = socket.create_connection(("127.0.0.1", e.port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /v1/graphql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("closed during the handshake")
        head += chunk
    assert b" 101 " in head.split(b"\r\n")[0], head
    return s


def ws_send(s, obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    n = len(data)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def slow_reader(e):
    e.post("/v1/metadata", {"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "create or replace view ticking as select g as id, repeat('x', 400) || clock_timestamp()::text as payload from generate_series(1, 500) g"}},
        {"type": "pg_track_table", "args": {"table": "ticking"}}]})
    s = ws_connect(e, "graphql-transport-ws")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ws_send(s, {"type": "connection_init", "payload": {"headers": {"x-hasura-admin-secret": ADMIN}}})
    time.sleep(0.5)
    for i in range(50):
        ws_send(s, {"id": str(i), "type": "subscribe", "payload": {"query": "subscription { ticking { id payload } }"}})
    # Read nothing for 30 s, then see whether the engine let go of the subscribers.
    time.sleep(30)
    status, report = e.get("/dev/subscriptions")
    s.close()
    return f"50 subscriptions, client reading nothing for 30 s (subscribers left after: {json.loads(report)['subscribers']})"


def idle_sockets(e):
    held = []
    for i in range(1000):
        c = socket.create_connection(("127.0.0.1", e.port))
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        held.append(c)
    for i in range(1000):
        try:
            held.append(ws_connect(e, "graphql-ws"))
        except OSError:
            pass
    time.sleep(35)
    closed = 0
    for c in held:
        c.setblocking(False)
        try:
            while True:
                if c.recv(65536) == b"":
                    closed += 1
                    break
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    for c in held:
        c.close()
    return f"1000 partial HTTP heads + 1000 legacy WebSockets without init, held 35 s ({closed} of {len(held)} closed by the engine by then)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=60)
    ap.add_argument("--fresh", action="store_true", help="a new engine for each shape")
    ap.add_argument("--bin", help="the rasura binary (default: the dist build)")
    ap.add_argument("--only", help="run only the shapes whose names contain this")
    args = ap.parse_args()
    global BIN
    BIN = os.path.abspath(args.bin) if args.bin else BIN
    e = Engine(args.tables)
    shapes = [
        ("brace bomb", brace_bomb),
        ("deep nesting", deep_nesting),
        ("unique 60 KB queries", lambda e: unique_queries(e, 60 << 10, 500)),
        ("unique 150 KB queries", lambda e: unique_queries(e, 150 << 10, 100)),
        ("token flood", token_flood),
        ("introspection batches", introspection_batches),
        ("slow WebSocket reader", slow_reader),
        ("idle sockets", idle_sockets),
    ]
    rows = []
    try:
        print(f"engine idle: {e.rss_mb():.1f} MB RSS ({args.tables} tables)")
        for name, fn in shapes:
            if args.only and args.only not in name:
                continue
            if args.fresh and rows:
                e.stop()
                e = Engine(args.tables)
            w = Watch(e)
            t = time.time()
            what = fn(e)
            took = time.time() - t
            stats = w.stop()
            rows.append((name, what, took, stats))
            print(f"{name}: {what}; {took:.1f} s; {json.dumps(stats)}", flush=True)
    finally:
        e.stop()
    print()
    print("| shape | what | took | RSS peak | /healthz p50 / p99 / max | probe failures |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, what, took, s in rows:
        print(f"| {name} | {what} | {took:.1f} s | {s['rss_peak_mb']} MB | {s['healthz_p50_ms']} / {s['healthz_p99_ms']} / {s['healthz_max_ms']} ms | {s['healthz_failures']} |")


if __name__ == "__main__":
    sys.exit(main())
