# Reference numbers for design-based totals and ratios (svytotal, svyratio), from R's survey
# package. Run from the repository root:
#   Rscript tools/golden_totals.R
# Reads tests/data/golden/fpc_survey.csv (Taylor designs with population sizes),
# replicate_survey.csv and replicate_weights.csv (replicate designs, as tools/golden_replicate.R
# rebuilds them from the columns) and calibration_totals.csv (a post-stratified design), and
# writes tests/data/golden/totals_reference.csv: one row per case, domain, statistic and term with
# the estimate, its standard error, the degrees of freedom (degf of the rows used) and the
# design effect. Numbers are written with 17 significant digits; nothing is random. The tests
# read the CSV; they never need R. Made with R 4.2.2 and survey 4.1.1 (printed when it runs).
suppressMessages(library(survey))
options(survey.ultimate.cluster = FALSE)   # R's default: the two-stage variance
options(survey.lonely.psu = "fail")        # no design here has a stratum with a single PSU
GOLDEN <- "tests/data/golden"
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

out <- list()
add <- function(case, domain, statistic, variable, level, term, est, se, df, deff)
  out[[length(out) + 1]] <<- data.frame(case = case, domain = domain, statistic = statistic,
                                        variable = variable, level = level, term = term,
                                        estimate = fmt(est), std_error = fmt(se), df = df,
                                        deff = fmt(deff))

# svytotal(na.rm = TRUE) of one variable: one row per column of R's model matrix (a numeric
# variable one, a factor one per level, named variable + level as R names them)
totals <- function(case, domain, des, v, deff = TRUE, statistic = "total") {
  x <- des$variables[[v]]
  keep <- des[!is.na(x), ]                      # the rows svytotal(na.rm = TRUE) uses
  s <- svytotal(as.formula(paste0("~", v)), des, na.rm = TRUE, deff = deff)
  lv <- if (is.factor(x)) levels(x) else ""
  stopifnot(names(coef(s)) == paste0(v, lv))
  add(case, domain, statistic, v, lv, names(coef(s)), unname(coef(s)), unname(SE(s)),
      degf(keep), unname(deff(s)))
}

# svyratio(na.rm = TRUE); the design effect is the one svyratio computes for a linearisation
# design, deff(svytotal(<numerator> - ratio * <denominator>, <complete rows>, deff = TRUE)). For
# a replicate design svyratio(deff = TRUE) fails in survey 4.1.1 ("Error in rval[i, j]:
# incorrect number of dimensions": it indexes the result list); the intended number, the same
# svytotal of the residuals on the replicate design, is computed here directly.
ratio <- function(case, domain, des, num, den) {
  nas <- is.na(des$variables[[num]]) | is.na(des$variables[[den]])
  keep <- des[!nas, ]
  rep <- inherits(des, "svyrep.design")
  r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), des,
                na.rm = TRUE, deff = !rep)
  est <- coef(r)[[1]]
  e <- keep$variables[[num]] - est * keep$variables[[den]]
  e[is.na(e)] <- 0   # a calibrated design keeps the incomplete rows, at weight 0
  d_res <- deff(svytotal(e, keep, deff = TRUE))[[1]]
  if (!rep) stopifnot(abs(attr(r, "deff")[[1]] - d_res) <= 1e-10 * d_res)
  add(case, domain, "ratio", paste0(num, "/", den), "", paste0(num, "/", den), est,
      SE(r)[[1]], degf(keep), d_res)
}

# ---- a. Taylor designs with population sizes (fpc_survey.csv) ---------------------------------
d <- read.csv(file.path(GOLDEN, "fpc_survey.csv"), stringsAsFactors = FALSE)
d$stratum <- factor(d$stratum)
d$yf <- factor(d$y, levels = 0:1, labels = c("no", "yes"))  # a factor with missing values
taylor <- list(
  clus_fpc = svydesign(ids = ~psu, strata = ~stratum, fpc = ~N1, weights = ~weight,
                       nest = TRUE, data = d),
  two_stage = svydesign(ids = ~psu + ssu, strata = ~stratum, fpc = ~N1 + M2,
                        weights = ~weight, nest = TRUE, data = d))
for (case in names(taylor)) {
  for (domain in c("all", "north")) {
    des <- if (domain == "all") taylor[[case]] else subset(taylor[[case]], region == "north")
    for (v in c("age", "efficacy", "stratum", "yf")) totals(case, domain, des, v)
    totals(case, domain, des, "age", deff = "replace", statistic = "total_deff_replace")
    ratio(case, domain, des, "y", "age")
    ratio(case, domain, des, "efficacy", "age")
  }
}

# ---- b. replicate designs (replicate_survey.csv + replicate_weights.csv) -----------------------
r <- read.csv(file.path(GOLDEN, "replicate_survey.csv"), stringsAsFactors = FALSE)
r$country <- factor(r$country, levels = c("AA", "BB", "CC"))
r$agegrp <- factor(r$agegrp, levels = c("18-34", "35-54", "55+"))
r$sex <- factor(r$sex, levels = c("man", "woman"))
dd <- cbind(r, read.csv(file.path(GOLDEN, "replicate_weights.csv"))[, -1])
stopifnot(identical(read.csv(file.path(GOLDEN, "replicate_weights.csv"))$id, r$id))
scales <- read.csv(file.path(GOLDEN, "replicate_scales.csv"))
jk1 <- scales$scale[scales$type == "JK1"][1]   # (n - 1)/n, R's default (given: no warning)
repl <- list(   # R's default scales and rscales for JK1 and BRR, as replicate_scales.csv
  JK1_mse0 = svrepdesign(data = dd, repweights = "^jk1_", weights = ~weight, type = "JK1",
                         combined.weights = TRUE, scale = jk1, mse = FALSE),
  JK1_mse1 = svrepdesign(data = dd, repweights = "^jk1_", weights = ~weight, type = "JK1",
                         combined.weights = TRUE, scale = jk1, mse = TRUE),
  BRR_mse0 = svrepdesign(data = dd, repweights = "^brr_", weights = ~weight, type = "BRR",
                         combined.weights = TRUE, mse = FALSE))
default_scale <- list(JK1 = 35 / 36, BRR = 1 / 20)   # (R - 1)/R with 36 replicates; 1/R
for (case in names(repl)) {
  t <- sub("_mse.$", "", case)
  stopifnot(abs(repl[[case]]$scale - scales$scale[scales$type == t][1]) < 1e-15,
            abs(repl[[case]]$scale - default_scale[[t]]) < 1e-15)
  for (domain in c("all", "BB")) {
    des <- if (domain == "all") repl[[case]] else subset(repl[[case]], country == "BB")
    for (v in c("age", "agegrp", "country")) totals(case, domain, des, v)
    totals(case, domain, des, "age", deff = "replace", statistic = "total_deff_replace")
    ratio(case, domain, des, "efficacy", "age")
    ratio(case, domain, des, "individual", "female")
  }
}

# ---- c. a post-stratified Taylor design (the variance of totals after calibration) ------------
lin <- svydesign(ids = ~psu, strata = ~country, weights = ~weight, nest = TRUE, data = r)
tot <- read.csv(file.path(GOLDEN, "calibration_totals.csv"), stringsAsFactors = FALSE)
pop_age <- data.frame(agegrp = factor(tot$level[tot$variable == "agegrp"],
                                      levels = levels(r$agegrp)),
                      Freq = tot$total[tot$variable == "agegrp"])
ps <- postStratify(lin, ~agegrp, pop_age)
for (domain in c("all", "BB")) {
  des <- if (domain == "all") ps else subset(ps, country == "BB")
  for (v in c("age", "agegrp", "sex")) totals("poststrat", domain, des, v)
  ratio("poststrat", domain, des, "efficacy", "age")
}

res <- do.call(rbind, out)
write.csv(res, file.path(GOLDEN, "totals_reference.csv"), row.names = FALSE, quote = 1:6)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "rows written\n")
