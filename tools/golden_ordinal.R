# Reference numbers for proportional-odds (svyolr), quasi-Poisson and binary-cut logistic models,
# from R's survey package. Run from the repository root:
#   Rscript tools/golden_ordinal.R
# Reads tests/data/golden/ordinal_survey.csv (made by tools/make_ordinal_survey.py) and writes
#   tests/data/golden/ordinal_reference.csv  model, term, estimate, std_error, df: one row per
#                                            model and coefficient (svyolr: then the cut-points)
#   tests/data/golden/ordinal_tests.csv      model, test, F, df1, df2, p: regTermTest Wald tests
# Design: svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE); domain
# `south` = subset(design, region == "south"). svyolr: optim (BFGS) with control = list(reltol =
# 1e-14, maxit = 10000, ndeps = rep(1e-5, K)) (K = 8 = coefficients + cut-points; ndeps is the
# step of the finite-difference Hessian), started at the exact optimum (Newton on the analytic
# score; BFGS alone stops short, see below); svyglm: glm.control(epsilon = 1e-14, maxit = 100).
# olr_jk1 (JKn replicates): svyolr.svyrep.design's formula with every replicate fitted exactly;
# R's own svyolr result, whose replicate fits stop early, is kept as olr_jk1_rdefault.
# Numbers are written with 15 significant digits.
# Nothing is random: rerunning gives identical files. The tests read the CSVs; they never need R.
# Made with R 4.2.2, survey 4.1.1 and MASS 7.3-58 (printed when the script runs).
suppressMessages(library(survey))
source("tools/golden_terms.R")  # model_terms(): one row per svyglm coefficient
options(survey.lonely.psu = "fail")
GOLDEN <- "tests/data/golden"
FREQ_LEVELS <- c("never", "rarely", "sometimes", "often")
d <- read.csv(file.path(GOLDEN, "ordinal_survey.csv"), stringsAsFactors = FALSE)
d$freq <- factor(d$freq, levels = FREQ_LEVELS, ordered = TRUE)
d$educ <- factor(d$educ, levels = c("low", "mid", "high"))
stopifnot(!anyNA(d$freq), !anyNA(d$educ), nrow(d) == 1500)
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))

# ---- designs (global: model.frame.svyolr, used by regTermTest, evaluates the call's design) ----
design <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
south <- subset(design, region == "south")

# number of svyolr parameters: coefficients (model matrix without intercept) + cut-points
K <- ncol(model.matrix(~ age + female + efficacy + educ, d)) - 1 + length(FREQ_LEVELS) - 1
ctrl_olr <- list(reltol = 1e-14, maxit = 10000, ndeps = rep(1e-5, K))
ctrl_glm <- glm.control(epsilon = 1e-14, maxit = 100)

# ---- exact optimum of the weighted proportional-odds likelihood -------------------------------
# optim's BFGS (svyolr.survey.design2, and MASS::polr) stops when its line search can no longer
# lower the objective -sum(w log p), a sum of about 8e5 whose rounding noise is reached before
# the optimum: from R's own starting values it stops 3.5e-8 from the optimum in the age
# coefficient (2e-6 relative; age is not centred, so age and the cut-points are nearly collinear)
# whatever reltol is. So the optimum is first found by Newton's method on the analytic score, and
# svyolr is then started there (`start`, on its internal scale: coefficients, first cut-point,
# logs of the cut-point differences); it stays (checked below) and computes the standard errors.
olr_rows <- function(data) {
  cc <- complete.cases(data[, c("freq", "age", "female", "efficacy", "educ")])
  data <- data[cc, ]
  list(X = model.matrix(~ age + female + efficacy + educ, data)[, -1, drop = FALSE],
       y = as.integer(data$freq), cc = cc)
}
olr_score <- function(par, X, y, w) {   # d/d(beta, zeta) of sum w log P(Y = y)
  p <- ncol(X); q <- length(par) - p
  eta <- drop(X %*% par[seq_len(p)])
  g <- c(-Inf, par[p + seq_len(q)], Inf)
  z1 <- g[y + 1] - eta; z0 <- g[y] - eta
  pr <- plogis(z1) - plogis(z0)
  d1 <- dlogis(z1); d0 <- dlogis(z0)
  c(-colSums(X * (w * (d1 - d0) / pr)),
    vapply(seq_len(q), function(k) sum(w * ((y == k) * d1 - (y == k + 1) * d0) / pr), 0))
}
olr_polish <- function(par, X, y, w) {  # Newton steps, central-difference Jacobian of the score
  for (it in 1:50) {
    J <- sapply(seq_along(par), function(j) {
      h <- 1e-6 * max(1, abs(par[j])); e <- replace(0 * par, j, h)
      (olr_score(par + e, X, y, w) - olr_score(par - e, X, y, w)) / (2 * h)
    })
    step <- solve(J, olr_score(par, X, y, w))
    par <- par - step
    if (max(abs(step)) < 1e-13) break
  }
  stopifnot(it < 50, max(abs(olr_score(par, X, y, w))) < 1e-10 * sum(w))
  par
}
to_theta <- function(par, p) c(par[seq_len(p + 1)], log(diff(par[-seq_len(p)])))

fits <- list()
plain <- list()   # svyolr from its own starting values, for the printed comparison
exact <- list()
for (dom in c("full", "domain")) {
  des <- if (dom == "full") design else south
  dat <- if (dom == "full") d else d[d$region == "south", ]
  r <- olr_rows(dat)
  plain[[dom]] <- svyolr(freq ~ age + female + efficacy + educ, design = des,
                         control = ctrl_olr)
  stopifnot(plain[[dom]]$convergence == 0)
  exact[[dom]] <- olr_polish(coef(plain[[dom]]), r$X, r$y, dat$weight[r$cc])
}
start_full <- to_theta(exact$full, K - 3)
start_domain <- to_theta(exact$domain, K - 3)
fits$olr_full <- svyolr(freq ~ age + female + efficacy + educ, design = design,
                        start = start_full, control = ctrl_olr)
fits$olr_domain <- svyolr(freq ~ age + female + efficacy + educ, design = south,
                          start = start_domain, control = ctrl_olr)
stopifnot(max(abs(coef(fits$olr_full) - exact$full)) < 1e-9,
          max(abs(coef(fits$olr_domain) - exact$domain)) < 1e-9)
fits$pois_full <- svyglm(count ~ age + female + efficacy + educ, design = design,
                         family = quasipoisson(), control = ctrl_glm)
fits$pois_domain <- svyglm(count ~ age + female + efficacy + educ, design = south,
                           family = quasipoisson(), control = ctrl_glm)
fits$logit_full <- svyglm(I(as.integer(freq) >= 3) ~ age + female + efficacy + educ,
                          design = design, family = quasibinomial(), control = ctrl_glm)
fits$logit_often <- svyglm(I(as.integer(freq) == 4) ~ age + female + efficacy + educ,
                           design = design, family = quasibinomial(), control = ctrl_glm)
for (nm in names(fits)) {
  if (inherits(fits[[nm]], "svyolr")) stopifnot(fits[[nm]]$convergence == 0)
  else stopifnot(fits[[nm]]$converged)
}

# ---- replicate design: svyolr.svyrep.design ---------------------------------------------------
# as.svrepdesign(type = "JKn") (R refuses JK1 on a stratified design). svyolr.svyrep.design fits
# the full sample with MASS::polr(formula, data, ..., Hess = TRUE, weights = <sampling weights>),
# passing `...` on, and every replicate with polr(start = <full-sample estimates>, weights =
# <replicate column>) WITHOUT `...`, i.e. at optim's default reltol (1.5e-8), and then
# svrVar(t(betas), scale, rscales, mse, coef = <full-sample estimates>). Two problems:
# (1) with the raw weights (60..1345) polr's own starting values (a binomial glm.fit with those
# weights) fail ("attempt to find suitable starting values failed"); passing `start` (the exact
# optimum, in polr's scale: coefficients then cut-points) avoids that. (2) the replicate fits
# stop early (standard errors off by up to 0.8%). So `olr_jk1` is computed here: the same
# formula with every replicate's exact optimum (Newton from the full-sample optimum), and R's own
# result is kept as `olr_jk1_rdefault`. The script checks that the same code with polr's default
# replicate fits reproduces R's variance exactly.
repdes <- as.svrepdesign(design, type = "JKn")
ctrl_polr <- list(reltol = 1e-14, maxit = 10000)
rdefault <- svyolr(freq ~ age + female + efficacy + educ, design = repdes,
                   start = exact$full, control = ctrl_polr)
stopifnot(rdefault$convergence == 0)
rr <- olr_rows(d)
rw <- weights(repdes, "analysis")[rr$cc, ]
start_r <- coef(rdefault)   # the full-sample polr fit svyolr.svyrep.design used
reps_default <- apply(rw, 2, function(w) {  # as svyolr.svyrep.design does it
  m <- MASS::polr(freq ~ age + female + efficacy + educ, data = d[rr$cc, ], weights = w,
                  start = start_r, model = FALSE)
  c(m$coefficients, m$zeta)
})
v_default <- svrVar(t(reps_default), repdes$scale, repdes$rscales, mse = repdes$mse,
                    coef = start_r)
stopifnot(max(abs(v_default - vcov(rdefault))) == 0)
reps_exact <- apply(rw, 2, function(w) olr_polish(exact$full, rr$X, rr$y, w))
reps_tight <- apply(rw, 2, function(w) {    # polr with reltol 1e-14 (for the printed check)
  m <- MASS::polr(freq ~ age + female + efficacy + educ, data = d[rr$cc, ], weights = w,
                  start = exact$full, control = ctrl_polr, model = FALSE)
  stopifnot(m$convergence == 0)
  c(m$coefficients, m$zeta)
})
v_exact <- as.matrix(svrVar(t(reps_exact), repdes$scale, repdes$rscales, mse = repdes$mse,
                            coef = exact$full))
v_tight <- as.matrix(svrVar(t(reps_tight), repdes$scale, repdes$rscales, mse = repdes$mse,
                            coef = exact$full))
jk1_df <- degf(repdes) - length(rdefault$coefficients)
stopifnot(jk1_df == rdefault$df.residual)

# ---- reference rows ---------------------------------------------------------------------------
out <- list()
add <- function(model, term, est, se, df)
  out[[length(out) + 1]] <<- data.frame(model = model, term = term, estimate = fmt(est),
                                        std_error = fmt(se), df = df)
for (nm in names(fits)) {
  m <- fits[[nm]]
  if (inherits(m, "svyolr")) {
    est <- coef(m)                          # c(coefficients, zeta): R's order and names
    se <- sqrt(diag(vcov(m)))
    stopifnot(identical(names(est), rownames(vcov(m))))
    add(nm, names(est), unname(est), unname(se), m$df.residual)
  } else {
    r <- model_terms(m)                     # term = names(coef(m)), R's names
    add(nm, r$term, r$estimate, r$std_error, r$df)
  }
}
add("olr_jk1", names(exact$full), unname(exact$full), sqrt(diag(v_exact)), jk1_df)
add("olr_jk1_rdefault", names(coef(rdefault)), unname(coef(rdefault)),
    unname(sqrt(diag(vcov(rdefault)))), rdefault$df.residual)
res <- do.call(rbind, out)
write.csv(res, file.path(GOLDEN, "ordinal_reference.csv"), row.names = FALSE, quote = 1:2)

# ---- Wald tests -------------------------------------------------------------------------------
tests <- list(educ = ~educ, `age+efficacy` = ~age + efficacy)
tt <- list()
for (nm in c("olr_full", "olr_domain", "pois_full", "pois_domain", "logit_full"))
  for (tn in names(tests)) {
    r <- regTermTest(fits[[nm]], tests[[tn]], method = "Wald")
    tt[[length(tt) + 1]] <- data.frame(model = nm, test = tn, F = fmt(drop(r$Ftest)),
                                       df1 = r$df, df2 = r$ddf, p = fmt(drop(r$p)))
  }
tres <- do.call(rbind, tt)
write.csv(tres, file.path(GOLDEN, "ordinal_tests.csv"), row.names = FALSE, quote = 1:2)

# ---- checks printed for the README ------------------------------------------------------------
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    "MASS", as.character(packageVersion("MASS")), ":", nrow(res), "reference rows,",
    nrow(tres), "tests; K =", K, "\n")
cat("degf: design", degf(design), "south", degf(south), "JKn", degf(repdes), "\n")
for (nm in names(fits)) cat(sprintf("%-12s df %s  n %s\n", nm, fits[[nm]]$df.residual,
                                    if (inherits(fits[[nm]], "svyglm")) nobs(fits[[nm]])
                                    else nrow(model.frame(fits[[nm]]))))
reldiff <- function(a, b) max(abs(a / b - 1))
# (a) svyolr's point estimates = MASS::polr with the same weights (whole sample and south)
cc <- complete.cases(d[, c("freq", "age", "female", "efficacy", "educ")])
polr_w <- function(data) MASS::polr(freq ~ age + female + efficacy + educ, data = data,
                                    weights = weight, start = c(rep(0, K - 3), -1, 0, 1),
                                    control = list(reltol = 1e-14, maxit = 10000))
p_all <- polr_w(d)
p_south <- polr_w(d[d$region == "south", ])
stopifnot(p_all$convergence == 0, p_south$convergence == 0)
cat("max |svyolr - polr(weights = weight)|, both from their own starting values: whole",
    max(abs(coef(plain$full) - c(p_all$coefficients, p_all$zeta))), "south",
    max(abs(coef(plain$domain) - c(p_south$coefficients, p_south$zeta))), "\n")
cat("max |reference - exact optimum|: whole", max(abs(coef(fits$olr_full) - exact$full)),
    "south", max(abs(coef(fits$olr_domain) - exact$domain)), "; polr:",
    max(abs(c(p_all$coefficients, p_all$zeta) - exact$full)),
    max(abs(c(p_south$coefficients, p_south$zeta) - exact$domain)), "\n")
cat("svyolr from its own start vs the exact optimum: estimates",
    max(abs(coef(plain$full) - exact$full)), max(abs(coef(plain$domain) - exact$domain)),
    "; SE rel", reldiff(sqrt(diag(vcov(plain$full))), sqrt(diag(vcov(fits$olr_full)))),
    reldiff(sqrt(diag(vcov(plain$domain))), sqrt(diag(vcov(fits$olr_domain)))), "\n")
cat("max |svyolr(JKn) full-sample polr - exact optimum|:",
    max(abs(coef(rdefault) - exact$full)), "\n")
# (b) JKn replicates: R's own (optim defaults), polr at reltol 1e-14, exact
cat("olr_jk1 SE max rel diff: R's svyolr (replicates at optim defaults)",
    reldiff(sqrt(diag(vcov(rdefault))), sqrt(diag(v_exact))), "; polr reltol 1e-14",
    reldiff(sqrt(diag(v_tight)), sqrt(diag(v_exact))), "; replicate estimates: defaults",
    max(abs(reps_default - reps_exact)), "reltol 1e-14", max(abs(reps_tight - reps_exact)),
    "\n")
# (c) sensitivity of the svyolr SEs to the finite-difference step of the Hessian
for (h in c(1e-4, 1e-6)) {
  g <- svyolr(freq ~ age + female + efficacy + educ, design = design, start = start_full,
              control = list(reltol = 1e-14, maxit = 10000, ndeps = rep(h, K)))
  cat("olr_full ndeps", h, "vs 1e-5: SE max rel diff",
      reldiff(sqrt(diag(vcov(g))), sqrt(diag(vcov(fits$olr_full)))), "\n")
}
# (d) missing efficacy: svyolr (like svyglm) drops the incomplete rows from the design but keeps
# each stratum's PSU count; a design built on the complete rows only gives the same numbers here
# because no PSU loses all its respondents
dc <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d[cc, ])
g <- svyolr(freq ~ age + female + efficacy + educ, design = dc, start = start_full,
            control = ctrl_olr)
cat("rows in the fit", sum(cc), "of", nrow(d), "; keep vs drop: estimate diff",
    max(abs(coef(g) - coef(fits$olr_full))), "SE rel diff",
    reldiff(sqrt(diag(vcov(g))), sqrt(diag(vcov(fits$olr_full)))), "df", g$df.residual,
    "vs", fits$olr_full$df.residual, "\n")
