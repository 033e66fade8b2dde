# Reference shares and SEs of R `survey` for complex designs: strata, clusters of unequal
# size, finite population corrections, lonely PSUs. The design is every valid row of the
# file; a question's base (kept by the screener, answered) is a domain: subset(), which
# keeps every PSU of the design (as concerns does).
# Usage: Rscript design.R ../fixtures/design/sample.csv > design_r.csv
# Writes: case,group,question,item,share,se  and one row per case: case,df,,,,degf
suppressMessages(library(survey))
path <- commandArgs(trailingOnly = TRUE)[1]
d <- read.csv(path, colClasses = "character", na.strings = "", encoding = "UTF-8")
d$w <- as.numeric(d$weight)
d$fpc <- as.numeric(d$fpc)
d$fraction <- as.numeric(d$fraction)
kept <- d$ai_familiarity != "dont_know_ai"
concern_cols <- c(reach_person = "concern_reach_person", job_loss = "concern_job_loss",
                  wrong_answers = "concern_wrong_answers", data_security = "concern_data_security",
                  bias = "concern_bias", other = "concern_other")
answered_concerns <- rowSums(!is.na(d[, concern_cols])) > 0
singles <- list(switch_intent = c("yes", "unsure", "no"), prefer_no_ai = c("yes", "no"))

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
  for (item in names(concern_cols)) {
    v <- d[[concern_cols[[item]]]]
    emit("concerns", item, kept & answered_concerns, as.numeric(!is.na(v) & v == "1"))
  }
  for (q in names(singles)) {
    for (code in singles[[q]]) {
      emit(q, code, kept & !is.na(d[[q]]), as.numeric(!is.na(d[[q]]) & d[[q]] == code))
    }
  }
}
