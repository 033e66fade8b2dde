# Reference intervals of R `survey::svyciprop` for each method, on the question bases of the
# bundled data's first 1,500 rows (weights only, as svymean.R) and on the stratified cluster
# design of tests/fixtures/design (as design.R), total and by generation.
# Usage: Rscript intervals.R ../fixtures/design/sample.csv > intervals_r.csv
# Writes: case,method,group,question,item,low,high
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

methods <- c("beta", "logit", "xlogit", "asin", "mean")

cat("case,method,group,question,item,low,high\n")
emit <- function(case, des, question, item) {
  for (m in methods) {
    ci <- attr(svyciprop(~y, des, method = m), "ci")
    cat(sprintf("%s,%s,total,%s,%s,%.17g,%.17g\n", case, m, question, item, ci[[1]], ci[[2]]))
    b <- svyby(~y, ~generation, des, svyciprop, method = m, vartype = "ci")
    for (k in seq_len(nrow(b))) {
      cat(sprintf("%s,%s,%s,%s,%s,%.17g,%.17g\n", case, m, b$generation[k], question, item,
                  b$ci_l[k], b$ci_u[k]))
    }
  }
}
weights_and_design(emit)
