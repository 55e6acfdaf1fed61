# Reference numbers for quantiles (svyquantile), proportions with their intervals (svyciprop) and
# estimates by domain (svyby), from R's survey package and its own `api` data (?svyquantile,
# ?svyciprop, ?svyby). Run from the repository root:
#   Rscript tools/golden_quantiles.R
# Writes
#   tests/data/golden/api_clus1.csv          R's apiclus1 (183 schools in 15 districts), the
#                                            columns used here (snum first)
#   tests/data/golden/api_strat.csv          R's apistrat (200 schools, strata stype), likewise
#   tests/data/golden/api_boot_weights.csv   snum + boot_1..boot_20: the analysis (combined)
#                                            weights of as.svrepdesign(dclus1, "bootstrap", 20)
#                                            drawn after set.seed(28), and their scale in the
#                                            reference (design "bclus1", statistic "scale")
#   tests/data/golden/quantiles_reference.csv one row per case and number: case, design, domain
#                                            (by variables = their values, or "all"), fun, method
#                                            (interval type, ciprop method), level, variable, p
#                                            (the quantile's probability), term, estimate,
#                                            std_error, conf_low, conf_high, df
# Designs (as the help pages): dclus1 = svydesign(id=~dnum, weights=~pw, fpc=~fpc, apiclus1);
# dclus1_nw = the same without weights (?svyciprop: weights from the fpc); dstrat =
# svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, apistrat); rclus1 =
# as.svrepdesign(dclus1) (JK1, which the Python side converts itself); bclus1 = the bootstrap
# design rebuilt from the exported weights (svrepdesign(type="bootstrap", combined.weights=TRUE,
# scale=<as.svrepdesign's>)); pclus1 = postStratify(dclus1, ~stype, E 4421, H 755, M 1018)
# (?postStratify). Domains are svyby's; the script checks that svyby's numbers equal the
# estimator on subset(design, ...) (1e-12) and writes those. Numbers have 17 significant digits;
# nothing is random but the bootstrap weights, fixed by the seed and exported. The tests read the
# CSVs; they never need R. Made with R 4.2.2 and survey 4.1.1 (printed when it runs).
suppressMessages(library(survey))
options(survey.lonely.psu = "fail")
GOLDEN <- "tests/data/golden"
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
data(api)

clus_cols <- c("snum", "dnum", "stype", "sch.wide", "both", "api00", "api99", "ell", "emer",
               "meals", "enroll", "api.stu", "avg.ed", "pw", "fpc")
strat_cols <- c("snum", "stype", "sch.wide", "api00", "api99", "ell", "meals", "enroll",
                "acs.k3", "pw", "fpc")
write.csv(apiclus1[, clus_cols], file.path(GOLDEN, "api_clus1.csv"), row.names = FALSE)
write.csv(apistrat[, strat_cols], file.path(GOLDEN, "api_strat.csv"), row.names = FALSE)
clus <- read.csv(file.path(GOLDEN, "api_clus1.csv"), stringsAsFactors = TRUE)
strat <- read.csv(file.path(GOLDEN, "api_strat.csv"), stringsAsFactors = TRUE)

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = clus, fpc = ~fpc)
dclus1_nw <- svydesign(id = ~dnum, data = clus, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1)
set.seed(28)
b <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 20)
bw <- weights(b, "analysis")
colnames(bw) <- paste0("boot_", seq_len(ncol(bw)))
write.csv(data.frame(snum = clus$snum, apply(bw, 2, fmt)),
          file.path(GOLDEN, "api_boot_weights.csv"), row.names = FALSE, quote = FALSE)
bw <- read.csv(file.path(GOLDEN, "api_boot_weights.csv"))
stopifnot(identical(bw$snum, clus$snum))
bclus1 <- svrepdesign(data = cbind(clus, bw[, -1]), repweights = "^boot_", weights = ~pw,
                      type = "bootstrap", combined.weights = TRUE, scale = b$scale,
                      rscales = b$rscales)
pclus1 <- postStratify(dclus1, ~stype, data.frame(stype = c("E", "H", "M"),
                                                  Freq = c(4421, 755, 1018)))
designs <- list(dclus1 = dclus1, dclus1_nw = dclus1_nw, dstrat = dstrat, rclus1 = rclus1,
                bclus1 = bclus1, pclus1 = pclus1)

out <- list()
add <- function(case, design, domain, fun, method, level, variable, p, term, est, se, lo, hi,
                df)
  out[[length(out) + 1]] <<- data.frame(
    case = case, design = design, domain = domain, fun = fun, method = method, level = level,
    variable = variable, p = fmt(p), term = term, estimate = fmt(est), std_error = fmt(se),
    conf_low = fmt(lo), conf_high = fmt(hi), df = df)
add("bclus1_scale", "bclus1", "all", "scale", "", NA, "", NA, "scale", bclus1$scale, NA, NA, NA,
    NA)

# the design of a domain: "all", or "v=a" / "v=a&w=b" (svyby's groups, subset())
dom <- function(des, domain) {
  if (domain == "all") return(des)
  keep <- rep(TRUE, nrow(des$variables))
  for (part in strsplit(domain, "&", fixed = TRUE)[[1]]) {
    kv <- strsplit(part, "=", fixed = TRUE)[[1]]
    keep <- keep & as.character(des$variables[[kv[1]]]) == kv[2]
  }
  des[keep, ]
}

# ---- a. svyquantile: one row per variable and probability ------------------------------------
quant <- function(case, dname, domain, vars, probs, type = "mean", alpha = 0.05,
                  qrule = "math") {
  des <- dom(designs[[dname]], domain)
  q <- suppressWarnings(svyquantile(as.formula(paste("~", paste(vars, collapse = "+"))), des,
                                    probs, alpha = alpha, interval.type = type, qrule = qrule,
                                    na.rm = TRUE, ci = TRUE))
  for (v in vars) {
    m <- q[[v]]
    df <- degf(des[!is.na(des$variables[[v]]), ])
    for (i in seq_along(probs))
      add(case, dname, domain, "svyquantile", paste0(type, if (qrule != "math") paste0(":", qrule)),
          1 - alpha, v, probs[i], paste0(v, ".", probs[i]), m[i, 1], m[i, 4], m[i, 2], m[i, 3],
          df)
  }
  invisible(q)
}
p3 <- c(0.25, 0.5, 0.75)
for (type in c("mean", "beta", "xlogit", "asin")) {
  quant(paste0("q_clus_", type), "dclus1", "all", c("api00", "api99"), p3, type)
  quant(paste0("q_strat_", type), "dstrat", "all", c("api00", "enroll"), c(0.1, 0.5, 0.9), type)
}
quant("q_clus_avged", "dclus1", "all", "avg.ed", p3)            # 26 missing values
quant("q_strat_acs", "dstrat", "all", "acs.k3", p3, alpha = 0.1) # 103 missing, 90% interval
quant("q_clus_school", "dclus1", "all", "api00", p3, qrule = "school")
quant("q_clus_extreme", "dclus1", "all", "api00", c(0.01, 0.99))
quant("q_clus_domain", "dclus1", "sch.wide=Yes", "api00", p3)
for (type in c("mean", "quantile")) {
  quant(paste0("q_rclus_", type), "rclus1", "all", c("api00", "api99"), p3, type)
  quant(paste0("q_bclus_", type), "bclus1", "all", "api00", p3, type)
  quant(paste0("q_rclus_domain_", type), "rclus1", "sch.wide=Yes", "api00", p3, type)
}
quant("q_pclus_mean", "pclus1", "all", "api00", p3)
quant("q_pclus_domain", "pclus1", "sch.wide=No", "api00", p3)
quant("q_pclus_beta", "pclus1", "sch.wide=No", "api00", p3, "beta")

# ---- b. svyciprop: every method (likelihood: Taylor designs; R gives NA on replicates) ------
ciprop <- function(case, dname, domain, y, method, level = 0.95, df = NULL) {
  des <- dom(designs[[dname]], domain)
  f <- as.formula(paste0("~I(", y, ")"))
  r <- if (is.null(df)) svyciprop(f, des, method = method, level = level)
       else svyciprop(f, des, method = method, level = level, df = df)
  ci <- attr(r, "ci")
  add(case, dname, domain, "svyciprop", method, level, y, NA, y, coef(r)[[1]], SE(r)[[1]],
      ci[[1]], ci[[2]], if (is.null(df)) degf(des) else df)
}
methods <- c("logit", "likelihood", "asin", "beta", "mean", "xlogit")
for (m in methods) {
  ciprop(paste0("p_nw_", m), "dclus1_nw", "all", "ell == 0", m)     # ?svyciprop
  ciprop(paste0("p_clus_", m), "dclus1", "all", "both == 'Yes'", m)
  ciprop(paste0("p_clus_dom_", m), "dclus1", "stype=M", "sch.wide == 'Yes'", m)
  ciprop(paste0("p_strat_", m), "dstrat", "all", "meals > 50", m)
  ciprop(paste0("p_pclus_dom_", m), "pclus1", "sch.wide=No", "api00 > 650", m)
  if (m != "likelihood") {
    ciprop(paste0("p_rclus_", m), "rclus1", "all", "emer == 0", m)   # ?svyciprop
    ciprop(paste0("p_rclus_dom_", m), "rclus1", "stype=E", "emer == 0", m)
    ciprop(paste0("p_bclus_", m), "bclus1", "all", "both == 'Yes'", m)
  }
}
ciprop("p_clus_logit_90", "dclus1", "all", "both == 'Yes'", "logit", level = 0.9)
ciprop("p_clus_likelihood_90", "dclus1", "all", "both == 'Yes'", "likelihood", level = 0.9)
ciprop("p_clus_mean_inf", "dclus1", "all", "both == 'Yes'", "mean", df = Inf)
ciprop("p_clus_logit_inf", "dclus1", "all", "both == 'Yes'", "logit", df = Inf)
ciprop("p_clus_likelihood_inf", "dclus1", "all", "both == 'Yes'", "likelihood", df = Inf)
stopifnot(is.na(attr(svyciprop(~I(emer == 0), rclus1, method = "likelihood"), "ci")[[1]]))

# ---- c. svyby: each group's estimate equals the estimator on subset(design, group) ----------
groups <- function(des, by) {
  f <- interaction(des$variables[by])
  lv <- levels(droplevels(f[weights(des, "sampling") != 0]))
  vapply(strsplit(lv, ".", fixed = TRUE), function(v) paste0(by, "=", v, collapse = "&"), "")
}
same <- function(a, b) (is.na(a) && is.na(b)) || abs(a - b) <= 1e-12 * max(1, abs(b))
by_case <- function(case, dname, by, fun, y, ...) {
  des <- designs[[dname]]
  fby <- as.formula(paste0("~", paste(by, collapse = "+")))
  FUN <- switch(fun, svymean = svymean, svytotal = svytotal, svyratio = svyratio,
                svyquantile = svyquantile, svyciprop = svyciprop)
  sb <- suppressWarnings(svyby(as.formula(paste0("~", y)), fby, des, FUN, ...,
                               vartype = c("se", "ci")))
  gs <- groups(des, by)   # coef and SE are statistic-major: the groups vary fastest
  est <- matrix(coef(sb), nrow = length(gs))
  se <- matrix(as.vector(as.matrix(SE(sb))), nrow = length(gs))
  k <- 0
  for (gi in seq_along(gs)) {
    g <- gs[gi]
    sub <- dom(des, g)
    if (fun == "svyquantile") {
      q <- suppressWarnings(svyquantile(as.formula(paste0("~", y)), sub, ..., ci = TRUE))[[y]]
      for (i in seq_len(nrow(q))) {
        k <- k + 1
        stopifnot(same(est[gi, i], q[i, 1]), same(se[gi, i], q[i, 4]))
        add(case, dname, g, fun, "mean", 0.95, y, as.numeric(rownames(q)[i]),
            paste0(y, ".", rownames(q)[i]), q[i, 1], q[i, 4], q[i, 2], q[i, 3], degf(sub))
      }
      next
    }
    r <- if (fun == "svyciprop") svyciprop(as.formula(paste0("~", y)), sub, ...)
         else FUN(as.formula(paste0("~", y)), sub, ...)
    ci <- if (fun == "svyciprop") attr(r, "ci") else confint(r, df = degf(sub))
    cf <- coef(r)
    for (i in seq_along(cf)) {
      k <- k + 1
      stopifnot(same(est[gi, i], cf[[i]]), same(se[gi, i], SE(r)[[i]]))
      term <- if (fun == "svyratio") paste0(y, "/", list(...)$denominator[[2]])
              else if (fun == "svyciprop") y else names(cf)[i]
      lo <- if (fun == "svyciprop") ci[[1]] else ci[i, 1]
      hi <- if (fun == "svyciprop") ci[[2]] else ci[i, 2]
      add(case, dname, g, fun, if (fun == "svyciprop") "logit" else "", 0.95, y, NA, term,
          cf[[i]], SE(r)[[i]], lo, hi, degf(sub))
    }
  }
  stopifnot(k == length(est))
}
by_case("by_mean_stype", "dclus1", "stype", "svymean", "api00")
by_case("by_mean_stype_wide", "dclus1", c("stype", "sch.wide"), "svymean", "api00")
by_case("by_mean_factor", "dclus1", "sch.wide", "svymean", "stype")
by_case("by_total_stype", "dclus1", "stype", "svytotal", "enroll")
by_case("by_total_strat", "dstrat", "sch.wide", "svytotal", "enroll")
by_case("by_ratio_stype", "dclus1", "stype", "svyratio", "api.stu", denominator = ~enroll)
by_case("by_mean_rclus", "rclus1", "stype", "svymean", "api00")
by_case("by_total_pclus", "pclus1", "sch.wide", "svytotal", "enroll")
by_case("by_quantile_stype", "dclus1", "stype", "svyquantile", "api00",
        quantiles = c(0.25, 0.5))
by_case("by_quantile_rclus", "rclus1", "sch.wide", "svyquantile", "api00", quantiles = 0.5)
by_case("by_ciprop_stype", "dclus1", "stype", "svyciprop", "I(sch.wide == 'Yes')")

# ---- d. means of a factor: one row per level (svymean(~stype)) --------------------------------
fmean <- function(case, dname, domain, v) {
  des <- dom(designs[[dname]], domain)
  m <- svymean(as.formula(paste0("~", v)), des)
  ci <- confint(m, df = degf(des))
  for (i in seq_along(coef(m)))
    add(case, dname, domain, "svymean", "", 0.95, v, NA, names(coef(m))[i], coef(m)[[i]],
        SE(m)[[i]], ci[i, 1], ci[i, 2], degf(des))
}
fmean("mean_factor_clus", "dclus1", "all", "stype")
fmean("mean_factor_strat", "dstrat", "all", "sch.wide")
fmean("mean_factor_rclus", "rclus1", "all", "stype")
fmean("mean_factor_domain", "dclus1", "sch.wide=Yes", "stype")

res <- do.call(rbind, out)
write.csv(res, file.path(GOLDEN, "quantiles_reference.csv"), row.names = FALSE)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(res), "rows written\n")
