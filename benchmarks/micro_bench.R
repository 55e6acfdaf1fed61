# R's svyglm on the Taylor design of benchmarks/run.py's "micro" figure (not a test).
#
#   Rscript benchmarks/micro_bench.R <dir> [repeats]
#
# <dir>/data.csv is what run.py's Python side wrote once, after timing coprod on the same rows:
# y, age, female, efficacy, education, urban, country (5 strata), psu (2,000 clusters, numbered
# across strata) and weight. Reading the file is not timed (coprod's side does not read one
# either: it builds the rows in memory); timed is what coprod's figure times, the design built
# and the model fitted: svydesign(ids = ~psu, strata = ~country, weights = ~weight, nest = TRUE)
# and svyglm(..., family = quasibinomial()), best of <repeats> (default 1). Writes
# <dir>/r_coef.csv (term, estimate, std_error) and <dir>/r_time.csv (what, seconds: the best
# run's design, fit and total, and the total's CPU seconds).
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
repeats <- if (length(args) > 1) as.integer(args[2]) else 1L
suppressPackageStartupMessages(library(survey))

d <- if (requireNamespace("data.table", quietly = TRUE)) {
  data.table::fread(file.path(dir, "data.csv"), data.table = FALSE, showProgress = FALSE)
} else {
  read.csv(file.path(dir, "data.csv"))
}
d$education <- factor(d$education, levels = c("low", "medium", "high"))
d$urban <- factor(d$urban, levels = c("rural", "urban"))
d$country <- factor(d$country, levels = c("UK", "FR", "DE", "DK", "CZ"))

best <- NULL
for (i in seq_len(repeats)) {
  invisible(gc())
  design_t <- system.time(
    des <- svydesign(ids = ~psu, strata = ~country, weights = ~weight, data = d, nest = TRUE)
  )
  fit_t <- system.time(
    fit <- svyglm(y ~ age + female + efficacy + education + urban + country, design = des,
                  family = quasibinomial())
  )
  total <- design_t[["elapsed"]] + fit_t[["elapsed"]]
  if (is.null(best) || total < best[["total"]]) {
    best <- c(design = design_t[["elapsed"]], fit = fit_t[["elapsed"]], total = total,
              total_cpu = design_t[["user.self"]] + design_t[["sys.self"]]
              + fit_t[["user.self"]] + fit_t[["sys.self"]])
  }
}
co <- coef(fit)
se <- sqrt(diag(vcov(fit)))
write.csv(data.frame(term = names(co), estimate = unname(co), std_error = unname(se)),
          file.path(dir, "r_coef.csv"), row.names = FALSE)
write.csv(data.frame(what = names(best), seconds = unname(best)), file.path(dir, "r_time.csv"),
          row.names = FALSE)
cat(sprintf("svydesign %.2f s + svyglm %.2f s = %.2f s (best of %d; %d rows)\n",
            best[["design"]], best[["fit"]], best[["total"]], repeats, nrow(d)))
