# Reference numbers for two ways of treating incomplete rows in a design-based logistic
# regression, from R's survey package. Run from the repository root:
#   Rscript tools/golden_incomplete.R
# Reads tests/data/golden/missing_survey.csv (made by tools/make_missing_survey.py) and writes
# tests/data/golden/incomplete_reference.csv: one row per case, outcome and coefficient, with
# columns case, outcome, term (R's coefficient name), variable ("Intercept" for "(Intercept)",
# the factor's name for a factor level), level (the factor level, "" for a numeric term),
# estimate, std_error, df_resid (R's model$df.residual) and n (respondents used in the fit).
# Numbers are written with 17 significant digits. The tests read the CSV; they never need R.
# Made with R 4.2.2 and survey 4.1.1 (the versions are printed when the script runs).
#
# Design: svydesign(ids = ~psu, strata = ~country, weights = ~weight, nest = TRUE); country's
# reference level is AA. The cases, for y in individual and collective:
#   keep_whole       design on all 496 rows; y ~ age + female + efficacy + country (svyglm
#                    drops the incomplete rows from the fit but keeps them in the design:
#                    domain semantics)
#   drop_whole       design built on the rows complete on y, age, female, efficacy, country;
#                    same model
#   keep_BB          full design, subset(design, country == "BB"); y ~ age + female + efficacy
#   drop_BB          complete-case design (y, age, female, efficacy), then country == "BB";
#                    y ~ age + female + efficacy
#   keep_whole_nofe  full design; y ~ age + female + efficacy (no country term)
# PSU BB-05 has no complete row: kept in the design it still counts in stratum BB's variance
# (with zero totals), dropped it does not, so keep and drop differ in their standard errors.
suppressMessages(library(survey))
source("tools/golden_terms.R")  # model_terms(): one row per coefficient
options(survey.lonely.psu = "fail")   # every stratum keeps >= 2 PSUs with complete rows
d <- read.csv("tests/data/golden/missing_survey.csv", stringsAsFactors = FALSE)
d$country <- factor(d$country, levels = c("AA", "BB", "CC"))

make_design <- function(data)
  svydesign(ids = ~psu, strata = ~country, weights = ~weight, nest = TRUE, data = data)

fit <- function(formula, design)
  svyglm(formula, design = design, family = quasibinomial(),
         control = glm.control(epsilon = 1e-14, maxit = 100))

out <- list()
add_model <- function(case, outcome, m) {
  r <- model_terms(m)
  out[[length(out) + 1]] <<- data.frame(case = case, outcome = outcome, term = r$term,
                                        variable = r$variable, level = r$level,
                                        estimate = r$estimate, std_error = r$std_error,
                                        df_resid = r$df, n = r$n)
}

full <- make_design(d)
for (y in c("individual", "collective")) {
  f_fe <- as.formula(paste(y, "~ age + female + efficacy + country"))
  f_nofe <- as.formula(paste(y, "~ age + female + efficacy"))
  cc_whole <- complete.cases(d[, c(y, "age", "female", "efficacy", "country")])
  cc_bb <- complete.cases(d[, c(y, "age", "female", "efficacy")])
  add_model("keep_whole", y, fit(f_fe, full))
  add_model("drop_whole", y, fit(f_fe, make_design(d[cc_whole, ])))
  add_model("keep_BB", y, fit(f_nofe, subset(full, country == "BB")))
  add_model("drop_BB", y, fit(f_nofe, subset(make_design(d[cc_bb, ]), country == "BB")))
  add_model("keep_whole_nofe", y, fit(f_nofe, full))
}
res <- do.call(rbind, out)
for (v in c("estimate", "std_error")) res[[v]] <- sprintf("%.17g", res[[v]])
write.csv(res, "tests/data/golden/incomplete_reference.csv", row.names = FALSE,
          quote = 1:5)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "rows written\n")
