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

groups=$(mktemp)
echo "case,segment,question,item,group,share,se,base_unweighted,base_weighted,base_effective" > "$groups"
echo "case,segment,question,item,a,b,p_value,p_holm" > tests_by_generation.csv
Rscript svyby.R "$root/data/ai-customer-service-2023.csv" weighted weighted generation "$groups" tests_by_generation.csv
Rscript svyby.R "$root/data/ai-customer-service-2023.csv" unweighted unweighted generation "$groups" tests_by_generation.csv
Rscript svyby.R "$root/tests/fixtures/small.csv" small_weighted weighted generation "$groups" tests_by_generation.csv
python3 wilson.py "$groups" > groups_by_generation.csv
rm -f "$tmp" "$groups"
echo "wrote reference.csv, groups_by_generation.csv, tests_by_generation.csv in $(pwd)"

# Extreme weights (1e6 among 1e-6): R's values and exact rational ones.
Rscript extreme.R ../fixtures/extreme/extreme.csv > extreme_r.csv
python3 extreme.py ../fixtures/extreme/extreme.csv > extreme_exact.csv

# Complex designs (strata, clusters, fpc, lonely PSUs) and svyciprop's interval methods.
Rscript design.R ../fixtures/design/sample.csv > design_r.csv
Rscript intervals.R ../fixtures/design/sample.csv > intervals_r.csv
Rscript wald.R ../fixtures/design/sample.csv > wald_r.csv
Rscript chisq.R ../fixtures/design/sample.csv > chisq_r.csv
Rscript rest.R ../fixtures/design/sample.csv > rest_r.csv
Rscript chisq_contrast.R ../fixtures/design/sample.csv > chisq_contrast_r.csv
Rscript each_item.R ../fixtures/design/partial.csv > each_item_r.csv
Rscript nets_filters.R "$root/data/ai-customer-service-2023.csv" ../fixtures/design/sample.csv nets_filters_chisq_r.csv > nets_filters_r.csv
Rscript rake.R "$root/data/ai-customer-service-2023.csv" > rake_r.csv
