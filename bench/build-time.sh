#!/usr/bin/env bash
# A newcomer's first build, measured: a cold `cargo build` of the engine (every dependency
# included) for each profile given, each in a fresh target directory of its own, one after
# the other, with the wall time and the compiler's peak memory.
#   bench/build-time.sh release dist          # the README's profile against the fat-LTO one
# The machine should be otherwise idle; the target directories are removed afterwards
# (KEEP_BINS=DIR keeps each binary as DIR/rasura-<profile>, for bench/ab.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -gt 0 ] || set -- release
scratch="$(mktemp -d -t rasura-build-time-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
echo "| profile | wall time | peak RSS of one compiler process | binary size |"
echo "|---|---:|---:|---:|"
for profile in "$@"; do
  dir="$scratch/$profile"
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$scratch/$profile.rss" \
    cargo build --locked --profile "$profile" -p rasura --bin rasura \
      --manifest-path "$ROOT/Cargo.toml" --target-dir "$dir" >"$scratch/$profile.log" 2>&1 \
    || { tail -20 "$scratch/$profile.log" >&2; exit 1; }
  end=$(date +%s.%N)
  out_dir="$profile"; [ "$profile" = dev ] && out_dir=debug
  size=$(stat -c %s "$dir/$out_dir/rasura")
  python3 -c "import sys; w=float(sys.argv[2])-float(sys.argv[1]); print(f'| {sys.argv[3]} | {int(w//60)} min {w%60:.0f} s | {int(sys.argv[4])/1024:.0f} MB | {int(sys.argv[5])/1e6:.0f} MB |')" \
    "$start" "$end" "$profile" "$(cat "$scratch/$profile.rss")" "$size"
  [ -n "${KEEP_BINS:-}" ] && mkdir -p "$KEEP_BINS" && cp "$dir/$out_dir/rasura" "$KEEP_BINS/rasura-$profile"
  rm -rf "$dir"
done
