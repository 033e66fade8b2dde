"""Adds statsmodels Wilson intervals to the R `survey` reference values.

Unweighted: proportion_confint(count, n, method="wilson") exactly.
Weighted: the same on the Kish effective base (count = share * n_eff, nobs = n_eff).
Usage: python3 wilson.py r_survey.csv > reference.csv
(any CSV with case, share, base_unweighted and base_effective columns)
"""
import csv
import sys

from statsmodels.stats.proportion import proportion_confint

rows = list(csv.DictReader(open(sys.argv[1], newline="")))
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(list(rows[0].keys()) + ["ci_low", "ci_high"])
for r in rows:
    n_eff = float(r["base_effective"])
    share = float(r["share"])
    if r["case"].endswith("unweighted"):
        count = round(share * int(r["base_unweighted"]))
        low, high = proportion_confint(count, int(r["base_unweighted"]), alpha=0.05, method="wilson")
    else:
        low, high = proportion_confint(share * n_eff, n_eff, alpha=0.05, method="wilson")
    out.writerow(list(r.values()) + [repr(float(low)), repr(float(high))])
