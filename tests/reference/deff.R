# Reference design effects of R `survey` (svymean(…, deff = "replace")), weights only and
# on the stratified cluster design of tests/fixtures/design, total and by generation.
# Usage: Rscript deff.R ../fixtures/design/sample.csv > deff_r.csv
# Writes: case,group,question,item,deff
suppressMessages(library(survey))
path <- commandArgs(trailingOnly = TRUE)[1]
d <- read.csv(path, colClasses = "character", na.strings = "", encoding = "UTF-8")
d$w <- as.numeric(d$weight)
d$fpc <- as.numeric(d$fpc)
kept <- d$ai_familiarity != "dont_know_ai"
concern_cols <- c(reach_person = "concern_reach_person", job_loss = "concern_job_loss",
                  wrong_answers = "concern_wrong_answers", data_security = "concern_data_security",
                  bias = "concern_bias", other = "concern_other")
answered_concerns <- rowSums(!is.na(d[, concern_cols])) > 0
singles <- list(switch_intent = c("yes", "unsure", "no"), prefer_no_ai = c("yes", "no"))
full <- svydesign(ids = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~w, data = d, nest = TRUE)

cat("case,group,question,item,deff\n")
emit <- function(case, des, question, item) {
  m <- svymean(~y, des, deff = "replace")
  cat(sprintf("%s,total,%s,%s,%.17g\n", case, question, item, unname(deff(m))))
  b <- svyby(~y, ~generation, des, svymean, deff = "replace")
  for (k in seq_len(nrow(b))) {
    cat(sprintf("%s,%s,%s,%s,%.17g\n", case, b$generation[k], question, item, b[["DEff.y"]][k]))
  }
}
both <- function(question, item, dom, y) {
  base <- d[dom, ]
  base$y <- y[dom]
  emit("weights", svydesign(ids = ~1, weights = ~w, data = base), question, item)
  emit("design", subset(update(full, y = y, dom = dom), dom), question, item)
}
for (item in names(concern_cols)) {
  v <- d[[concern_cols[[item]]]]
  both("concerns", item, kept & answered_concerns, as.numeric(!is.na(v) & v == "1"))
}
for (q in names(singles)) {
  for (code in singles[[q]]) {
    both(q, code, kept & !is.na(d[[q]]), as.numeric(!is.na(d[[q]]) & d[[q]] == code))
  }
}
