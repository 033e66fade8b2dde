# Reference raking weights from R `survey::rake` (and `trimWeights` followed by `rake`).
# Usage: Rscript rake.R DATA.csv > rake_r.csv
# Writes: case,respondent_id,weight
# Cases, with the margins of docs/examples/targets.toml (shares) and of
# tests/fixtures/rake/counts.toml (counts, from the file's `weight` column as base):
#   shares:  every row starts at 1, epsilon 1e-10
#   counts:  starts at the `weight` column, population counts, epsilon 1e-10
#   trimmed: as shares, then trimWeights(upper = 2.5 × mean, lower = 0.6 × mean) and rake,
#            repeated until every weight is within the bounds (at most 20 rounds)
suppressMessages(library(survey))
path <- commandArgs(trailingOnly = TRUE)[1]
d <- read.csv(path, colClasses = "character", na.strings = "", encoding = "UTF-8")
d$one <- 1
d$base <- as.numeric(d$weight)
margins <- list(~generation, ~gender, ~country)
pop <- function(shares, total) {
  lapply(names(shares), function(v) {
    df <- data.frame(names(shares[[v]]), unname(unlist(shares[[v]])) * total)
    names(df) <- c(v, "Freq")
    df
  })
}
shares <- list(
  generation = list(gen_z = 0.20, millennial = 0.33, gen_x = 0.27, boomer = 0.20),
  gender = list(female = 0.51, male = 0.48, other = 0.01),
  country = list(us = 0.40, gb = 0.15, de = 0.15, fr = 0.12, au = 0.08, ca = 0.10)
)
counts <- list(
  generation = list(gen_z = 2100000, millennial = 3300000, gen_x = 2900000, boomer = 1700000),
  gender = list(female = 5050000, male = 4850000, other = 100000),
  country = list(us = 4000000, gb = 1500000, de = 1500000, fr = 1200000, au = 800000, ca = 1000000)
)
control <- list(maxit = 100, epsilon = 1e-10)
emit <- function(case, des) {
  cat(sprintf("%s,%s,%.17g\n", case, d$respondent_id, weights(des)), sep = "")
}
cat("case,respondent_id,weight\n")
ones <- svydesign(ids = ~1, weights = ~one, data = d)
r <- rake(ones, margins, pop(shares, nrow(d)), control = control)
emit("shares", r)
based <- svydesign(ids = ~1, weights = ~base, data = d)
emit("counts", rake(based, margins, pop(counts, 1), control = control))
mean_w <- sum(weights(r)) / nrow(d)
upper <- 2.5 * mean_w
lower <- 0.6 * mean_w
rounds <- 0
outside <- function(w) any(w > upper * (1 + 1e-9) | w < lower * (1 - 1e-9))
while (rounds < 20 && outside(weights(r))) {
  r <- trimWeights(r, upper = upper, lower = lower)
  r <- rake(r, margins, pop(shares, nrow(d)), control = control)
  rounds <- rounds + 1
}
emit("trimmed", r)
