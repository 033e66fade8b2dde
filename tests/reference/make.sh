#!/usr/bin/env bash
# Regenerates reference.csv from R `survey` and statsmodels (not needed to run the tests).
# Needs: Rscript with the survey package (Debian: r-cran-survey), python3 with statsmodels.
set -euo pipefail
cd "$(dirname "$0")"
root=../..
tmp=$(mktemp)
echo "case,question,item,share,se,base_unweighted,base_weighted,base_effective" > "$tmp"
Rscript svymean.R "$root/data/ai-customer-service-2023.csv" weighted weighted >> "$tmp"
Rscript svymean.R "$root/data/ai-customer-service-2023.csv" unweighted unweighted >> "$tmp"
Rscript svymean.R "$root/tests/fixtures/small.csv" small_weighted weighted >> "$tmp"
Rscript svymean.R "$root/tests/fixtures/small.csv" small_unweighted unweighted >> "$tmp"
python3 wilson.py "$tmp" > reference.csv
rm -f "$tmp"
echo "wrote $(pwd)/reference.csv"
