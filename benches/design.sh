#!/usr/bin/env bash
# Per-PSU designs at scale: `concerns table FILE --strata stratum --psu psu --by generation
# --format json` on the 10M-row file with two columns added (1,000 strata × 10 PSUs = 10,000
# PSUs), rows sorted by PSU (as exports usually are) and in random PSU order (every chunk
# touches every PSU: the worst case), and 100,000 PSUs (the most) in random order. Prints a Markdown table: median wall time of RUNS runs and
# peak RSS of the median run.
# Usage: benches/design.sh [RUNS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build --release --locked
data=${BENCH_DATA:-target/bench-data}
mkdir -p "$data"
n=10000000
[ -s "$data/n$n.csv" ] || ./target/release/concerns simulate --n "$n" -o "$data/n$n.csv"
# Sorted: respondent k in PSU k div 1000 (10,000 PSUs of 1,000), stratum = PSU div 10.
[ -s "$data/psu-sorted.csv" ] || awk -F, -v OFS=, 'NR == 1 { print $0, "stratum", "psu"; next }
  { p = int((NR - 2) / 1000); print $0, "s" int(p / 10), "p" p }' "$data/n$n.csv" > "$data/psu-sorted.csv"
# Random: the same sizes, PSUs drawn by a fixed-seed generator row by row.
[ -s "$data/psu-random.csv" ] || awk -F, -v OFS=, 'BEGIN { srand(15) } NR == 1 { print $0, "stratum", "psu"; next }
  { p = int(rand() * 10000); print $0, "s" int(p / 10), "p" p }' "$data/n$n.csv" > "$data/psu-random.csv"
# The most PSUs a design may have (100,000 in 1,000 strata), in random order.
[ -s "$data/psu-most.csv" ] || awk -F, -v OFS=, 'BEGIN { srand(27) } NR == 1 { print $0, "stratum", "psu"; next }
  { p = int(rand() * 100000); print $0, "s" int(p / 100), "p" p }' "$data/n$n.csv" > "$data/psu-most.csv"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| \`table --strata stratum --psu psu --by generation\`, 10M rows | median wall (s) | peak RSS (MB) |"
echo "| --- | ---: | ---: |"
for layout in sorted random most; do
  times=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/time" ./target/release/concerns table "$data/psu-$layout.csv" \
      --strata stratum --psu psu --by generation --format json > "$out/r.json" 2>/dev/null
    times+=("$(cat "$out/time")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print }')
  case $layout in
    most) what="100,000 PSUs in 1,000 strata, rows random by PSU" ;;
    *) what="10,000 PSUs in 1,000 strata, rows $layout by PSU" ;;
  esac
  echo "| $what | ${median% *} | $(( ${median#* } / 1024 )) |"
done
