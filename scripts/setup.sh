#!/usr/bin/env bash
# Installs what the engine and its tests need, if missing (idempotent): PostgreSQL server
# binaries, PostGIS for the conformance corpus, Node.js, Python's venv, Prometheus, haproxy and
# Chromium for tests, and builds the web console (embedded in the engine).
set -euo pipefail
cd "$(dirname "$0")/.."

have_pg() {
  command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing $*; install them (Debian: apt-get install $*) or run this script as root" >&2
    return 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! have_pg; then
  echo "setup: installing PostgreSQL"
  apt_install postgresql
fi

major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
if [ -n "$major" ] && [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
  echo "setup: installing PostGIS for PostgreSQL $major"
  apt_install "postgresql-$major-postgis-3" || echo "setup: PostGIS not installed; the conformance cases that need it will fail" >&2
fi

# The interop tests run real clients: node/npm (../shared/interop/clients) and a Python venv
# (the tutorial's backend, ../shared/interop/seed-python-backend).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing Node.js and npm"
  apt_install nodejs npm || echo "setup: Node.js not installed; the WebSocket client tests will fail" >&2
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "setup: installing python3-venv"
  apt_install python3-venv || echo "setup: python3-venv not installed; the tutorial backend tests will fail" >&2
fi
# The metrics test scrapes the engine with a real Prometheus.
if ! command -v prometheus >/dev/null 2>&1; then
  echo "setup: installing Prometheus"
  apt_install prometheus || echo "setup: Prometheus not installed; the metrics test will fail" >&2
fi
# The load-balanced test puts three engines behind a real haproxy.
if ! command -v haproxy >/dev/null 2>&1; then
  echo "setup: installing haproxy"
  apt_install haproxy || echo "setup: haproxy not installed; the load-balanced test will fail" >&2
fi
# The pgbouncer test puts a real pgbouncer (transaction mode) in front of a source.
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  echo "setup: installing pgbouncer"
  apt_install pgbouncer || echo "setup: pgbouncer not installed; the pgbouncer test will fail" >&2
fi
# The console's browser tests drive Debian's Chromium (browsers cannot be downloaded here).
if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Chromium"
  apt_install chromium || echo "setup: Chromium not installed; the console's browser tests will fail" >&2
fi
# The web console, embedded in the engine at build time (console/dist), and the browser
# tests' driver (puppeteer-core, no browser of its own).
if command -v npm >/dev/null 2>&1; then
  ./scripts/build-console.sh || echo "setup: the console did not build; /console will say so" >&2
  e2e=console/e2e
  if [ ! -f "$e2e/node_modules/.package-lock.json" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
    (cd "$e2e" && npm ci --no-audit --no-fund >/dev/null) || echo "setup: puppeteer-core not installed; the console's browser tests will fail" >&2
  fi
fi
