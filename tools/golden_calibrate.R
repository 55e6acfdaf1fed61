# Reference numbers for calibration in R's vocabulary: calibrate (linear/GREG with categorical
# and numeric totals, bounds, raking and logit calfuns, trimming, heteroskedastic variance),
# postStratify and rake, from R's survey package and its own `api` data, the examples of
# ?calibrate, ?postStratify and ?rake. Run from the repository root:
#   Rscript tools/golden_calibrate.R
# Reads tests/data/golden/api_clus1.csv and api_strat.csv (written by tools/golden_quantiles.R:
# R's apiclus1 and apistrat) and writes
#   tests/data/golden/calibrate_reference.csv  one row per case and number: case, design
#       (dclus1: svydesign(id=~dnum, weights=~pw, fpc=~fpc); rclus1: as.svrepdesign(dclus1),
#       JK1; dstrat: svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc); rstrat:
#       as.svrepdesign(dstrat), JKn), domain ("all" or "sch.wide=Yes": subset()), fun
#       (svymean, svytotal, g_min / g_max: the range of new / old weights, warnings: how many
#       warnings R gave), variable, level (a factor's level, else empty), estimate, std_error,
#       df (degf of the design)
#   tests/data/golden/calibrate_weights.csv    snum, then each dclus1 case's calibrated weights
#   tests/data/golden/calibrate_population.csv xtabs(~stype + sch.wide, apipop) (?rake: the
#       joint table for postStratify), columns stype, sch.wide, Freq
# The cases are the help pages' (names below). Numbers have 17 significant digits; nothing is
# random. The tests read the CSVs; they never need R. Made with survey 4.1.1 (printed below).
suppressMessages(library(survey))
options(survey.lonely.psu = "fail")
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
GOLDEN <- "tests/data/golden"
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
data(api)

clus <- read.csv(file.path(GOLDEN, "api_clus1.csv"), stringsAsFactors = TRUE)
strat <- read.csv(file.path(GOLDEN, "api_strat.csv"), stringsAsFactors = TRUE)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = clus, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat, fpc = ~fpc)
rstrat <- as.svrepdesign(dstrat)

pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop.table <- xtabs(~stype + sch.wide, apipop)
write.csv(as.data.frame(pop.table), file.path(GOLDEN, "calibrate_population.csv"),
          row.names = FALSE)

# each case: a function of the base design; run on dclus1 and rclus1 unless `designs` says
g3 <- c(pop.totals, api99 = 3914069)
cases <- list(
  stype = function(d) calibrate(d, ~stype, pop.totals),
  stype_schwide = function(d) calibrate(d, ~stype + sch.wide, c(pop.totals, sch.wideYes = 5122)),
  greg = function(d) calibrate(d, ~stype + api99, g3),
  greg_noint = function(d) calibrate(d, ~stype + api99 - 1,
                                     c(stypeE = 4421, stypeH = 755, stypeM = 1018,
                                       api99 = 3914069)),
  bounded = function(d) calibrate(d, ~stype + api99, g3, bounds = c(0.6, 1.6)),
  bounded_half = function(d) calibrate(d, ~stype + api99, g3, bounds = c(0.5, 2)),
  trimmed = function(d) calibrate(d, ~stype + api99, g3, bounds = c(0.5, 2),
                                  trim = c(2 / 3, 3 / 2)),
  raking = function(d) calibrate(d, ~stype + api99, g3, calfun = "raking"),
  raking_bounded = function(d) calibrate(d, ~stype + api99, g3, calfun = "raking",
                                         bounds = c(0.5, 2)),
  logit = function(d) calibrate(d, ~stype + api99, g3, calfun = cal.logit,
                                bounds = c(0.5, 2.5)),
  raking_unnamed = function(d) calibrate(d, ~stype + sch.wide, pop = c(6194, 755, 1018, 5122),
                                         calfun = "raking"),
  interaction = function(d) calibrate(d, ~stype * api99, c(g3, `stypeH:api99` = 470000,
                                                          `stypeM:api99` = 640000)),
  poststrat = function(d) postStratify(d, ~stype, pop.types),
  poststrat_joint = function(d) postStratify(d, ~stype + sch.wide, pop.table),
  rake = function(d) rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide)),
  rake_tight = function(d) rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                                control = list(maxit = 100, epsilon = 1e-12)),
  rake_maxit1 = function(d) rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                                 control = list(maxit = 1, epsilon = 1e-12)),
  rake_joint = function(d) rake(d, list(~stype + sch.wide, ~sch.wide),
                                list(pop.table, pop.schwide))
)
# ?calibrate's ratio estimator: variance = 1 (sigma2 = enroll), on apistrat
strat_cases <- list(
  ratio = function(d) calibrate(d, ~enroll - 1, 3811472, variance = 1),
  ratio_rowwise = function(d) calibrate(d, ~enroll - 1, 3811472, variance = strat$enroll)
)

out <- list()
add <- function(case, design, domain, fun, variable, level, est, se, df)
  out[[length(out) + 1]] <<- data.frame(
    case = case, design = design, domain = domain, fun = fun, variable = variable,
    level = level, estimate = fmt(est), std_error = fmt(se), df = df)

estimates <- function(case, dname, des, base, nwarn, means = c("api00"), totals = c("enroll")) {
  add(case, dname, "all", "warnings", "", "", nwarn, NA, NA)
  g <- weights(des, "sampling") / weights(base, "sampling")
  add(case, dname, "all", "g_min", "", "", min(g), NA, NA)
  add(case, dname, "all", "g_max", "", "", max(g), NA, NA)
  for (domain in c("all", "sch.wide=Yes")) {
    d <- if (domain == "all") des else subset(des, sch.wide == "Yes")
    for (v in means) {
      m <- svymean(as.formula(paste0("~", v)), d)
      add(case, dname, domain, "svymean", v, "", coef(m)[[1]], SE(m)[[1]], degf(d))
    }
    for (v in totals) {
      t <- svytotal(as.formula(paste0("~", v)), d)
      add(case, dname, domain, "svytotal", v, "", coef(t)[[1]], SE(t)[[1]], degf(d))
    }
    t <- svytotal(~stype, d)
    for (i in seq_along(coef(t)))
      add(case, dname, domain, "svytotal", "stype", sub("^stype", "", names(coef(t))[i]),
          coef(t)[[i]], SE(t)[[i]], degf(d))
  }
}

run <- function(f) {
  nwarn <- 0
  des <- withCallingHandlers(suppressMessages(f()), warning = function(w) {
    nwarn <<- nwarn + 1
    invokeRestart("muffleWarning")
  })
  list(des = des, nwarn = nwarn)
}

wts <- data.frame(snum = clus$snum)
for (case in names(cases)) {
  for (dname in c("dclus1", "rclus1")) {
    base <- get(dname)
    r <- run(function() cases[[case]](base))
    estimates(case, dname, r$des, base, r$nwarn)
    if (dname == "dclus1") wts[[case]] <- fmt(weights(r$des))
  }
}
for (case in names(strat_cases)) {
  for (dname in c("dstrat", "rstrat")) {
    base <- get(dname)
    r <- run(function() strat_cases[[case]](base))
    estimates(case, dname, r$des, base, r$nwarn, means = c("api00"), totals = c("enroll", "api00"))
  }
}
# the uncalibrated designs, for the tests' controls
for (dname in c("dclus1", "rclus1")) estimates("none", dname, get(dname), get(dname), 0)

ref <- do.call(rbind, out)
write.csv(ref, file.path(GOLDEN, "calibrate_reference.csv"), row.names = FALSE, quote = FALSE)
write.csv(wts, file.path(GOLDEN, "calibrate_weights.csv"), row.names = FALSE, quote = FALSE)
cat(nrow(ref), "rows; warnings per case:\n")
print(unique(ref[ref$fun == "warnings", c("case", "design", "estimate")]))
