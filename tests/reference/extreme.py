"""Exact SEs (rational arithmetic, 40 significant digits) of the same estimator R `survey`
uses (svymean / svyby on svydesign(ids = ~1, weights = ~w)), for data where the weights
span twelve orders of magnitude: floating-point evaluation of the usual formula loses
every digit here, R's own to about 1e-7 relative.
Usage: python3 extreme.py ../fixtures/extreme/extreme.csv > extreme_exact.csv"""
import csv
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

getcontext().prec = 40
rows = list(csv.DictReader(open(sys.argv[1])))
n = len(rows)


def se(members):
    w = {r["respondent_id"]: Fraction(r["weight"]) for r in rows}
    W = sum(w[r["respondent_id"]] for r in members)
    p = sum(w[r["respondent_id"]] * int(r["y"]) for r in members) / W
    # Linearised residuals of the domain, zero outside it; n/(n-1) of the whole design.
    ss = sum((w[r["respondent_id"]] * (int(r["y"]) - p) / W) ** 2 for r in members)
    var = Fraction(n, n - 1) * ss
    return p, (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()


print("group,share,se")
p, s = se(rows)
print(f"total,{Decimal(p.numerator) / Decimal(p.denominator):.20e},{s:.20e}")
for g in sorted({r["g"] for r in rows}):
    p, s = se([r for r in rows if r["g"] == g])
    print(f"{g},{Decimal(p.numerator) / Decimal(p.denominator):.20e},{s:.20e}")
