# Reference numbers for the NHANES worked example (data/examples/nhanes.csv), from R's survey
# package. Run from the repository root:
#   Rscript tools/golden_nhanes.R
# Reads data/examples/nhanes.csv (written by tools/export_nhanes.R from data(nhanes) in the
# survey package: NHANES 2009-2010, 8,591 respondents) and writes
# tests/data/golden/nhanes_reference.csv: one row per case and coefficient (or prevalence),
# with columns case, outcome, term (R's coefficient name), variable ("Intercept" for
# "(Intercept)", the factor's name for a factor level), level (the factor level, "" for a
# numeric term), estimate, std_error, df_resid (R's model$df.residual; for a prevalence the
# design's degf over the respondents with HI_CHOL observed), n (respondents used) and, for a
# prevalence, conf_low and conf_high (svyciprop(method = "logit") on df_resid: the interval of
# descriptives/prevalence.csv, whose df counts the PSUs of the respondents answering, where
# svyciprop's default would count those of the whole domain; NA for a coefficient).
# Numbers are written with 17 significant digits. The tests read the CSV; they never need R.
# Made with R 4.2.2 and survey 4.1.1 (the versions are printed when the script runs).
#
# Design: svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE):
# 15 strata (75-89), 31 PSUs (two per stratum, three in stratum 86). No stratum has a single
# PSU, so survey.lonely.psu stays "fail" (it would stop the script if one had). Only HI_CHOL
# has missing values (745 of 8,591).
# Covariates: agecat, a factor with levels "(0,19]" (reference), "(19,39]", "(39,59]",
# "(59,Inf]"; sex = factor(RIAGENDR, 1:2, c("male", "female")), reference male; race, codes
# 1-4 labelled as ?nhanes documents them: 1 "Hispanic", 2 "non-Hispanic white",
# 3 "non-Hispanic black", 4 "other", reference "non-Hispanic white" (code 2).
# The cases (outcome HI_CHOL, svyglm with quasibinomial()):
#   pooled_keep       full design; HI_CHOL ~ agecat + sex + race (svyglm drops the rows
#                     without HI_CHOL from the fit and keeps them in the design)
#   pooled_keep_nofe  full design; HI_CHOL ~ agecat + sex
#   pooled_drop       design built on the rows complete on HI_CHOL, agecat, sex, race;
#                     HI_CHOL ~ agecat + sex + race
#   race_<code>_keep  full design, subset(design, race == <label>); HI_CHOL ~ agecat + sex
#   prevalence_all    svymean(~HI_CHOL, design, na.rm = TRUE)
#   prevalence_<code> svyby(~HI_CHOL, ~race, design, svymean, na.rm = TRUE), one row per race
#                     (term and variable "HI_CHOL", level the race label)
suppressMessages(library(survey))
source("tools/golden_terms.R")  # model_terms(): one row per coefficient
options(survey.lonely.psu = "fail")
d <- read.csv("data/examples/nhanes.csv", stringsAsFactors = FALSE)
d$agecat <- factor(d$agecat, levels = c("(0,19]", "(19,39]", "(39,59]", "(59,Inf]"))
stopifnot(!anyNA(d$agecat))
d$sex <- factor(d$RIAGENDR, levels = 1:2, labels = c("male", "female"))
race_labels <- c("Hispanic", "non-Hispanic white", "non-Hispanic black", "other")
d$race <- relevel(factor(d$race, levels = 1:4, labels = race_labels),
                  ref = "non-Hispanic white")
stopifnot(!anyNA(d$sex), !anyNA(d$race))

make_design <- function(data)
  svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = data)

fit <- function(formula, design)
  svyglm(formula, design = design, family = quasibinomial(),
         control = glm.control(epsilon = 1e-14, maxit = 100))

out <- list()
add <- function(case, term, variable, level, est, se, df, n, ci = c(NA, NA))
  out[[length(out) + 1]] <<- data.frame(case = case, outcome = "HI_CHOL", term = term,
                                        variable = variable, level = level, estimate = est,
                                        std_error = se, df_resid = df, n = n,
                                        conf_low = ci[[1]], conf_high = ci[[2]])
add_model <- function(case, m) {
  r <- model_terms(m)
  add(case, r$term, r$variable, r$level, r$estimate, r$std_error, r$df, r$n)
}

full <- make_design(d)
stopifnot(all(table(unique(d[, c("SDMVSTRA", "SDMVPSU")])$SDMVSTRA) >= 2))
complete <- complete.cases(d[, c("HI_CHOL", "agecat", "sex", "race")])
add_model("pooled_keep", fit(HI_CHOL ~ agecat + sex + race, full))
add_model("pooled_keep_nofe", fit(HI_CHOL ~ agecat + sex, full))
add_model("pooled_drop", fit(HI_CHOL ~ agecat + sex + race, make_design(d[complete, ])))
for (code in 1:4)
  add_model(sprintf("race_%d_keep", code),
            fit(HI_CHOL ~ agecat + sex, subset(full, race == race_labels[code])))

# prevalences: overall and by race (svyby), checked against svymean on the race subset
observed <- full[!is.na(full$variables$HI_CHOL), ]
p <- svymean(~HI_CHOL, full, na.rm = TRUE)
add("prevalence_all", "HI_CHOL", "HI_CHOL", "", coef(p)[[1]], SE(p)[[1]], degf(observed),
    sum(!is.na(d$HI_CHOL)), confint(svyciprop(~HI_CHOL, full, method = "logit", na.rm = TRUE,
                                              df = degf(observed))))
by_race <- svyby(~HI_CHOL, ~race, full, svymean, na.rm = TRUE)
for (code in 1:4) {
  lab <- race_labels[code]
  dom <- subset(observed, race == lab)
  check <- svymean(~HI_CHOL, subset(full, race == lab), na.rm = TRUE)
  stopifnot(abs(coef(by_race)[[lab]] - coef(check)[[1]]) < 1e-12,
            abs(SE(by_race)[by_race$race == lab] - SE(check)[[1]]) < 1e-12)
  add(sprintf("prevalence_%d", code), "HI_CHOL", "HI_CHOL", lab, coef(by_race)[[lab]],
      SE(by_race)[by_race$race == lab], degf(dom), sum(!is.na(d$HI_CHOL) & d$race == lab),
      confint(svyciprop(~HI_CHOL, subset(full, race == lab), method = "logit", na.rm = TRUE,
                        df = degf(dom))))
}

res <- do.call(rbind, out)
for (v in c("estimate", "std_error", "conf_low", "conf_high"))
  res[[v]] <- ifelse(is.na(res[[v]]), NA, sprintf("%.17g", res[[v]]))
write.csv(res, "tests/data/golden/nhanes_reference.csv", row.names = FALSE, quote = 1:5)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "rows written\n")
