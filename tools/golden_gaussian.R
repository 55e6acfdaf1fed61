# Reference numbers for the gaussian (linear) design-based GLM and for regTermTest's df option,
# from R's survey package. Run from the repository root:
#   Rscript tools/golden_gaussian.R
# Reads tests/data/golden/fpc_survey.csv (Taylor designs: strata, clusters, fpc, two stages) and
# replicate_survey.csv + replicate_weights.csv (JK1 and BRR designs, rebuilt from the columns as
# tools/golden_replicate.R does) and writes
#   tests/data/golden/gaussian_reference.csv     svyglm coefficients: one row per case and term
#   tests/data/golden/regtermtest_reference.csv  regTermTest(model, ~terms, df = NULL / Inf / 10)
#   tests/data/golden/summary_reference.csv      summary(model)'s coefficient table (R's term
#                                                names), confint(model) at 95% and 90%, the
#                                                95% interval with R's qt (conf_*_exact), the
#                                                dispersion; also an svyolr (confint.default) and
#                                                a model with I(), an interaction of factors
#                                                and a factor x numeric interaction (R's names)
#   tests/data/golden/summary_print.txt          summary(model) printed, from "Coefficients:"
#                                                to the dispersion line, one block per model
# svyglm uses gaussian() (R's default family) or quasibinomial(), with glm.control(epsilon =
# 1e-14, maxit = 100); survey.lonely.psu = "fail" (no stratum has a single PSU), survey.
# ultimate.cluster = FALSE (R's default). Numbers are written with 17 significant digits;
# nothing is random. The tests read the CSVs; they never need R. Made with R 4.2.2 and survey
# 4.1.1 (printed when the script runs).
suppressMessages(library(survey))
source("tools/golden_terms.R")  # model_terms(): one row per coefficient
options(survey.ultimate.cluster = FALSE)
options(survey.lonely.psu = "fail")
GOLDEN <- "tests/data/golden"
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

coefs <- list()
tests <- list()
summ <- list()
prints <- character()
# summary(m)'s table, confint(m) (confint.svyglm: Wald, t on df.residual) at two levels and the
# dispersion, one row per coefficient under R's own name; and the printed coefficient block
summarise <- function(case, design, domain, family, model, m) {
  tab <- coef(summary(m))
  ci <- confint(m)
  ci90 <- confint(m, level = 0.9)
  disp <- if (inherits(m, "svyolr")) NA else summary(m)$dispersion
  # the exact interval confint means: confint.svyglm goes through qnorm(pnorm(qt(...))), which
  # loses digits for a small df and, with df = 1 at 95%, gives -Inf/Inf (1 - 2 * pnorm(qt(.025,
  # 1)) rounds to 1); confint.default (svyolr) is this with qnorm
  q <- if (inherits(m, "svyolr")) qnorm(0.975) else qt(0.975, m$df.residual)
  summ[[length(summ) + 1]] <<- data.frame(
    case = case, design = design, domain = domain, family = family, model = model,
    term = rownames(tab), estimate = fmt(tab[, 1]), std_error = fmt(tab[, 2]),
    statistic = fmt(tab[, 3]), p_value = fmt(if (ncol(tab) > 3) tab[, 4] else NA),
    conf_low = fmt(ci[, 1]), conf_high = fmt(ci[, 2]), conf_low_90 = fmt(ci90[, 1]),
    conf_high_90 = fmt(ci90[, 2]), conf_low_exact = fmt(tab[, 1] - q * tab[, 2]),
    conf_high_exact = fmt(tab[, 1] + q * tab[, 2]), dispersion = fmt(unname(c(disp))),
    df = m$df.residual)
  if (!inherits(m, "svyolr")) {
    out <- capture.output(print(summary(m)))
    from <- grep("^Coefficients:", out)
    to <- grep("^\\(Dispersion parameter", out)
    prints <<- c(prints, paste("##", case, family), out[from:to])
  }
}
# svyglm fitted twice, as the comment below says; the second fit is returned
fit_twice <- function(case, des, family, formula) {
  fam <- if (family == "gaussian") gaussian() else quasibinomial()
  rep <- inherits(des, "svyrep.design")
  # the family and control objects go into the call: svyglm on a replicate design evaluates
  # its glm call among the data's columns, where a local variable is not found
  # Fitted twice, the second time from the first fit's estimate: glm's covariance (the bread
  # of the sandwich, from the QR of its last weighted least-squares step) is evaluated at the
  # estimate *before* its last step, which for a logit stopped at epsilon = 1e-14 is up to
  # ~1e-9 (relative) away in a SE, and up to ~2e-8 in a p-value of 1e-10; started at its own
  # estimate, the one step is ~1e-15 and the bread is the converged one's. A gaussian fit is
  # the same either way (its bread does not depend on the estimate).
  fitted <- NULL
  for (pass in 1:2) {
    start <- if (is.null(fitted)) NULL else coef(fitted)
    m <- if (rep) eval(bquote(svyglm(.(formula), design = des, family = .(fam), control = .(ctrl),
                                     start = .(start))))
         else svyglm(formula, design = des, family = fam, control = ctrl, deff = TRUE,
                     start = start)
    if (!m$converged) stop("not converged: ", case)
    if (pass == 2) stopifnot(max(abs(coef(m) - coef(fitted))) < 1e-12 * max(1, abs(coef(m))))
    fitted <- m
  }
  m
}
fit <- function(case, design, domain, des, family, formula, test_terms) {
  rep <- inherits(des, "svyrep.design")
  m <- fit_twice(case, des, family, formula)
  summarise(case, design, domain, family, deparse(formula), m)
  mt <- model_terms(m)
  mt$deff <- if (rep) NA else unname(diag(attr(m, "deff")))
  # a gaussian svyglm is weighted least squares: the same coefficients as lm()
  if (family == "gaussian") {
    v <- des$variables
    v$.w <- weights(des, "sampling")
    l <- lm(formula, data = v, weights = .w)
    stopifnot(max(abs(coef(l) - coef(m))) < 1e-10 * max(1, abs(coef(m))))
  }
  model <- deparse(formula)
  coefs[[length(coefs) + 1]] <<- data.frame(
    case = case, design = design, domain = domain, family = family, model = model,
    term = mt$term, variable = mt$variable, level = mt$level, estimate = fmt(mt$estimate),
    std_error = fmt(mt$std_error), df = mt$df, deff = fmt(mt$deff), n = mt$n)
  for (tt in test_terms) {
    for (df in list(NULL, Inf, 10)) {
      r <- regTermTest(m, as.formula(paste("~", tt)), df = df)
      chi_form <- is.null(r$Ftest)   # df = Inf: R returns chisq (not divided by k) and no ddf
      stopifnot(chi_form == identical(df, Inf))
      tests[[length(tests) + 1]] <<- data.frame(
        case = case, design = design, domain = domain, family = family, model = model,
        test = tt, df_arg = if (is.null(df)) "NULL" else format(df),
        statistic = fmt(if (chi_form) r$chisq else r$Ftest), df_num = r$df,
        df_den = if (chi_form) "Inf" else format(r$ddf), p_value = fmt(r$p))
    }
  }
}

# ---- a. Taylor designs (fpc_survey.csv) ---------------------------------------------------------
d <- read.csv(file.path(GOLDEN, "fpc_survey.csv"), stringsAsFactors = FALSE)
d$eff <- factor(d$efficacy, levels = 0:3)   # 4 levels: a 3-df term
taylor <- list(
  clus_fpc = svydesign(ids = ~psu, strata = ~stratum, fpc = ~N1, weights = ~weight,
                       nest = TRUE, data = d),
  two_stage = svydesign(ids = ~psu + ssu, strata = ~stratum, fpc = ~N1 + M2,
                        weights = ~weight, nest = TRUE, data = d))
for (design in names(taylor)) {
  for (domain in c("all", "north")) {
    des <- if (domain == "all") taylor[[design]] else subset(taylor[[design]], region == "north")
    case <- paste(design, domain, sep = "_")
    fit(case, design, domain, des, "gaussian", age ~ female + eff + y, c("eff", "female + y"))
    fit(case, design, domain, des, "logit", y ~ age + female + eff, c("eff", "age + female"))
  }
}

# ---- b. replicate designs (replicate_survey.csv + replicate_weights.csv) -----------------------
r <- read.csv(file.path(GOLDEN, "replicate_survey.csv"), stringsAsFactors = FALSE)
r$country <- factor(r$country, levels = c("AA", "BB", "CC"))
rw <- read.csv(file.path(GOLDEN, "replicate_weights.csv"))
dd <- merge(r, rw, by = "id", sort = FALSE)
stopifnot(identical(dd$id, r$id))
scales <- read.csv(file.path(GOLDEN, "replicate_scales.csv"))
jk1 <- scales$scale[scales$type == "JK1"][1]   # (n - 1)/n, R's default (given: no warning)
replicate <- list(
  JK1 = svrepdesign(data = dd, repweights = "^jk1_", weights = ~weight, type = "JK1",
                    combined.weights = TRUE, scale = jk1, mse = FALSE),
  BRR = svrepdesign(data = dd, repweights = "^brr_", weights = ~weight, type = "BRR",
                    combined.weights = TRUE, mse = FALSE))
for (design in names(replicate)) {
  for (domain in c("all", "BB")) {
    des <- if (domain == "all") replicate[[design]] else subset(replicate[[design]], country == "BB")
    case <- paste(design, domain, sep = "_")
    if (domain == "all") {
      fit(case, design, domain, des, "gaussian", age ~ female + efficacy + individual + country,
          c("country", "female + efficacy"))
      fit(case, design, domain, des, "logit", individual ~ age + female + efficacy + country,
          c("country", "female + efficacy"))
    } else {
      fit(case, design, domain, des, "gaussian", age ~ female + efficacy + individual,
          c("female + efficacy"))
      fit(case, design, domain, des, "logit", individual ~ age + female + efficacy,
          c("female + efficacy"))
    }
  }
}

# ---- c. R's names: I(), an interaction of factors, a factor x numeric one; an svyolr ---------
des <- taylor[["clus_fpc"]]
f_names <- y ~ age + I(age^2) + region * eff + female:age
m <- fit_twice("names", des, "logit", f_names)
summarise("names_all", "clus_fpc", "all", "logit", deparse(f_names), m)
# svyolr: R's confint is confint.default (normal quantiles: svyolr has no confint method)
d$effo <- factor(d$efficacy, levels = 0:3, ordered = TRUE)
des_o <- svydesign(ids = ~psu, strata = ~stratum, fpc = ~N1, weights = ~weight, nest = TRUE,
                   data = d)
o <- svyolr(effo ~ female + region, design = des_o)
stopifnot(inherits(o, "svyolr"), is.null(getS3method("confint", "svyolr", optional = TRUE)))
summarise("olr_all", "clus_fpc", "all", "ordinal", "effo ~ female + region", o)

co <- do.call(rbind, coefs)
te <- do.call(rbind, tests)
su <- do.call(rbind, summ)
write.csv(co, file.path(GOLDEN, "gaussian_reference.csv"), row.names = FALSE)
write.csv(te, file.path(GOLDEN, "regtermtest_reference.csv"), row.names = FALSE)
write.csv(su, file.path(GOLDEN, "summary_reference.csv"), row.names = FALSE)
writeLines(prints, file.path(GOLDEN, "summary_print.txt"))
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(co), "coefficients,", nrow(te), "tests written\n")
