# Reference SEs of R `survey` for weights that span twelve orders of magnitude.
# Usage: Rscript extreme.R ../fixtures/extreme/extreme.csv > extreme_r.csv
suppressMessages(library(survey))
path <- commandArgs(trailingOnly = TRUE)[1]
d <- read.csv(path, colClasses = c("character", "numeric", "numeric", "character"))
des <- svydesign(ids = ~1, weights = ~weight, data = d)
cat("group,share,se\n")
m <- svymean(~y, des)
cat(sprintf("total,%.17g,%.17g\n", unname(coef(m)), unname(SE(m))))
b <- svyby(~y, ~g, des, svymean)
for (k in seq_len(nrow(b))) {
  cat(sprintf("%s,%.17g,%.17g\n", b$g[k], unname(coef(b))[k], unname(SE(b))[k]))
}
