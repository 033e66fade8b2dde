# Reference per-group shares and SEs (R `survey::svyby`, domain estimation) and pairwise
# two-proportion tests (prop.test, correct = FALSE, on Kish effective bases) with Holm.
# Usage: Rscript svyby.R DATA.csv CASE weighted|unweighted SEGMENT GROUPS TESTS
#   appends to GROUPS: case,segment,question,item,group,share,se,base_unweighted,base_weighted,base_effective
#   appends to TESTS:  case,segment,question,item,a,b,p_value,p_holm
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]; case <- args[2]; mode <- args[3]; segment <- args[4]
groups_out <- args[5]; tests_out <- args[6]
d <- read.csv(path, colClasses = "character", na.strings = "", encoding = "UTF-8")
d <- d[d$ai_familiarity != "dont_know_ai", ]
d$w <- if (mode == "weighted") as.numeric(d$weight) else 1
order_of <- list(generation = c("gen_z", "millennial", "gen_x", "boomer"))

emit <- function(question, item, base, y) {
  base$y <- y
  base$g <- factor(base[[segment]], levels = intersect(order_of[[segment]], unique(base[[segment]])))
  des <- svydesign(ids = ~1, weights = ~w, data = base)
  est <- svyby(~y, ~g, des, svymean)
  levels_g <- levels(base$g)
  neff <- sapply(levels_g, function(v) { w <- base$w[base$g == v]; sum(w)^2 / sum(w^2) })
  for (k in seq_along(levels_g)) {
    v <- levels_g[k]; w <- base$w[base$g == v]
    cat(sprintf("%s,%s,%s,%s,%s,%.17g,%.17g,%d,%.17g,%.17g\n", case, segment, question, item, v,
                unname(coef(est))[k], unname(SE(est))[k], length(w), sum(w), neff[[v]]),
        file = groups_out, append = TRUE)
  }
  p <- unname(coef(est))
  pairs <- combn(seq_along(levels_g), 2)
  pv <- apply(pairs, 2, function(ab) {
    a <- ab[1]; b <- ab[2]
    suppressWarnings(prop.test(c(p[[a]] * neff[[a]], p[[b]] * neff[[b]]),
                               c(neff[[a]], neff[[b]]), correct = FALSE)$p.value)
  })
  holm <- p.adjust(pv, "holm")
  letters_g <- LETTERS[seq_along(levels_g)]
  for (j in seq_len(ncol(pairs))) {
    cat(sprintf("%s,%s,%s,%s,%s,%s,%.17g,%.17g\n", case, segment, question, item,
                letters_g[pairs[1, j]], letters_g[pairs[2, j]], pv[j], holm[j]),
        file = tests_out, append = TRUE)
  }
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
base <- d[!is.na(d$switch_intent), ]
for (code in c("yes", "unsure", "no")) emit("switch_intent", code, base, as.numeric(base$switch_intent == code))
