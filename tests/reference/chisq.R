# Reference Rao–Scott tests of association (R `svychisq(~y + generation, design, statistic =
# "F")`) for every item, weights only and on the stratified cluster design.
# Usage: Rscript chisq.R ../fixtures/design/sample.csv > chisq_r.csv
# Writes: case,question,item,f,ndf,ddf,p
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

cat("case,question,item,f,ndf,ddf,p\n")
emit <- function(case, des, question, item) {
  t <- svychisq(~y + generation, des, statistic = "F")
  cat(sprintf("%s,%s,%s,%.17g,%.17g,%.17g,%.17g\n", case, question, item, unname(t$statistic),
              unname(t$parameter[1]), unname(t$parameter[2]), t$p.value))
}
weights_and_design(emit)
