# Reference differences between each generation and the rest of the base, with their
# design-based SEs: R `svyby(~y, ~(generation == g), …, covmat = TRUE)` then `svycontrast`,
# weights only and on the stratified cluster design of tests/fixtures/design.
# Usage: Rscript rest.R ../fixtures/design/sample.csv > rest_r.csv
# Writes: case,question,item,group,difference,se
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

cat("case,question,item,group,difference,se\n")
emit <- function(case, des, question, item) {
  for (g in sort(unique(des$variables$generation))) {
    des2 <- update(des, ing = factor(generation == g, levels = c(FALSE, TRUE)))
    b <- svyby(~y, ~ing, des2, svymean, covmat = TRUE)
    ct <- svycontrast(b, c(-1, 1))
    cat(sprintf("%s,%s,%s,%s,%.17g,%.17g\n", case, question, item, g, unname(coef(ct)),
                unname(SE(ct))))
  }
}
weights_and_design(emit)
