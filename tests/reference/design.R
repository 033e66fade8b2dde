# Reference shares and SEs of R `survey` for complex designs: strata, clusters of unequal
# size, finite population corrections, lonely PSUs. The design is every valid row of the
# file; a question's base (kept by the screener, answered) is a domain: subset(), which
# keeps every PSU of the design (as concerns does).
# Usage: Rscript design.R ../fixtures/design/sample.csv > design_r.csv
# Writes: case,group,question,item,share,se  and one row per case: case,df,,,,degf
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

cases <- list(
  strata_psu_fpc = list(ids = ~psu, strata = ~stratum, fpc = ~fpc, lonely = "fail"),
  psu = list(ids = ~psu, strata = NULL, fpc = NULL, lonely = "fail"),
  strata_fraction = list(ids = ~1, strata = ~stratum, fpc = ~fraction, lonely = "fail"),
  lonely_adjust = list(ids = ~psu2, strata = ~stratum2, fpc = NULL, lonely = "adjust"),
  lonely_average = list(ids = ~psu2, strata = ~stratum2, fpc = NULL, lonely = "average"),
  lonely_remove = list(ids = ~psu2, strata = ~stratum2, fpc = NULL, lonely = "remove"),
  lonely_certainty = list(ids = ~psu2, strata = ~stratum2, fpc = NULL, lonely = "certainty")
)

cat("case,group,question,item,share,se\n")
for (name in names(cases)) {
  cs <- cases[[name]]
  options(survey.lonely.psu = cs$lonely)
  des <- svydesign(ids = cs$ids, strata = cs$strata, fpc = cs$fpc, weights = ~w,
                   data = d, nest = TRUE)
  cat(sprintf("%s,df,,,,%d\n", name, degf(des)))
  emit <- function(question, item, dom, y) {
    des2 <- update(des, y = y, dom = dom)
    sub <- subset(des2, dom)
    m <- svymean(~y, sub)
    cat(sprintf("%s,total,%s,%s,%.17g,%.17g\n", name, question, item, coef(m)[[1]], SE(m)[[1]]))
    b <- svyby(~y, ~generation, sub, svymean)
    for (k in seq_len(nrow(b))) {
      cat(sprintf("%s,%s,%s,%s,%.17g,%.17g\n", name, b$generation[k], question, item,
                  unname(coef(b))[k], unname(SE(b))[k]))
    }
  }
  each_item(emit)
}
