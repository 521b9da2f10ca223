#!/usr/bin/env python3
"""The tutorial's system end to end: `rasura serve` (embedded PostgreSQL in a temporary
directory), a backend (the tutorial's Python one or examples/seed-backend), the system from
examples/seed applied through the engine's APIs, then the tutorial's steps checked one by one.
Run through scripts/seed-scenario."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
ADMIN = "seed-admin-secret"
JWT = "seed-scenario-jwt-secret-of-at-least-32-bytes"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


# Processes the scenario started, with their logs: a wait fails at once when one of them died.
WATCHED = []


def check_alive():
    for name, proc, log in WATCHED:
        if proc.poll() is not None:
            with open(log) as f:
                tail = "".join(f.readlines()[-20:])
            raise AssertionError(f"{name} exited with {proc.returncode}; its log ends:\n{tail}")


def wait_until(what, cond, timeout):
    start = time.time()
    while time.time() - start < timeout:
        check_alive()
        try:
            if cond():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def main(which):
    if which == "python" and not os.path.exists(os.path.join(SHARED, "interop/seed-python-backend/run.sh")):
        print("seed-scenario: ../shared/interop/seed-python-backend not found; the Python scenario cannot run")
        return 3
    tmp = tempfile.mkdtemp(prefix="rasura-seed-")
    os.chmod(tmp, 0o755)
    engine_port, backend_port = free_port(), free_port()
    engine = f"http://127.0.0.1:{engine_port}"
    backend = f"http://127.0.0.1:{backend_port}"
    admin = {"x-hasura-admin-secret": ADMIN} if which == "rust" else {}
    env = dict(os.environ, BACKEND_URL=backend)
    for k in ("RASURA_DATABASE_URL", "HASURA_GRAPHQL_DATABASE_URL", "RASURA_ADMIN_SECRET", "HASURA_GRAPHQL_ADMIN_SECRET"):
        env.pop(k, None)
    args = [os.path.join(ROOT, "target/debug/rasura"), "serve", "--port", str(engine_port), "--data-dir", os.path.join(tmp, "data")]
    if which == "rust":
        args += ["--admin-secret", ADMIN, "--jwt-secret", json.dumps({"type": "HS256", "key": JWT}),
                 "--unauthorized-role", "anonymous"]
    engine_log = open(os.path.join(tmp, "engine.log"), "w")
    backend_log_path = os.path.join(tmp, "backend.log")
    backend_log = open(backend_log_path, "w")
    procs = []
    results = []

    def step(name, fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok   {name}")
        except Exception as e:  # a failed step is reported, the others still run
            results.append((name, str(e)))
            print(f"FAIL {name}: {e}")

    try:
        procs.append(subprocess.Popen(args, env=env, cwd=tmp, stdout=engine_log, stderr=subprocess.STDOUT, start_new_session=True))
        WATCHED.append(("the engine", procs[-1], os.path.join(tmp, "engine.log")))
        wait_until("the engine", lambda: urllib.request.urlopen(engine + "/healthz", timeout=2).status == 200, 120)
        benv = dict(env, PORT=str(backend_port), GRAPHQL_ENGINE_URL=engine + "/v1/graphql")
        if which == "python":
            cmd = ["bash", os.path.join(SHARED, "interop/seed-python-backend/run.sh")]
        else:
            cmd = [os.path.join(ROOT, "target/debug/seed-backend")]
            benv.update(RASURA_ADMIN_SECRET=ADMIN, JWT_SECRET=JWT)
        procs.append(subprocess.Popen(cmd, env=benv, stdout=backend_log, stderr=subprocess.STDOUT, start_new_session=True))
        WATCHED.append(("the backend", procs[-1], backend_log_path))
        wait_until("the backend", lambda: post(backend + "/graphql", {"query": "{ hello }"})[0] == 200, 300)

        # examples/seed is a Hasura CLI project: `rasura deploy` applies its migrations and metadata.
        deploy = [os.path.join(ROOT, "target/debug/rasura"), "deploy", "--project", os.path.join(ROOT, "examples/seed"),
                  "--endpoint", engine] + (["--admin-secret", ADMIN] if which == "rust" else [])

        def run_deploy():
            out = subprocess.run(deploy, env=env, capture_output=True, text=True, timeout=300)
            assert out.returncode == 0, out.stdout + out.stderr
            return out.stderr

        run_deploy()

        def gql(query, variables=None, headers=None):
            status, body = post(engine + "/v1/graphql", {"query": query, "variables": variables or {}}, admin if headers is None else headers)
            assert status == 200, body
            return body

        def backend_output():
            with open(backend_log_path) as f:
                return f.read()

        state = {}

        def hashed(pw):
            return subprocess.check_output([os.path.join(ROOT, "target/debug/seed-backend"), "hash-password", pw], text=True).strip()

        def login():
            if which == "python":
                body = gql('mutation { login(username: "username", password: "password") { AccessToken } }')
                assert body == {"data": {"login": {"AccessToken": "<sample value>"}}}, body
                return
            body = gql("mutation ($o: user_insert_input!) { insert_user_one(object: $o) { id } }",
                       {"o": {"name": "Ada Lovelace", "password_hash": hashed("lovelace")}})
            state["ada"] = body["data"]["insert_user_one"]["id"]
            body = gql('mutation { login(username: "Ada Lovelace", password: "lovelace") { AccessToken } }')
            token = body["data"]["login"]["AccessToken"]
            assert token.count(".") == 2, body
            state["token"] = token
            body = gql('mutation { login(username: "Ada Lovelace", password: "babbage") { AccessToken } }')
            assert "invalid credentials" in body["errors"][0]["message"], body

        def event():
            name = "Grace Hopper"
            obj = {"name": name}
            if which == "rust":
                obj["password_hash"] = hashed("cobol")
            body = gql("mutation ($o: user_insert_input!) { insert_user_one(object: $o) { id } }", {"o": obj})
            uid = body["data"]["insert_user_one"]["id"]
            # The handler prints the name, then the users it read back through the engine
            # (the Python one prints qlient's data, holding the id; the Rust one "<id> <name>").
            seen_by_query = (lambda out: f"{uid} {name}" in out) if which == "rust" else (lambda out: uid in out)
            wait_until("the event handler's output",
                       lambda: name in backend_output() and seen_by_query(backend_output()), 60)

        def as_written():
            # The tutorial's login from the API explorer, without credentials: role anonymous.
            status, body = post(engine + "/v1/graphql",
                                {"query": 'mutation { login(password: "password", username: "username") { AccessToken } }'})
            assert status == 200, body
            if which == "python":
                assert body == {"data": {"login": {"AccessToken": "<sample value>"}}}, body
            else:
                assert "invalid credentials" in body["errors"][0]["message"], body
            # The README's insert, as written, any number of times.
            for _ in range(2):
                body = gql('mutation { insert_user_one(object: {name: "Ada"}) { id } }')
                assert "errors" not in body, body
            # Deploying again changes nothing.
            err = run_deploy()
            assert "nothing to apply on database: default" in err, err

        def hello():
            body = gql("{ hello }")
            assert body == {"data": {"hello": "Hello World"}}, body

        def jwt():
            body = gql("{ user { id name } }", headers={"authorization": "Bearer " + state["token"]})
            assert body == {"data": {"user": [{"id": state["ada"], "name": "Ada Lovelace"}]}}, body
            body = gql("{ user { id } }", headers={"authorization": "Bearer not-a-token"})
            assert body["errors"][0]["extensions"]["code"] in ("invalid-jwt", "jwt-invalid"), body

        step("login action", login)
        step("user insert reaches /event, whose query through the engine sees the user", event)
        step("{ hello } through the engine", hello)
        step("the tutorial's steps as written, twice; a second deploy is a no-op", as_written)
        if which == "rust":
            step("the JWT from login is accepted; the user role sees only its own row", jwt)
    except Exception as e:
        results.append(("bring the system up", str(e)))
        print(f"FAIL bring the system up: {e}")
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in reversed(procs):
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        failed = [r for r in results if r[1]]
        if failed:
            for log in ("engine.log", "backend.log"):
                with open(os.path.join(tmp, log)) as f:
                    print(f"--- {log} (last lines)\n" + "".join(f.readlines()[-30:]))
        subprocess.run(["rm", "-rf", tmp])
    passed = len(results) - len(failed)
    print(f"seed-scenario {which}: {passed} passed, {len(failed)} failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
