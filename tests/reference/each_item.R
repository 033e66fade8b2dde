# Reference values for per-item bases (`base = "each_item"`): on tests/fixtures/design/partial.csv,
# where one answered concern in five is blank, each concern's base is the kept respondents who
# answered that item (0 or 1): the data frame of them with weights only, and a domain of the
# stratified cluster design (subset()) with fpc, and with a lonely PSU averaged.
# Usage: Rscript each_item.R ../fixtures/design/partial.csv > each_item_r.csv
# Writes: kind,case,item,group,other,x1,x2,x3,x4,x5 where kind is
#   mean:  group (or total), x1..x5 = share, se, degf, beta low, beta high
#   wald:  group a, other b, x1 x2 = difference, se  (svyby covmat + svycontrast)
#   rest:  group g, x1 x2 = difference (g − rest), se
#   chisq: x1..x4 = F, ndf, ddf, p (svychisq, statistic "F")
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

order_g <- c("gen_z", "millennial", "gen_x", "boomer")
out <- function(...) cat(paste(..., sep = ","), "\n", sep = "")
num <- function(x) sprintf("%.17g", x)

emit <- function(case, des, item) {
  m <- svymean(~y, des)
  ci <- attr(svyciprop(~y, des, method = "beta"), "ci")
  out("mean", case, item, "total", "", num(coef(m)[[1]]), num(SE(m)[[1]]), degf(des),
      num(ci[[1]]), num(ci[[2]]))
  b <- svyby(~y, ~generation, des, svymean, covmat = TRUE)
  bc <- svyby(~y, ~generation, des, svyciprop, method = "beta", vartype = "ci")
  for (k in seq_len(nrow(b))) {
    g <- as.character(b$generation[k])
    out("mean", case, item, g, "", num(unname(coef(b))[k]), num(unname(SE(b))[k]),
        degf(subset(des, generation == g)), num(bc$ci_l[k]), num(bc$ci_u[k]))
  }
  lv <- as.character(b$generation)
  present <- order_g[order_g %in% lv]
  for (i in seq_along(present)) for (j in seq_along(present)) if (i < j) {
    w <- setNames(rep(0, length(lv)), lv)
    w[present[i]] <- 1; w[present[j]] <- -1
    ct <- svycontrast(b, w)
    out("wald", case, item, present[i], present[j], num(unname(coef(ct))), num(unname(SE(ct))),
        "", "", "")
  }
  for (g in present) {
    des2 <- update(des, ing = factor(generation == g, levels = c(FALSE, TRUE)))
    r <- svyby(~y, ~ing, des2, svymean, covmat = TRUE)
    ct <- svycontrast(r, c(-1, 1))
    out("rest", case, item, g, "", num(unname(coef(ct))), num(unname(SE(ct))), "", "", "")
  }
  t <- svychisq(~y + generation, des, statistic = "F")
  out("chisq", case, item, "", "", num(unname(t$statistic)), num(unname(t$parameter[1])),
      num(unname(t$parameter[2])), num(t$p.value), "")
}

cat("kind,case,item,group,other,x1,x2,x3,x4,x5\n")
lonely <- svydesign(ids = ~psu2, strata = ~stratum2, weights = ~w, data = d, nest = TRUE)
# Every case for one row: its domain (kept, answered) and its 0/1 variable.
emit_cases <- function(row, dom, y) {
  base <- d[dom, ]
  base$y <- y[dom]
  options(survey.lonely.psu = "fail")
  emit("weights", svydesign(ids = ~1, weights = ~w, data = base), row)
  emit("design", subset(update(full, y = y, dom = dom), dom), row)
  options(survey.lonely.psu = "average")
  emit("lonely_average", subset(update(lonely, y = y, dom = dom), dom), row)
}
for (item in names(concern_cols)) {
  v <- d[[concern_cols[[item]]]]
  emit_cases(item, kept & !is.na(v), as.numeric(!is.na(v) & v == "1"))
}
# Nets of the canonical codebook with a base per item: a respondent is in a net's base when
# they answered any of its items, and counts when any answered item is chosen.
nets <- list(any_concern = names(concern_cols), human_touch = c("reach_person", "job_loss"))
for (net in names(nets)) {
  cols <- unname(concern_cols[nets[[net]]])
  answered <- rowSums(!is.na(d[, cols, drop = FALSE])) > 0
  chosen <- rowSums(sapply(cols, function(c) !is.na(d[[c]]) & d[[c]] == "1")) > 0
  emit_cases(net, kept & answered, as.numeric(chosen))
}
