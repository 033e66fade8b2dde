# Reference intervals of R `survey::svyciprop` for each method, on the question bases of the
# bundled data's first 1,500 rows (weights only, as svymean.R) and on the stratified cluster
# design of tests/fixtures/design (as design.R), total and by generation.
# Usage: Rscript intervals.R ../fixtures/design/sample.csv > intervals_r.csv
# Writes: case,method,group,question,item,low,high
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
methods <- c("beta", "logit", "xlogit", "asin", "mean")
full <- svydesign(ids = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~w, data = d, nest = TRUE)

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
