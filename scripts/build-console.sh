#!/usr/bin/env bash
# Builds the web console (console/ -> console/dist) when its sources changed; installs npm packages when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=console
if ! command -v npm >/dev/null 2>&1; then
  echo "build-console: npm is not installed (apt-get install nodejs npm)" >&2
  exit 1
fi

did=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Runs a command in console/, quiet unless it fails.
quiet() {
  if ! (cd "$dir" && "$@") >"$log" 2>&1; then
    cat "$log" >&2
    echo "build-console: '$*' failed" >&2
    exit 1
  fi
}

# npm ci when node_modules is missing or older than package-lock.json.
if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  quiet npm ci --no-audit --no-fund
  did+=("npm ci")
fi

# Rebuild when dist is missing or any source file is newer than dist/index.html.
stale=""
if [ ! -f "$dir/dist/index.html" ]; then
  stale="dist missing"
else
  newer=$(find "$dir/src" "$dir/index.html" "$dir/vite.config.ts" "$dir/tsconfig.json" "$dir/package.json" \
    "$dir/package-lock.json" -newer "$dir/dist/index.html" -print -quit 2>/dev/null || true)
  [ -n "$newer" ] && stale="$newer changed"
fi
if [ -n "$stale" ]; then
  quiet npm run build
  did+=("built ($stale)")
fi
# Precompressed copies of the scripts and styles (made here whichever way dist was built): the
# engine sends them to browsers that accept gzip.
zipped=0
while IFS= read -r f; do
  gzip -9 -k -f -n "$f"
  zipped=$((zipped + 1))
done < <(find "$dir/dist/assets" -type f \( -name '*.js' -o -name '*.css' \) -size +1k \
  -exec sh -c '[ ! -f "$1.gz" ] || [ "$1" -nt "$1.gz" ]' _ {} \; -print)
[ "$zipped" -gt 0 ] && did+=("gzipped $zipped assets")

if [ ${#did[@]} -eq 0 ]; then
  echo "build-console: console/dist is up to date"
else
  msg="${did[0]}"
  for d in "${did[@]:1}"; do msg="$msg, $d"; done
  echo "build-console: $msg -> console/dist"
fi
