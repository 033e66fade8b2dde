#!/usr/bin/env bash
# Benchmark: concerns vs DuckDB vs Python polars vs svy vs `wc -l` on 1M and 10M respondents,
# then per-PSU designs (benches/design.sh).
# Writes benches/results.md. Usage: benches/run.sh [RUNS]   (default 5 runs per tool)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --locked
python3 -m pip install --quiet duckdb polars svy
data=${BENCH_DATA:-target/bench-data}
mkdir -p "$data"
for n in 1000000 10000000; do
  [ -s "$data/n$n.csv" ] || ./target/release/concerns simulate --n "$n" -o "$data/n$n.csv"
done
python3 benches/bench.py --runs "$runs" --out benches/results.md "$data/n1000000.csv" "$data/n10000000.csv"
{
  echo
  echo "Complex designs (\`benches/design.sh\`, 3 runs each):"
  echo
  BENCH_DATA="$data" benches/design.sh 3
  echo
  echo "Where the time goes (the profile) and why the missed targets are missed: [README.md](README.md#where-the-time-goes-now)."
} >> benches/results.md
