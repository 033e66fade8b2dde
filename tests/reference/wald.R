# Reference differences of group shares and their design-based SEs: R `svyby(…, covmat =
# TRUE)` then `svycontrast`, weights only and on the stratified cluster design of
# tests/fixtures/design, for every pair of generations.
# Usage: Rscript wald.R ../fixtures/design/sample.csv > wald_r.csv
# Writes: case,question,item,a,b,difference,se
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

order_g <- c("gen_z", "millennial", "gen_x", "boomer")

cat("case,question,item,a,b,difference,se\n")
emit <- function(case, des, question, item) {
  b <- svyby(~y, ~generation, des, svymean, covmat = TRUE)
  lv <- as.character(b$generation)
  present <- order_g[order_g %in% lv]
  for (i in seq_along(present)) for (j in seq_along(present)) if (i < j) {
    w <- setNames(rep(0, length(lv)), lv)
    w[present[i]] <- 1; w[present[j]] <- -1
    ct <- svycontrast(b, w)
    cat(sprintf("%s,%s,%s,%s,%s,%.17g,%.17g\n", case, question, item, present[i], present[j],
                unname(coef(ct)), unname(SE(ct))))
  }
}
weights_and_design(emit)
