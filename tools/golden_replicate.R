# Reference numbers for replicate-weight designs and calibrated weights, from R's survey package.
# Run from the repository root:
#   Rscript tools/golden_replicate.R
# Reads tests/data/golden/replicate_survey.csv (made by tools/make_replicate_survey.py) and writes
#   tests/data/golden/replicate_weights.csv    id + the replicate weights R builds, as combined
#                                              (analysis) weights: jk1_*, jkn_*, boot_*, brr_*, fay_*
#   tests/data/golden/replicate_scales.csv     per replicate type: scale, rscales, rho, degf
#   tests/data/golden/calibration_totals.csv   the population totals used for calibration
#   tests/data/golden/calibrated_weights.csv   id + calibrated weights (linearisation and JK1)
#   tests/data/golden/replicate_reference.csv  estimates, standard errors, df and n: one row per
#                                              case and term
# The replicate designs are converted with as.svrepdesign(compress = FALSE), their analysis
# weights written out, read back and the designs rebuilt from those columns with
# svrepdesign(combined.weights = TRUE, scale, rscales, mse), as the Python code will do; the
# script stops unless the rebuilt designs give the same estimates and standard errors (1e-10).
# All reference numbers come from the rebuilt designs. svyglm uses quasibinomial() and
# glm.control(epsilon = 1e-14, maxit = 100); calibration uses epsilon = 1e-12 (rake: relative
# 1e-12), maxit = 100. Numbers are written with 17 significant digits. The bootstrap replicates
# are drawn after set.seed(2026): rerunning gives identical files. The tests read the CSVs;
# they never need R. Made with R 4.2.2 and survey 4.1.1 (printed when the script runs).
suppressMessages(library(survey))
source("tools/golden_terms.R")  # model_terms(): one row per coefficient
options(survey.lonely.psu = "fail")
GOLDEN <- "tests/data/golden"
d <- read.csv(file.path(GOLDEN, "replicate_survey.csv"), stringsAsFactors = FALSE)
d$country <- factor(d$country, levels = c("AA", "BB", "CC"))
d$agegrp <- factor(d$agegrp, levels = c("18-34", "35-54", "55+"))
d$sex <- factor(d$sex, levels = c("man", "woman"))
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
fmt <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))

# ---- a. replicate designs from the linearisation designs ----------------------------------
lin <- svydesign(ids = ~psu, strata = ~country, weights = ~weight, nest = TRUE, data = d)
unstrat <- svydesign(ids = ~psu, weights = ~weight, data = d)   # JK1 refuses strata
halves <- svydesign(ids = ~vpsu, strata = ~vstratum, weights = ~weight, nest = TRUE, data = d)
conv <- list()
conv$JK1 <- as.svrepdesign(unstrat, type = "JK1", compress = FALSE)
conv$JKn <- as.svrepdesign(lin, type = "JKn", compress = FALSE)
set.seed(2026)
conv$bootstrap <- as.svrepdesign(lin, type = "bootstrap", replicates = 50, compress = FALSE)
conv$BRR <- as.svrepdesign(halves, type = "BRR", compress = FALSE)
conv$Fay <- as.svrepdesign(halves, type = "Fay", fay.rho = 0.5, compress = FALSE)
prefix <- c(JK1 = "jk1_", JKn = "jkn_", bootstrap = "boot_", BRR = "brr_", Fay = "fay_")

rw <- data.frame(id = d$id)
for (t in names(conv)) {
  W <- unclass(weights(conv[[t]], "analysis"))  # full-sample weight x replicate factor
  stopifnot(!conv[[t]]$combined.weights, all(is.finite(W)), nrow(W) == nrow(d))
  colnames(W) <- paste0(prefix[[t]], seq_len(ncol(W)))
  rw <- cbind(rw, W)
}
out_rw <- rw
for (v in names(out_rw)[-1]) out_rw[[v]] <- fmt(out_rw[[v]])
write.csv(out_rw, file.path(GOLDEN, "replicate_weights.csv"), row.names = FALSE, quote = FALSE)

# read the columns back (as Python will) and rebuild every design from them
back <- read.csv(file.path(GOLDEN, "replicate_weights.csv"))
stopifnot(identical(back$id, d$id), identical(names(back), names(rw)),
          all(as.matrix(back[, -1]) == as.matrix(rw[, -1])))   # %.17g round-trips exactly
dd <- cbind(d, back[, -1])

rebuild <- function(type, mse) {
  switch(type,
    JK1 = svrepdesign(data = dd, repweights = "^jk1_", weights = ~weight, type = "JK1",
                      combined.weights = TRUE, scale = conv$JK1$scale,
                      rscales = conv$JK1$rscales, mse = mse),
    JKn = svrepdesign(data = dd, repweights = "^jkn_", weights = ~weight, type = "JKn",
                      combined.weights = TRUE, scale = conv$JKn$scale,
                      rscales = conv$JKn$rscales, mse = mse),
    bootstrap = svrepdesign(data = dd, repweights = "^boot_", weights = ~weight,
                            type = "bootstrap", combined.weights = TRUE,
                            scale = conv$bootstrap$scale, rscales = conv$bootstrap$rscales,
                            mse = mse),
    BRR = svrepdesign(data = dd, repweights = "^brr_", weights = ~weight, type = "BRR",
                      combined.weights = TRUE, mse = mse),
    Fay = svrepdesign(data = dd, repweights = "^fay_", weights = ~weight, type = "Fay",
                      rho = 0.5, combined.weights = TRUE, mse = mse),
    `successive-difference` = svrepdesign(data = dd, repweights = "^boot_", weights = ~weight,
                                          type = "successive-difference",
                                          combined.weights = TRUE, mse = mse),
    other = svrepdesign(data = dd, repweights = "^boot_", weights = ~weight, type = "other",
                        combined.weights = TRUE, scale = 0.7, rscales = rep(1.1, 50),
                        mse = mse))
}
types <- c("JK1", "JKn", "bootstrap", "BRR", "Fay", "successive-difference", "other")
col_prefix <- c(prefix, `successive-difference` = "boot_", other = "boot_")

fit <- function(formula, design)   # a calibrated domain keeps its other rows at weight 0
  withCallingHandlers(
    svyglm(formula, design = design, family = quasibinomial(), control = ctrl),
    warning = function(w) if (grepl("zero weight not used", conditionMessage(w)))
      invokeRestart("muffleWarning"))
f_whole <- individual ~ age + female + efficacy + country
f_bb <- individual ~ age + female + efficacy

# round trip: the rebuilt designs equal R's own replicate designs
close <- function(a, b, tol = 1e-10) all(abs(a - b) <= tol * pmax(1, abs(b)))
for (t in names(conv)) for (mse in c(FALSE, TRUE)) {
  orig <- conv[[t]]; orig$mse <- mse
  new <- rebuild(t, mse)
  stopifnot(close(new$scale, orig$scale, 1e-15), close(new$rscales, orig$rscales, 1e-15),
            degf(new) == degf(orig))
  for (dom in c("whole", "BB")) {
    a <- if (dom == "whole") orig else subset(orig, country == "BB")
    b <- if (dom == "whole") new else subset(new, country == "BB")
    ma <- fit(if (dom == "whole") f_whole else f_bb, a)
    mb <- fit(if (dom == "whole") f_whole else f_bb, b)
    stopifnot(close(coef(mb), coef(ma)), close(SE(mb), SE(ma)),
              mb$df.residual == ma$df.residual, degf(a) == degf(b))
    for (v in c("age", "individual")) {
      sa <- svymean(as.formula(paste0("~", v)), a, na.rm = TRUE)
      sb <- svymean(as.formula(paste0("~", v)), b, na.rm = TRUE)
      stopifnot(close(coef(sb), coef(sa)), close(SE(sb), SE(sa)))
    }
  }
}
cat("round trip: designs rebuilt from replicate_weights.csv match as.svrepdesign (1e-10)\n")

# scales, rscales, rho and degf per type (of the rebuilt designs)
sc <- list()
for (t in types) {
  des <- rebuild(t, FALSE)
  R <- ncol(des$repweights)
  sc[[t]] <- data.frame(type = t, columns = col_prefix[[t]], replicates = R,
                        scale = fmt(des$scale),
                        rho = if (is.null(des$rho)) "" else fmt(des$rho),
                        degf = degf(des), degf_BB = degf(subset(des, country == "BB")),
                        rscale_index = seq_len(R), rscale = fmt(rep_len(des$rscales, R)))
}
scales <- do.call(rbind, sc)
write.csv(scales, file.path(GOLDEN, "replicate_scales.csv"), row.names = FALSE, quote = 1:2)

# ---- estimators ------------------------------------------------------------------------------
out <- list()
add_row <- function(case, type, mse, estimator, outcome, term, variable, level, est, se, df, n)
  out[[length(out) + 1]] <<- data.frame(case = case, type = type, mse = mse,
                                        estimator = estimator, outcome = outcome, term = term,
                                        variable = variable, level = level, estimate = est,
                                        std_error = se, df = df, n = n)
add_model <- function(case, type, mse, m) {
  r <- model_terms(m)
  add_row(case, type, mse, "model", "individual", r$term, r$variable, r$level, r$estimate,
          r$std_error, r$df, r$n)
}
# R's degf of a replicate design is qr(analysis weights, tol = 1e-5)$rank - 1; check that the
# rank is clear-cut (singular values relative to the largest: all kept ones > 1e-5, the rest
# < 1e-12), so an SVD rank with a relative tolerance of 1e-5 gives the same df
degf_checked <- function(des) {
  if (inherits(des, "svyrep.design")) {
    W <- weights(des, "analysis")
    s <- svd(W)$d / svd(W)$d[1]
    r <- qr(W, tol = 1e-5)$rank
    stopifnot(sum(s > 1e-5) == r, all(s[-seq_len(r)] < 1e-12), degf(des) == r - 1)
  }
  degf(des)
}
# all estimators on one design, whole and in the BB domain
add_design <- function(stem, type, mse, design) {
  for (dom in c("whole", "BB")) {
    case <- paste0(stem, "_", dom)
    des <- if (dom == "whole") design else subset(design, country == "BB")
    m <- fit(if (dom == "whole") f_whole else f_bb, des)
    if (inherits(des, "svyrep.design"))   # df.residual = degf(design before NA rows go) + 1 - p
      stopifnot(m$df.residual == degf_checked(des) + 1 - length(coef(m)))
    add_model(case, type, mse, m)
    for (v in c("age", "individual")) {
      s <- svymean(as.formula(paste0("~", v)), des, na.rm = TRUE)
      keep <- des[!is.na(des$variables[[v]]), ]     # the rows svymean(na.rm = TRUE) uses
      add_row(case, type, mse, if (v == "age") "mean" else "proportion", v, v, v, "",
              coef(s)[[1]], SE(s)[[1]], degf_checked(keep),
              sum(weights(keep, "sampling") > 0))
    }
  }
}

# ---- b. replicate designs (rebuilt from the columns) ------------------------------------------
for (t in types) for (mse in c(FALSE, TRUE))
  add_design(paste0(t, "_mse", as.integer(mse)), t, as.integer(mse), rebuild(t, mse))

# ---- c. linearisation, and calibration of the linearisation and JK1 designs -------------------
add_design("linearization", "linearization", NA, lin)

pop_age <- data.frame(agegrp = factor(levels(d$agegrp), levels = levels(d$agegrp)),
                      Freq = c(220, 250, 380))
pop_sex <- data.frame(sex = factor(levels(d$sex), levels = levels(d$sex)), Freq = c(420, 430))
pop_vec <- c(`(Intercept)` = 850, `agegrp35-54` = 250, `agegrp55+` = 380, sexwoman = 430)
stopifnot(sum(pop_age$Freq) == 850, sum(pop_sex$Freq) == 850)
totals <- rbind(data.frame(variable = "Intercept", level = "", total = 850),
                data.frame(variable = "agegrp", level = as.character(pop_age$agegrp),
                           total = pop_age$Freq),
                data.frame(variable = "sex", level = as.character(pop_sex$sex),
                           total = pop_sex$Freq))
write.csv(totals, file.path(GOLDEN, "calibration_totals.csv"), row.names = FALSE, quote = 1:2)
sample_totals <- c(total = sum(d$weight), tapply(d$weight, d$agegrp, sum),
                   tapply(d$weight, d$sex, sum))

calibrations <- list(
  poststrat = function(des) postStratify(des, ~agegrp, pop_age),
  rake = function(des) rake(des, list(~agegrp, ~sex), list(pop_age, pop_sex),
                            control = list(maxit = 100, epsilon = 1e-12)),
  linear = function(des) {
    if (inherits(des, "svyrep.design"))
      calibrate(des, ~agegrp + sex, population = pop_vec, calfun = "linear", compress = FALSE)
    else calibrate(des, ~agegrp + sex, population = pop_vec, calfun = "linear")
  },
  bounded = function(des) {
    if (inherits(des, "svyrep.design"))
      calibrate(des, ~agegrp + sex, population = pop_vec, calfun = "linear",
                bounds = c(0.7, 1.4), epsilon = 1e-12, maxit = 100, compress = FALSE)
    else calibrate(des, ~agegrp + sex, population = pop_vec, calfun = "linear",
                   bounds = c(0.7, 1.4), epsilon = 1e-12, maxit = 100)
  },
  raking_calfun = function(des) {
    if (inherits(des, "svyrep.design"))
      calibrate(des, ~agegrp + sex, population = pop_vec, calfun = "raking",
                epsilon = 1e-12, maxit = 100, compress = FALSE)
    else calibrate(des, ~agegrp + sex, population = pop_vec, calfun = "raking",
                   epsilon = 1e-12, maxit = 100)
  })

cw <- data.frame(id = d$id)
check_totals <- function(w, what) {   # postStratify calibrates agegrp only
  got <- c(sum(w), tapply(w, d$agegrp, sum)[-1], tapply(w, d$sex, sum)[-1])
  k <- if (what == "poststrat") 1:3 else 1:4
  stopifnot(close(unname(got)[k], unname(pop_vec)[k], 1e-9))
}
# every calibration (full sample and each replicate) must converge: warnings are errors here
strict <- function(f) function(des) withCallingHandlers(f(des), warning = function(w)
  stop("calibration warning: ", conditionMessage(w)))
calibrations <- lapply(calibrations, strict)
for (meth in names(calibrations)) {
  cal <- calibrations[[meth]](lin)
  w <- weights(cal)
  check_totals(w, meth)
  cw[[paste0("cal_lin_", meth)]] <- w
  add_design(paste0("calibrated:", meth), paste0("calibrated:", meth), NA, cal)
}
jk1_bind <- list()
for (meth in names(calibrations)) for (mse in c(FALSE, TRUE)) {
  base <- rebuild("JK1", mse)
  cal <- calibrations[[meth]](base)
  w <- weights(cal, "sampling")
  check_totals(w, meth)
  stopifnot(close(w, cw[[paste0("cal_lin_", meth)]], 1e-12))   # same full-sample weights
  if (!mse) {
    cw[[paste0("cal_jk1_", meth)]] <- w
    if (meth == "bounded") {
      g <- weights(cal, "analysis") / weights(base, "analysis")
      jk1_bind$upper <- sum(colSums(abs(g - 1.4) < 1e-9, na.rm = TRUE) > 0)
      jk1_bind$lower <- sum(colSums(abs(g - 0.7) < 1e-9, na.rm = TRUE) > 0)
    }
    if (meth == "linear") {
      W <- weights(cal, "analysis")
      colnames(W) <- paste0("cal_jk1_linear_", seq_len(ncol(W)))
      cal_jk1_linear <- W
    }
  }
  add_design(paste0("calibrated_jk1:", meth, "_mse", as.integer(mse)),
             paste0("calibrated_jk1:", meth), as.integer(mse), cal)
}
cw <- cbind(cw, cal_jk1_linear)
g_bounded <- cw$cal_lin_bounded / d$weight
for (v in names(cw)[-1]) cw[[v]] <- fmt(cw[[v]])
write.csv(cw, file.path(GOLDEN, "calibrated_weights.csv"), row.names = FALSE, quote = FALSE)

res <- do.call(rbind, out)
for (v in c("estimate", "std_error")) res[[v]] <- fmt(res[[v]])
write.csv(res, file.path(GOLDEN, "replicate_reference.csv"), row.names = FALSE,
          quote = c(1, 2, 4:8), na = "")

# ---- summary ----------------------------------------------------------------------------------
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "reference rows,", ncol(rw) - 1, "replicate weight columns,",
    ncol(cw) - 1, "calibrated weight columns\n")
for (t in types) {
  s <- scales[scales$type == t, ]
  cat(sprintf("%-22s R=%2d scale=%s rscales=%s rho=%s degf=%d degf_BB=%d\n", t, s$replicates[1],
              s$scale[1], paste(unique(s$rscale), collapse = "/"), s$rho[1], s$degf[1],
              s$degf_BB[1]))
}
cat("weighted sample totals:", paste(names(sample_totals), round(sample_totals, 4),
                                     collapse = ", "), "\n")
cat("bounded (0.7, 1.4), linearisation: g in [", min(g_bounded), ",", max(g_bounded), "];",
    sum(abs(g_bounded - 1.4) < 1e-9), "units at 1.4,", sum(abs(g_bounded - 0.7) < 1e-9),
    "at 0.7\n")
cat("bounded, JK1 replicates with a unit at the upper bound:", jk1_bind$upper,
    "of 36; at the lower bound:", jk1_bind$lower, "\n")
