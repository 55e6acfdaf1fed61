# Reference numbers for Rubin's rules over design-based logistic models fitted to multiply
# imputed data: mitools::MIcombine of svyglm fits. Run from the repository root:
#   Rscript tools/golden_mi.R
# Reads tests/data/golden/mi_survey.csv (made by tools/make_mi_survey.py: 5 completed datasets
# stacked, column `imp`) and writes
#   tests/data/golden/mi_reference.csv  model, term, estimate, std_error, df, missinfo, within,
#                                       between, df_complete: one row per model and coefficient
# Per imputation: svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE) and
# svyglm(y ~ age + female + efficacy + educ, family = quasibinomial(), control =
# glm.control(epsilon = 1e-14, maxit = 100)); educ a factor with levels low, mid, high. Models:
#   whole_inf  whole sample, MIcombine(fits) (df.complete = Inf: Rubin's classic df)
#   whole_br   whole sample, MIcombine(fits, df.complete = fits[[1]]$df.residual)
#              (Barnard-Rubin small-sample df, as mitools computes it)
#   domain_br  subset(design, region == "south") per imputation, df.complete = that fit's
#              df.residual (the same in every imputation; checked)
# estimate = coef(MIcombine result), std_error = sqrt(diag(vcov(result))), df = result$df,
# missinfo = result$missinfo, within = diag of the mean within-imputation covariance (vbar),
# between = diag of var() of the M coefficient vectors, df_complete = the df.complete passed.
# MIcombine.default (mitools 2.4), verbatim, with vbar = mean of the vcov()s, cbar = mean of the
# coef()s, m = number of imputations:
#   evar <- var(do.call("rbind", results))
#   r <- (1 + 1/m) * evar/vbar
#   df <- (m - 1) * (1 + 1/r)^2
#   if (is.matrix(df)) df <- diag(df)
#   if (is.finite(df.complete)) {
#     dfobs <- ((df.complete + 1)/(df.complete + 3)) * df.complete * vbar/(vbar + evar)
#     if (is.matrix(dfobs)) dfobs <- diag(dfobs)
#     df <- 1/(1/dfobs + 1/df)
#   }
#   if (is.matrix(r)) r <- diag(r)
#   variance = vbar + evar * (m + 1)/m;  missinfo = (r + 2/(df + 3))/(r + 1)
# The script recomputes every column from the M fits with these formulas and stops unless they
# agree with MIcombine's result (1e-12 relative).
# Numbers are written with 15 significant digits.
# Nothing is random: rerunning gives identical files. The tests read the CSV; they never need R.
# Made with R 4.2.2, survey 4.1.1 and mitools 2.4 (printed when the script runs; Debian:
# apt-get install r-cran-survey r-cran-mitools).
suppressMessages({library(survey); library(mitools)})
options(survey.lonely.psu = "fail")
GOLDEN <- "tests/data/golden"
M <- 5
long <- read.csv(file.path(GOLDEN, "mi_survey.csv"), stringsAsFactors = FALSE)
long$educ <- factor(long$educ, levels = c("low", "mid", "high"))
stopifnot(!anyNA(long), nrow(long) == 800 * M, identical(sort(unique(long$imp)), seq_len(M)))
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
ctrl_glm <- glm.control(epsilon = 1e-14, maxit = 100)
FORMULA <- y ~ age + female + efficacy + educ

# observed cells equal in every imputation, imputed cells not all equal
imps <- split(long, long$imp)
for (k in 2:M) {
  a <- imps[[1]]; b <- imps[[k]]
  same <- c("id", "stratum", "psu", "weight", "region", "age", "female", "y",
            "efficacy_missing", "educ_missing")
  stopifnot(all(vapply(same, function(v) all(a[[v]] == b[[v]]), TRUE)),
            all(a$efficacy[a$efficacy_missing == 0] == b$efficacy[b$efficacy_missing == 0]),
            all(a$educ[a$educ_missing == 0] == b$educ[b$educ_missing == 0]),
            any(a$efficacy[a$efficacy_missing == 1] != b$efficacy[b$efficacy_missing == 1]))
}

# ---- fits per imputation ----------------------------------------------------------------------
designs <- lapply(imps, function(d)
  svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d))
fits <- list(
  whole = lapply(designs, function(des) svyglm(FORMULA, des, family = quasibinomial(),
                                               control = ctrl_glm)),
  domain = lapply(designs, function(des) svyglm(FORMULA, subset(des, region == "south"),
                                                family = quasibinomial(), control = ctrl_glm)))
for (f in fits) {
  stopifnot(all(vapply(f, function(g) g$converged, TRUE)),
            length(unique(vapply(f, function(g) g$df.residual, 0))) == 1)
}

# ---- combinations -----------------------------------------------------------------------------
cases <- list(
  whole_inf = list(fits = fits$whole, dfc = Inf),
  whole_br = list(fits = fits$whole, dfc = fits$whole[[1]]$df.residual),
  domain_br = list(fits = fits$domain, dfc = fits$domain[[1]]$df.residual))
out <- list()
for (nm in names(cases)) {
  fl <- cases[[nm]]$fits
  dfc <- cases[[nm]]$dfc
  res <- if (is.finite(dfc)) MIcombine(fl, df.complete = dfc) else MIcombine(fl)
  est <- coef(res)
  V <- vcov(res)
  # recomputed from the fits: within (vbar), between (evar), and MIcombine's formulas
  vbar <- Reduce(`+`, lapply(fl, vcov)) / M
  evar <- var(do.call(rbind, lapply(fl, coef)))
  U <- diag(vbar); B <- diag(evar)
  r <- (1 + 1/M) * B / U
  df <- (M - 1) * (1 + 1/r)^2
  if (is.finite(dfc)) df <- 1 / (1 / ((dfc + 1) / (dfc + 3) * dfc * U / (U + B)) + 1 / df)
  rel <- function(a, b) max(abs(a / b - 1))
  stopifnot(rel(est, Reduce(`+`, lapply(fl, coef)) / M) < 1e-12,
            rel(diag(V), U + (1 + 1/M) * B) < 1e-12,
            max(abs(V - (vbar + (1 + 1/M) * evar))) < 1e-12 * max(abs(V)),
            rel(res$df, df) < 1e-12,
            rel(res$missinfo, (r + 2 / (df + 3)) / (r + 1)) < 1e-12,
            res$nimp == M, identical(names(est), names(coef(fl[[1]]))))
  out[[nm]] <- data.frame(model = nm, term = names(est), estimate = fmt(unname(est)),
                          std_error = fmt(unname(sqrt(diag(V)))), df = fmt(unname(res$df)),
                          missinfo = fmt(unname(res$missinfo)), within = fmt(unname(U)),
                          between = fmt(unname(B)), df_complete = fmt(dfc))
  # printed for the README: mitools' dfobs against Barnard & Rubin's (1999) textbook form
  # dfobs = (dfc + 1)/(dfc + 3) * dfc * (1 - gamma), gamma = (1 + 1/m) B / T, T = U + (1 + 1/m) B
  if (is.finite(dfc)) {
    Tt <- U + (1 + 1/M) * B
    df_cl <- (M - 1) * (1 + 1/r)^2
    df_bR <- 1 / (1 / ((dfc + 1) / (dfc + 3) * dfc * U / Tt) + 1 / df_cl)
    cat(sprintf("%-10s df.complete %g; df mitools %s; textbook Barnard-Rubin %s\n", nm, dfc,
                paste(sprintf("%.3f", res$df), collapse = " "),
                paste(sprintf("%.3f", df_bR), collapse = " ")))
  }
}
tab <- do.call(rbind, out)
write.csv(tab, file.path(GOLDEN, "mi_reference.csv"), row.names = FALSE, quote = 1:2)

# ---- printed for the README -------------------------------------------------------------------
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    "mitools", as.character(packageVersion("mitools")), ":", nrow(tab), "reference rows\n")
cat("degf: design", degf(designs[[1]]), "south", degf(subset(designs[[1]], region == "south")),
    "; df.residual whole", fits$whole[[1]]$df.residual, "south", fits$domain[[1]]$df.residual,
    "; n whole", nobs(fits$whole[[1]]), "south", nobs(fits$domain[[1]]), "\n")
cat("efficacy coefficient per imputation (whole):",
    sprintf("%.5f", vapply(fits$whole, function(g) coef(g)[["efficacy"]], 0)), "\n")
