# Reference design effects of R `survey` (svymean(…, deff = "replace")), weights only and
# on the stratified cluster design of tests/fixtures/design, total and by generation.
# Usage: Rscript deff.R ../fixtures/design/sample.csv > deff_r.csv
# Writes: case,group,question,item,deff
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

cat("case,group,question,item,deff\n")
emit <- function(case, des, question, item) {
  m <- svymean(~y, des, deff = "replace")
  cat(sprintf("%s,total,%s,%s,%.17g\n", case, question, item, unname(deff(m))))
  b <- svyby(~y, ~generation, des, svymean, deff = "replace")
  for (k in seq_len(nrow(b))) {
    cat(sprintf("%s,%s,%s,%s,%.17g\n", case, b$generation[k], question, item, b[["DEff.y"]][k]))
  }
}
weights_and_design(emit)
