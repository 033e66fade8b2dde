# Reference Rao–Scott tests of the codebook's contrast (concerns among those who would switch
# vs those who would not): R `svychisq(~y + switch_intent, subset(design, switch_intent %in%
# c("yes", "no")), statistic = "F")`, weights only and on the stratified cluster design.
# Usage: Rscript chisq_contrast.R ../fixtures/design/sample.csv > chisq_contrast_r.csv
# Writes: case,question,item,f,ndf,ddf,p
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

cat("case,question,item,f,ndf,ddf,p\n")
emit <- function(case, des, question, item) {
  if (question != "concerns") return(invisible())
  sub <- subset(des, switch_intent %in% c("yes", "no"))
  t <- svychisq(~y + switch_intent, sub, statistic = "F")
  cat(sprintf("%s,%s,%s,%.17g,%.17g,%.17g,%.17g\n", case, question, item, unname(t$statistic),
              unname(t$parameter[1]), unname(t$parameter[2]), t$p.value))
}
weights_and_design(emit)
