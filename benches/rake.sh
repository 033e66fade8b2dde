#!/usr/bin/env bash
# Raking benchmark: `concerns weight` on 1M and 10M respondents, four raking variables
# (benches/targets4.toml). Prints the median wall time of RUNS runs and the peak RSS.
# Usage: benches/rake.sh [RUNS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build --release --locked
data=${BENCH_DATA:-target/bench-data}
mkdir -p "$data"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for n in 1000000 10000000; do
  [ -s "$data/n$n.csv" ] || ./target/release/concerns simulate --n "$n" -o "$data/n$n.csv"
  times=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/time" ./target/release/concerns weight "$data/n$n.csv" \
      --targets benches/targets4.toml -o "$out/w.csv" --report "$out/r.json" 2>/dev/null
    times+=("$(cat "$out/time")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print }')
  iterations=$(python3 -c "import json; r = json.load(open('$out/r.json')); print(r['iterations'])")
  echo "n=$n: median ${median% *} s, peak RSS $(( ${median#* } / 1024 )) MB, $iterations sweeps"
done
