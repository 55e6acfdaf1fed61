# R's svyglm on the replicate design of benchmarks/run.py's "replicate" figures (not a test).
#
#   Rscript benchmarks/replicate_bench.R <dir> [multicore]
#
# <dir> holds what run.py wrote: data.csv (one row per respondent: y, the model's variables,
# the full-sample weight w and psu, numbered 0..P-1) and factors.csv (one row per PSU, in PSU
# order: the replicates' Poisson(1) factors f1..fR). The (n x R) replicate weights are rebuilt
# here by indexing, factor of the row's PSU times w (combined weights, as run.py's Python side),
# so that reading a 1M x 90 file is not part of either side. Only svyglm is timed (the design
# build is timed separately and reported). Writes <dir>/r_coef.csv (term, estimate, std_error)
# and <dir>/r_time.csv (what, seconds).
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
multicore <- length(args) > 1 && args[2] == "multicore"
suppressPackageStartupMessages(library(survey))

read <- function(f) {
  if (requireNamespace("data.table", quietly = TRUE)) {
    data.table::fread(f, data.table = FALSE, showProgress = FALSE)
  } else {
    read.csv(f)
  }
}
d <- read(file.path(dir, "data.csv"))
d$education <- factor(d$education, levels = c("low", "medium", "high"))
d$urban <- factor(d$urban, levels = c("rural", "urban"))
d$region <- factor(d$region, levels = c("north", "east", "south", "west", "centre"))
fac <- as.matrix(read(file.path(dir, "factors.csv")))
repw <- fac[d$psu + 1L, , drop = FALSE] * d$w
dimnames(repw) <- NULL
rm(fac)

build <- system.time(
  des <- svrepdesign(data = d, repweights = repw, weights = ~w, type = "bootstrap",
                     combined.weights = TRUE)
)
rm(repw)
invisible(gc())
fit_time <- system.time(
  fit <- svyglm(y ~ age + female + efficacy + income + education + urban + region + married,
                design = des, family = quasibinomial(), multicore = multicore)
)
co <- coef(fit)
se <- sqrt(diag(vcov(fit)))
write.csv(data.frame(term = names(co), estimate = unname(co), std_error = unname(se)),
          file.path(dir, "r_coef.csv"), row.names = FALSE)
write.csv(data.frame(what = c("build", "fit", "fit_cpu"),
                     seconds = c(build[["elapsed"]], fit_time[["elapsed"]],
                                 fit_time[["user.self"]] + fit_time[["sys.self"]])),
          file.path(dir, "r_time.csv"), row.names = FALSE)
cat(sprintf("svrepdesign %.1f s; svyglm %.1f s (%d rows, %d replicates%s)\n",
            build[["elapsed"]], fit_time[["elapsed"]], nrow(d), ncol(des$repweights),
            if (multicore) ", multicore" else ""))
