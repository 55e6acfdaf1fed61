# Reference numbers for worked example 3 (config/examples/api): R's svyglm on the jackknife
# replicate design of the California schools, read from the files the example reads.
# Run from the repository root:
#   Rscript tools/golden_api.R
# Reads data/examples/apistrat_jkn.csv and data/examples/apistrat_rscales.csv (written by
# tools/export_api.R) and writes tests/data/golden/api_reference.csv: one row per case and
# coefficient (or prevalence), columns as tests/data/golden/nhanes_reference.csv (case,
# outcome, term, variable, level, estimate, std_error, df_resid, n, conf_low, conf_high: a
# prevalence's svyciprop(method = "logit") interval, NA for a coefficient), numbers with 17
# significant digits. The tests read the CSV; they never need R.
# Made with R 4.2.2 and survey 4.1.1 (the versions are printed when the script runs).
#
# Design: svrepdesign(repweights = "repw_[0-9]+", weights = ~pw, type = "JKn", scale = 1,
# rscales = <the file>, combined.weights = TRUE, mse = FALSE) -- built from the files alone, and
# checked to give the same standard errors as as.svrepdesign(dstrat, type = "JKn") on
# data(api) directly. The outcome is the example's cut of a number: api_target = api00 >= 700.
# Covariates: meals, ell (numbers), awards (factor, reference "not eligible"); the groups are
# stype (E, M, H; reference E).
# The cases (svyglm with quasibinomial()):
#   pooled           api_target ~ meals + ell + awards + stype
#   stype_<E|M|H>    subset(design, stype == <E|M|H>); api_target ~ meals + ell + awards
#   prevalence_all   svymean(~api_target, design); df: degf(design)
#   prevalence_<s>   svymean(~api_target, subset(design, stype == <s>)); df: degf of it
suppressMessages(library(survey))
source("tools/golden_terms.R")  # model_terms(): one row per coefficient
d <- read.csv("data/examples/apistrat_jkn.csv", stringsAsFactors = FALSE)
rscales <- read.csv("data/examples/apistrat_rscales.csv")$rscales
d$api_target <- as.numeric(d$api00 >= 700)
d$awards <- factor(ifelse(d$awards == "Yes", "eligible", "not eligible"),
                   levels = c("not eligible", "eligible"))
d$stype <- factor(d$stype, levels = c("E", "M", "H"))
rep <- svrepdesign(data = d, repweights = "repw_[0-9]+", weights = ~pw, type = "JKn",
                   scale = 1, rscales = rscales, combined.weights = TRUE, mse = FALSE)

# the files are R's own JKn design: the same standard errors as as.svrepdesign on data(api)
data(api)
direct <- as.svrepdesign(svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc,
                                   data = apistrat), type = "JKn")
stopifnot(abs(SE(svymean(~api00, rep)) - SE(svymean(~api00, direct))) < 1e-9)

fit <- function(formula, design)
  svyglm(formula, design = design, family = quasibinomial(),
         control = glm.control(epsilon = 1e-14, maxit = 100))

out <- list()
add <- function(case, term, variable, level, est, se, df, n, ci = c(NA, NA))
  out[[length(out) + 1]] <<- data.frame(case = case, outcome = "api_target", term = term,
                                        variable = variable, level = level, estimate = est,
                                        std_error = se, df_resid = df, n = n,
                                        conf_low = ci[[1]], conf_high = ci[[2]])
add_model <- function(case, m) {
  r <- model_terms(m)
  add(case, r$term, r$variable, r$level, r$estimate, r$std_error, r$df, r$n)
}
add_model("pooled", fit(api_target ~ meals + ell + awards + stype, rep))
for (s in c("E", "M", "H"))
  add_model(paste0("stype_", s), fit(api_target ~ meals + ell + awards,
                                     subset(rep, stype == s)))
p <- svymean(~api_target, rep)
add("prevalence_all", "api_target", "api_target", "", coef(p)[[1]], SE(p)[[1]], degf(rep),
    nrow(d), confint(svyciprop(~api_target, rep, method = "logit")))
for (s in c("E", "M", "H")) {
  dom <- subset(rep, stype == s)
  p <- svymean(~api_target, dom)
  add(paste0("prevalence_", s), "api_target", "api_target", s, coef(p)[[1]], SE(p)[[1]],
      degf(dom), sum(d$stype == s), confint(svyciprop(~api_target, dom, method = "logit")))
}

res <- do.call(rbind, out)
for (v in c("estimate", "std_error", "conf_low", "conf_high"))
  res[[v]] <- ifelse(is.na(res[[v]]), NA, sprintf("%.17g", res[[v]]))
write.csv(res, "tests/data/golden/api_reference.csv", row.names = FALSE, quote = 1:5)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "rows written\n")
