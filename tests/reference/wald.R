# Reference differences of group shares and their design-based SEs: R `svyby(…, covmat =
# TRUE)` then `svycontrast`, weights only and on the stratified cluster design of
# tests/fixtures/design, for every pair of generations.
# Usage: Rscript wald.R ../fixtures/design/sample.csv > wald_r.csv
# Writes: case,question,item,a,b,difference,se
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
