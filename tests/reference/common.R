# Shared by design.R, intervals.R, deff.R and wald.R: the fixture of tests/fixtures/design
# read as concerns reads it, its stratified cluster design, and each question's items as a
# 0/1 variable over its base (kept by the screener and answered).
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
full <- svydesign(ids = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~w, data = d, nest = TRUE)

# Calls f(question, item, domain, y) for every item of every question.
each_item <- function(f) {
  for (item in names(concern_cols)) {
    v <- d[[concern_cols[[item]]]]
    f("concerns", item, kept & answered_concerns, as.numeric(!is.na(v) & v == "1"))
  }
  for (q in names(singles)) {
    for (code in singles[[q]]) {
      f(q, code, kept & !is.na(d[[q]]), as.numeric(!is.na(d[[q]]) & d[[q]] == code))
    }
  }
}

# Calls emit(case, design, question, item) with the base as a data frame (weights only, as
# the conventional call) and as a domain of the cluster design (subset()).
weights_and_design <- function(emit) {
  each_item(function(question, item, dom, y) {
    base <- d[dom, ]
    base$y <- y[dom]
    emit("weights", svydesign(ids = ~1, weights = ~w, data = base), question, item)
    emit("design", subset(update(full, y = y, dom = dom), dom), question, item)
  })
}
