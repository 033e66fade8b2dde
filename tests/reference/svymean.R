# Reference shares and standard errors from R `survey` (Taylor linearisation).
# Usage: Rscript svymean.R DATA.csv CASE weighted|unweighted >> out.csv
# Writes: case,question,item,share,se,base_unweighted,base_weighted,base_effective
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]; case <- args[2]; mode <- args[3]
d <- read.csv(path, colClasses = "character", na.strings = "", encoding = "UTF-8")
d <- d[d$ai_familiarity != "dont_know_ai", ]
d$w <- if (mode == "weighted") as.numeric(d$weight) else 1

emit <- function(question, item, base, y) {
  base$y <- y
  des <- svydesign(ids = ~1, weights = ~w, data = base)
  m <- svymean(~y, des)
  n_eff <- sum(base$w)^2 / sum(base$w^2)
  cat(sprintf("%s,%s,%s,%.17g,%.17g,%d,%.17g,%.17g\n", case, question, item,
              coef(m)[[1]], SE(m)[[1]], nrow(base), sum(base$w), n_eff))
}

concern_cols <- c(reach_person = "concern_reach_person", job_loss = "concern_job_loss",
                  wrong_answers = "concern_wrong_answers", data_security = "concern_data_security",
                  bias = "concern_bias", other = "concern_other")
answered <- rowSums(!is.na(d[, concern_cols])) > 0
base <- d[answered, ]
for (item in names(concern_cols)) {
  v <- base[[concern_cols[[item]]]]
  emit("concerns", item, base, as.numeric(!is.na(v) & v == "1"))
}
singles <- list(switch_intent = c("yes", "unsure", "no"), prefer_no_ai = c("yes", "no"))
for (q in names(singles)) {
  base <- d[!is.na(d[[q]]), ]
  for (code in singles[[q]]) emit(q, code, base, as.numeric(base[[q]] == code))
}
