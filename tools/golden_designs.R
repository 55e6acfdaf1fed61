# Reference numbers for coprod's complete designs (fpc, two stages, lonely PSU "average",
# design effects), from R's survey package. Run from the repository root:
#   Rscript tools/golden_designs.R
# Reads tests/data/golden/fpc_survey.csv (made by tools/make_design_survey.py) and writes
# tests/data/golden/designs_reference.csv: one row per case, statistic and term with the
# estimate, its standard error, the degrees of freedom, the design effect and (for
# proportions) svyciprop's logit interval. The tests read the CSV; they never need R.
suppressMessages(library(survey))
options(survey.ultimate.cluster = FALSE)   # R's default: the two-stage variance
d <- read.csv("tests/data/golden/fpc_survey.csv", stringsAsFactors = FALSE)

designs <- list(
  strat_fpc      = list(lonely = "fail",
                        make = function() svydesign(ids = ~1, strata = ~stratum, fpc = ~N0,
                                                    weights = ~weight, data = d)),
  clus_fpc       = list(lonely = "fail",
                        make = function() svydesign(ids = ~psu, strata = ~stratum, fpc = ~N1,
                                                    weights = ~weight, nest = TRUE, data = d)),
  clus_fpc_frac  = list(lonely = "fail",
                        make = function() svydesign(ids = ~psu, strata = ~stratum, fpc = ~f1,
                                                    weights = ~weight, nest = TRUE, data = d)),
  two_stage      = list(lonely = "fail",
                        make = function() svydesign(ids = ~psu + ssu, strata = ~stratum,
                                                    fpc = ~N1 + M2, weights = ~weight,
                                                    nest = TRUE, data = d)),
  two_stage_frac = list(lonely = "fail",
                        make = function() svydesign(ids = ~psu + ssu, strata = ~stratum,
                                                    fpc = ~f1 + f2, weights = ~weight,
                                                    nest = TRUE, data = d)),
  two_stage_noweights = list(lonely = "fail",
                        make = function() svydesign(ids = ~psu + ssu, strata = ~stratum,
                                                    fpc = ~N1 + M2, nest = TRUE, data = d)),
  two_stage_lonely_ssu = list(lonely = "adjust",
                        make = function() svydesign(ids = ~psu + ssu_l, strata = ~stratum,
                                                    fpc = ~N1 + M2, weights = ~weight,
                                                    nest = TRUE, data = d)),
  lonely_average = list(lonely = "average",
                        make = function() svydesign(ids = ~psu_l, strata = ~stratum,
                                                    weights = ~weight, nest = TRUE, data = d)),
  lonely_average_fpc = list(lonely = "average",
                        make = function() svydesign(ids = ~psu_l, strata = ~stratum, fpc = ~N1,
                                                    weights = ~weight, nest = TRUE, data = d)),
  lonely_adjust  = list(lonely = "adjust",
                        make = function() svydesign(ids = ~psu_l, strata = ~stratum,
                                                    weights = ~weight, nest = TRUE, data = d)),
  no_fpc         = list(lonely = "fail",
                        make = function() svydesign(ids = ~psu, strata = ~stratum,
                                                    weights = ~weight, nest = TRUE, data = d))
)

out <- list()
add <- function(case, domain, statistic, term, est, se, df, deff, lo = NA, hi = NA) {
  out[[length(out) + 1]] <<- data.frame(case = case, domain = domain, statistic = statistic,
                                        term = term, estimate = est, std_error = se, df = df,
                                        deff = deff, conf_low = lo, conf_high = hi)
}

for (case in names(designs)) {
  options(survey.lonely.psu = designs[[case]]$lonely)
  full <- designs[[case]]$make()
  for (domain in c("all", "north")) {
    des <- if (domain == "all") full else subset(full, region == "north")
    # model: missing values dropped by svyglm (their rows leave the design as in R)
    m <- svyglm(y ~ age + female + efficacy, design = des, family = quasibinomial(),
                deff = TRUE, control = glm.control(epsilon = 1e-14, maxit = 100))
    se <- sqrt(diag(vcov(m)))
    dm <- diag(attr(m, "deff"))
    for (t in names(coef(m)))
      add(case, domain, "model", t, coef(m)[[t]], se[[t]], m$df.residual, dm[[t]])
    # means with missing values (na.rm), both deff definitions
    for (v in c("age", "efficacy", "y")) {
      s <- svymean(as.formula(paste0("~", v)), des, na.rm = TRUE, deff = TRUE)
      r <- svymean(as.formula(paste0("~", v)), des, na.rm = TRUE, deff = "replace")
      keep <- des[!is.na(des$variables[[v]]), ]
      add(case, domain, "mean", v, coef(s)[[1]], SE(s)[[1]], degf(keep),
          deff(s)[[1]])
      add(case, domain, "mean_deff_replace", v, coef(r)[[1]], SE(r)[[1]], degf(keep),
          deff(r)[[1]])
    }
    # proportion with svyciprop's logit interval
    keep <- des[!is.na(des$variables$y), ]
    ci <- svyciprop(~y, keep, method = "logit", level = 0.95)
    add(case, domain, "proportion", "y", coef(ci)[[1]], SE(ci)[[1]], degf(keep), NA,
        attr(ci, "ci")[[1]], attr(ci, "ci")[[2]])
  }
}
res <- do.call(rbind, out)
write.csv(res, "tests/data/golden/designs_reference.csv", row.names = FALSE)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "rows written\n")
