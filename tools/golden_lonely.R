# Reference numbers for a lonely PSU under options(survey.lonely.psu = "adjust") on calibrated
# designs, from R's survey package. Run from the repository root:
#   Rscript tools/golden_lonely.R
# Reads tests/data/golden/replicate_survey.csv (made by tools/make_replicate_survey.py) and
# tests/data/golden/calibration_totals.csv (written by tools/golden_replicate.R), and writes
# tests/data/golden/lonely_reference.csv: estimates, standard errors, df and n, one row per
# case and term. The tests read the CSV; they never need R.
#
# The design is replicate_survey's, with PSU BB-06 moved to a stratum of its own ("BB-lonely"):
# svydesign(ids = ~psu, strata = ~lstratum, weights = ~weight, nest = TRUE), 4 strata, one of
# them with a single PSU. Why it matters: survey 4.1.1's onestrat() leaves a lonely stratum's
# PSU total uncentred under "adjust" (it adds total^2), which equals centring it at the grand
# mean of the PSU totals only when the values summed add up to zero, as the influence values of
# means and the scores of models do on an uncalibrated design (the `none` cases, the control),
# but not after calibration, whose residuals need not sum to zero. svyglm uses quasibinomial()
# and glm.control(epsilon = 1e-14, maxit = 100); calibration epsilon = 1e-12, maxit = 100, and
# every calibration must converge (warnings are errors), but for `rake_maxit2`: rake() with
# maxit = 2, which stops before converging; its row `last_change` holds the largest change of
# the margins' joint table in its last pass. Numbers are written with 17 significant digits;
# nothing is random. Made with R 4.2.2 and survey 4.1.1 (printed when the script runs).
suppressMessages(library(survey))
source("tools/golden_terms.R")  # model_terms(): one row per coefficient
options(survey.lonely.psu = "adjust")
GOLDEN <- "tests/data/golden"
d <- read.csv(file.path(GOLDEN, "replicate_survey.csv"), stringsAsFactors = FALSE)
d$country <- factor(d$country, levels = c("AA", "BB", "CC"))
d$agegrp <- factor(d$agegrp, levels = c("18-34", "35-54", "55+"))
d$sex <- factor(d$sex, levels = c("man", "woman"))
d$lstratum <- ifelse(d$psu == "BB-06", "BB-lonely", as.character(d$country))
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
fmt <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))

totals <- read.csv(file.path(GOLDEN, "calibration_totals.csv"), stringsAsFactors = FALSE)
tot <- function(v) totals$total[totals$variable == v]
pop_age <- data.frame(agegrp = factor(levels(d$agegrp), levels = levels(d$agegrp)),
                      Freq = tot("agegrp"))
pop_sex <- data.frame(sex = factor(levels(d$sex), levels = levels(d$sex)), Freq = tot("sex"))
pop_vec <- c(`(Intercept)` = tot("Intercept"), `agegrp35-54` = tot("agegrp")[2],
             `agegrp55+` = tot("agegrp")[3], sexwoman = tot("sex")[2])
stopifnot(identical(totals$level[totals$variable == "agegrp"], levels(d$agegrp)),
          identical(totals$level[totals$variable == "sex"], levels(d$sex)))

lin <- svydesign(ids = ~psu, strata = ~lstratum, weights = ~weight, nest = TRUE, data = d)
stopifnot(sum(lin$fpc$sampsize[!duplicated(d$lstratum)] == 1) == 1, degf(lin) == 32)
calibrations <- list(
  none = function(des) des,
  poststrat = function(des) postStratify(des, ~agegrp, pop_age),
  rake = function(des) rake(des, list(~agegrp, ~sex), list(pop_age, pop_sex),
                            control = list(maxit = 100, epsilon = 1e-12)),
  linear = function(des) calibrate(des, ~agegrp + sex, population = pop_vec, calfun = "linear"),
  bounded = function(des) calibrate(des, ~agegrp + sex, population = pop_vec,
                                    calfun = "linear", bounds = c(0.7, 1.4), epsilon = 1e-12,
                                    maxit = 100),
  raking_calfun = function(des) calibrate(des, ~agegrp + sex, population = pop_vec,
                                          calfun = "raking", epsilon = 1e-12, maxit = 100))
strict <- function(f) function(des) withCallingHandlers(f(des), warning = function(w)
  stop("calibration warning: ", conditionMessage(w)))
calibrations <- lapply(calibrations, strict)
# a rake stopped by maxit = 2 before it converges: R warns and keeps the weights of its last
# pass (and that pass's margins for the variance); the warning must be exactly R's
rake_k <- function(des, k) {
  warned <- NULL
  out <- withCallingHandlers(
    rake(des, list(~agegrp, ~sex), list(pop_age, pop_sex),
         control = list(maxit = k, epsilon = 1e-12)),
    warning = function(w) {
      warned <<- conditionMessage(w)
      invokeRestart("muffleWarning")
    })
  stopifnot(identical(warned, paste0("Raking did not converge after ", k, " iterations.\n")))
  out
}
calibrations$rake_maxit2 <- function(des) rake_k(des, 2)
# the change of the margins' joint table in that second pass (R's delta, which it does not print)
joint <- function(des) svytable(~agegrp + sex, des)
last_change <- max(abs(joint(rake_k(lin, 2)) - joint(rake_k(lin, 1))))
stopifnot(last_change > 1e-12 * sum(d$weight))

fit <- function(formula, design)   # a calibrated domain keeps its other rows at weight 0
  withCallingHandlers(
    svyglm(formula, design = design, family = quasibinomial(), control = ctrl),
    warning = function(w) if (grepl("zero weight not used", conditionMessage(w)))
      invokeRestart("muffleWarning"))
f_whole <- individual ~ age + female + efficacy + country
f_bb <- individual ~ age + female + efficacy

out <- list()
add_row <- function(case, calibration, domain, estimator, outcome, term, variable, level, est,
                    se, df, n)
  out[[length(out) + 1]] <<- data.frame(case = case, calibration = calibration,
                                        domain = domain, estimator = estimator,
                                        outcome = outcome, term = term, variable = variable,
                                        level = level, estimate = est, std_error = se, df = df,
                                        n = n)
# the influence values' sum: zero (to rounding) without calibration, not after it
score_sum <- list()
for (meth in names(calibrations)) {
  cal <- calibrations[[meth]](lin)
  for (dom in c("whole", "BB")) {
    case <- paste0(meth, "_", dom)
    des <- if (dom == "whole") cal else subset(cal, country == "BB")
    m <- fit(if (dom == "whole") f_whole else f_bb, des)
    r <- model_terms(m)
    add_row(case, meth, dom, "model", "individual", r$term, r$variable, r$level, r$estimate,
            r$std_error, r$df, r$n)
    for (v in c("age", "individual")) {
      s <- svymean(as.formula(paste0("~", v)), des, na.rm = TRUE)
      keep <- des[!is.na(des$variables[[v]]), ]     # the rows svymean(na.rm = TRUE) uses
      add_row(case, meth, dom, if (v == "age") "mean" else "proportion", v, v, v, "",
              coef(s)[[1]], SE(s)[[1]], degf(keep), sum(weights(keep, "sampling") > 0))
    }
    # svymean's influence values after svyrecvar's calibration step, summed (a check only)
    keep <- des[!is.na(des$variables$age), ]
    w <- weights(keep, "sampling")
    x <- ifelse(w > 0, w * (keep$variables$age - coef(svymean(~age, keep, na.rm = TRUE))) / sum(w), 0)
    x[is.na(x)] <- 0
    for (ps in keep$postStrata) {
      if (inherits(ps, "greg_calibration")) x <- qr.resid(ps$qr, x / ps$w) * ps$w
      else if (inherits(ps, "raking")) {
        for (it in 1:10) for (margin in ps) {
          psw <- attr(margin, "weights")
          x <- x - psw * ave(x / psw, margin)
        }
      } else {
        psw <- attr(ps, "weights"); oldw <- attr(ps, "oldweights")
        psv <- as.factor(ps)
        psm <- rowsum(x * oldw / psw, psv, reorder = TRUE) / as.vector(by(oldw, psv, sum))
        x <- x - psm[match(psv, sort(unique(psv)))] * psw
      }
    }
    score_sum[[case]] <- sum(x) / sqrt(sum(x^2))
  }
}
add_row("rake_maxit2_whole", "rake_maxit2", "whole", "last_change", "", "", "", "",
        last_change, NA, NA, NA)
res <- do.call(rbind, out)
for (v in c("estimate", "std_error")) res[[v]] <- fmt(res[[v]])
write.csv(res, file.path(GOLDEN, "lonely_reference.csv"), row.names = FALSE,
          quote = c(1:8), na = "")
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "reference rows\n")
cat("sum / norm of the mean age's influence values after calibration:\n")
print(signif(unlist(score_sum), 3))
