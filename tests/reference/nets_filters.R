# Reference shares and SEs of nets (any of several items) and of filtered tables (a
# filter is a domain: R `subset()`), total and per generation (`svyby`).
# Usage: Rscript nets_filters.R BUNDLED.csv DESIGN_FIXTURE.csv CHISQ.csv > nets_filters_r.csv
# Writes: case,question,row,group,share,se; and to CHISQ.csv the Rao-Scott test across
# generations of every row (R `svychisq(~y + generation, design, statistic = "F")`):
# case,question,row,f,ndf,ddf,p
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
read <- function(path) {
  d <- read.csv(path, colClasses = "character", na.strings = "", encoding = "UTF-8")
  d$w <- as.numeric(d$weight)
  d
}
concern_cols <- c(reach_person = "concern_reach_person", job_loss = "concern_job_loss",
                  wrong_answers = "concern_wrong_answers", data_security = "concern_data_security",
                  bias = "concern_bias", other = "concern_other")
# Rows of each question: items, then nets (a net is 1 when any of its items is chosen).
rows <- function(d) {
  sel <- function(col) as.numeric(!is.na(d[[col]]) & d[[col]] == "1")
  concerns <- lapply(concern_cols, sel)
  concerns$any_concern <- as.numeric(Reduce(`|`, lapply(concern_cols, function(c) sel(c) == 1)))
  concerns$human_touch <- as.numeric(concerns$reach_person == 1 | concerns$job_loss == 1)
  code <- function(q, codes) as.numeric(!is.na(d[[q]]) & d[[q]] %in% codes)
  list(
    concerns = list(base = rowSums(!is.na(d[, concern_cols])) > 0, y = concerns),
    switch_intent = list(base = !is.na(d$switch_intent), y = list(
      yes = code("switch_intent", "yes"), unsure = code("switch_intent", "unsure"),
      no = code("switch_intent", "no"), yes_or_unsure = code("switch_intent", c("yes", "unsure")))),
    prefer_no_ai = list(base = !is.na(d$prefer_no_ai), y = list(
      yes = code("prefer_no_ai", "yes"), no = code("prefer_no_ai", "no")))
  )
}
emit_share <- function(case, question, row, des) {
  m <- svymean(~y, des)
  cat(sprintf("%s,%s,%s,total,%.17g,%.17g\n", case, question, row, coef(m)[[1]], SE(m)[[1]]))
  b <- svyby(~y, ~generation, des, svymean)
  for (k in seq_len(nrow(b))) {
    cat(sprintf("%s,%s,%s,%s,%.17g,%.17g\n", case, question, row, b$generation[k],
                b$y[k], SE(b)[k]))
  }
}
cat("case,question,row,group,share,se\n")
chisq <- file(args[3], "w")
cat("case,question,row,f,ndf,ddf,p\n", file = chisq)
emit <- function(case, question, row, des) {
  emit_share(case, question, row, des)
  des <- update(des, yf = factor(y))
  t <- tryCatch(svychisq(~yf + generation, des, statistic = "F"), error = function(e) NULL)
  if (!is.null(t) && is.finite(t$statistic)) {
    cat(sprintf("%s,%s,%s,%.17g,%.17g,%.17g,%.17g\n", case, question, row, t$statistic,
                t$parameter[[1]], t$parameter[[2]], t$p.value), file = chisq)
  }
}

# The bundled data, weights only: the design is each question's base (kept by the
# screener, answered), and a filter a domain of it.
d <- read(args[1])
d <- d[d$ai_familiarity != "dont_know_ai", ]
filter <- function(x) x$country %in% c("us", "gb") & !(x$generation == "boomer")
for (q in names(rows(d))) {
  r <- rows(d)[[q]]
  base <- d[r$base, ]
  for (row in names(r$y)) {
    base$y <- r$y[[row]][r$base]
    des <- svydesign(ids = ~1, weights = ~w, data = base)
    emit("weights", q, row, des)
    emit("weights_filtered", q, row, subset(des, filter(base)))
  }
}

# The design fixture: stratified clusters with fpc; base and filter are domains of it.
f <- read(args[2])
f$fpc <- as.numeric(f$fpc)
kept <- f$ai_familiarity != "dont_know_ai"
full <- svydesign(ids = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~w, data = f, nest = TRUE)
filter2 <- function(x) x$country == "us" | x$gender == "female"
for (q in names(rows(f))) {
  r <- rows(f)[[q]]
  for (row in names(r$y)) {
    dom <- kept & r$base
    des <- update(full, y = r$y[[row]], dom = dom, fdom = dom & filter2(f))
    emit("design", q, row, subset(des, dom))
    emit("design_filtered", q, row, subset(des, fdom))
  }
}
close(chisq)
