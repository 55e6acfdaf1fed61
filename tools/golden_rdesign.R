# Reference numbers for R's design vocabulary (svydesign, svrepdesign, as.svrepdesign, degf,
# hadamard), from R's survey package and the examples of its help pages (?svydesign,
# ?svrepdesign, ?as.svrepdesign) on its own data (`api`, `scd`), plus BRR/Fay conversions that
# exercise every branch of R's Hadamard matrices (NHANES, and apistrat arranged in pairs of
# PSUs). Run from the repository root:
#   Rscript tools/golden_rdesign.R
# Writes
#   tests/data/golden/scd.csv                R's scd (6 ambulance runs in 3 ESAs: ?svrepdesign)
#   tests/data/golden/api_clus2.csv          R's apiclus2 (126 schools, two stages, fpc1 fpc2)
#   tests/data/golden/api_strat_ids.csv      snum, dnum of R's apistrat, in api_strat.csv's row
#                                            order (its districts: ?svydesign's nest example)
#   tests/data/golden/hadamard_reference.csv n, nrow, ncol, md5 of survey::hadamard(n) for
#                                            n = 1..200 (its 0/1 entries row by row, no
#                                            separators)
#   tests/data/golden/rdesign_factors.csv    case, psu (first-appearance order), factors: the
#                                            replicate weight factors of each converted design
#                                            (as.svrepdesign's repweights), space separated
#   tests/data/golden/rdesign_reference.csv  case, statistic (mean, total, ratio, degf, scale,
#                                            rscales), term, estimate, std_error, df
# Designs: the help pages' (dstrat, dclus1, dclus2, dclus2wr, dclus2wr2, dstrat_nest, scddes,
# scdnofpc, scd2brr, scd2fay, scd2jkn, scd2jknf, scd2brr1, rclus1, bclus1, scdrep); nhanes
# (svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE)) as JKn (as BRR R
# stops: its stratum 86 has 3 PSUs); apistrat in api_strat.csv's row order arranged as pairs of PSUs: pairs25 (25
# strata of 2 PSUs of 4 schools: hadamard(25), a stored matrix of order 28), pairs50 (50 of 2
# of 2: order 56, the 28 doubled), split10 (10 strata of 4 PSUs of 5 schools: R splits them into
# 20 pairs, hadamard(20) is a doubled Paley matrix of order 24). The bootstrap (bclus1, R's
# ?as.svrepdesign: 100 replicates with the fpc) is drawn after set.seed(28); its factors are
# exported so that the Python side can use R's draws. JKn with a lonely stratum (lonely_*:
# apistrat with one school of type H, under each survey.lonely.psu option) and with a census
# stratum (census_jkn: H's fpc its sample size). Numbers have 17 significant digits. The
# tests read the CSVs; they never need R. Made with R 4.2.2 and survey 4.1.1 (printed below).
suppressMessages(library(survey))
options(survey.lonely.psu = "fail")
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
GOLDEN <- "tests/data/golden"
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
data(api)
data(scd)
data(nhanes)

write.csv(scd, file.path(GOLDEN, "scd.csv"), row.names = FALSE)
write.csv(apiclus2[, c("snum", "dnum", "stype", "api00", "api99", "enroll", "api.stu", "pw",
                       "fpc1", "fpc2")], file.path(GOLDEN, "api_clus2.csv"), row.names = FALSE)
strat <- read.csv(file.path(GOLDEN, "api_strat.csv"), stringsAsFactors = TRUE)
stopifnot(all(strat$snum == apistrat$snum))
write.csv(apistrat[, c("snum", "dnum")], file.path(GOLDEN, "api_strat_ids.csv"),
          row.names = FALSE)
clus <- read.csv(file.path(GOLDEN, "api_clus1.csv"), stringsAsFactors = TRUE)
clus2 <- read.csv(file.path(GOLDEN, "api_clus2.csv"), stringsAsFactors = TRUE)
scd <- read.csv(file.path(GOLDEN, "scd.csv"))
strat$dnum <- apistrat$dnum

# ---- Hadamard matrices ------------------------------------------------------------------------
md5 <- function(h) {
  f <- tempfile()
  writeChar(paste(apply(h, 1, paste, collapse = ""), collapse = ""), f, eos = NULL)
  unname(tools::md5sum(f))
}
had <- do.call(rbind, lapply(1:200, function(n) {
  h <- hadamard(n)
  data.frame(n = n, nrow = nrow(h), ncol = ncol(h), md5 = md5(h))
}))
write.csv(had, file.path(GOLDEN, "hadamard_reference.csv"), row.names = FALSE, quote = FALSE)

# ---- designs ----------------------------------------------------------------------------------
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = clus, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = clus2)
dclus2wr <- svydesign(id = ~dnum + snum, weights = weights(dclus2), data = clus2)
dclus2wr2 <- svydesign(id = ~dnum, weights = weights(dclus2), data = clus2)
dstrat_nest <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = strat, nest = TRUE)
stopifnot(inherits(try(svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = strat),
                       silent = TRUE), "try-error"))
scddes <- svydesign(data = scd, prob = ~1, id = ~ambulance, strata = ~ESA, nest = TRUE,
                    fpc = rep(5, 6))
scdnofpc <- svydesign(data = scd, prob = ~1, id = ~ambulance, strata = ~ESA, nest = TRUE)
scd2brr <- as.svrepdesign(scdnofpc, type = "BRR")
scd2fay <- as.svrepdesign(scdnofpc, type = "Fay", fay.rho = 0.3)
scd2jkn <- as.svrepdesign(scdnofpc, type = "JKn")
scd2jknf <- as.svrepdesign(scddes, type = "JKn")
scd2brr1 <- as.svrepdesign(scdnofpc, type = "BRR", hadamard.matrix = paley(11))
rclus1 <- as.svrepdesign(dclus1)
set.seed(28)
bclus1 <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 100)
repweights <- 2 * cbind(c(1, 0, 1, 0, 1, 0), c(1, 0, 0, 1, 0, 1), c(0, 1, 1, 0, 0, 1),
                        c(0, 1, 0, 1, 1, 0))
scdrep <- suppressWarnings(svrepdesign(data = scd, type = "BRR", repweights = repweights,
                                       combined.weights = FALSE))
dnhanes <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                     data = nhanes)
nhanes_jkn <- as.svrepdesign(dnhanes, type = "JKn")
# stratum 86 has 3 PSUs: R cannot pair them ("Can't split with odd numbers of PSUs")
stopifnot(inherits(try(as.svrepdesign(dnhanes, type = "BRR"), silent = TRUE), "try-error"))
row <- seq_len(nrow(strat)) - 1
pairs <- function(per_psu) {   # strata of 2 PSUs (per_psu schools each), in row order
  strat$pair_stratum <- row %/% (2 * per_psu) + 1
  strat$pair_psu <- (row %/% per_psu) %% 2 + 1
  svydesign(id = ~pair_psu, strata = ~pair_stratum, weights = ~pw, nest = TRUE, data = strat)
}
strat$split_stratum <- row %/% 20 + 1
strat$split_psu <- (row %/% 5) %% 4 + 1
dsplit <- svydesign(id = ~split_psu, strata = ~split_stratum, weights = ~pw, nest = TRUE,
                    data = strat)
dpairs25 <- pairs(4)
dpairs50 <- pairs(2)
# JKn with a lonely stratum (H cut to its first school), by each lonely.psu option, and with a
# census stratum (H's fpc set to its sample size: R drops its replicates)
lonely <- strat[strat$stype != "H" | seq_len(nrow(strat)) == which(strat$stype == "H")[1], ]
jkn_lonely <- lapply(c("adjust", "average", "remove", "certainty"), function(opt) {
  options(survey.lonely.psu = opt)
  on.exit(options(survey.lonely.psu = "fail"))
  as.svrepdesign(svydesign(id = ~1, strata = ~stype, weights = ~pw, data = lonely), "JKn")
})
names(jkn_lonely) <- paste0("lonely_", c("adjust", "average", "remove", "certainty"))
strat$fpc_census <- ifelse(strat$stype == "H", sum(strat$stype == "H"), strat$fpc)
census_jkn <- as.svrepdesign(svydesign(id = ~1, strata = ~stype, weights = ~pw,
                                       fpc = ~fpc_census, data = strat), "JKn")
conv <- list(
  pairs25_brr = as.svrepdesign(dpairs25, type = "BRR"),
  pairs25_fay = as.svrepdesign(dpairs25, type = "Fay", fay.rho = 0.3),
  pairs25_jkn = as.svrepdesign(dpairs25, type = "JKn"),
  pairs50_brr = as.svrepdesign(dpairs50, type = "BRR"),
  split10_brr = as.svrepdesign(dsplit, type = "BRR"),
  split10_fay = as.svrepdesign(dsplit, type = "Fay", fay.rho = 0.5),
  nhanes_jkn = nhanes_jkn, scd2brr = scd2brr, scd2fay = scd2fay,
  scd2jkn = scd2jkn, scd2jknf = scd2jknf, scd2brr1 = scd2brr1, rclus1 = rclus1,
  bclus1 = bclus1, census_jkn = census_jkn)
conv <- c(conv, jkn_lonely)

# ---- replicate factors of the converted designs -----------------------------------------------
# (not of the lonely and census cases: 150 x 150 jackknife factors, checked through their SEs)
factors <- do.call(rbind, lapply(setdiff(names(conv), c(names(jkn_lonely), "census_jkn")),
                                 function(k) {
  rw <- conv[[k]]$repweights
  w <- if (inherits(rw, "repweights_compressed")) rw$weights else stop(k, ": not compressed")
  data.frame(case = k, psu = seq_len(nrow(w)),
             factors = apply(w, 1, function(x) paste(fmt(x), collapse = " ")))
}))
write.csv(factors, file.path(GOLDEN, "rdesign_factors.csv"), row.names = FALSE)

# ---- estimates --------------------------------------------------------------------------------
out <- list()
add <- function(case, statistic, term, est, se, df)
  out[[length(out) + 1]] <<- data.frame(case = case, statistic = statistic, term = term,
                                        estimate = fmt(est), std_error = fmt(se), df = df)
est <- function(case, des, mean = NULL, total = NULL, ratio = NULL) {
  df <- degf(des)
  add(case, "degf", "", df, NA, df)
  if (inherits(des, "svyrep.design")) {
    add(case, "scale", "", des$scale, NA, df)
    add(case, "rscales", "", NA, NA, df)
    out[[length(out)]]$estimate <<- paste(fmt(des$rscales), collapse = " ")
  }
  for (v in mean) {
    m <- svymean(as.formula(paste0("~", v)), des, na.rm = TRUE)
    for (i in seq_along(coef(m))) add(case, "mean", names(coef(m))[i], coef(m)[[i]],
                                      SE(m)[[i]], df)
  }
  for (v in total) {
    m <- svytotal(as.formula(paste0("~", v)), des, na.rm = TRUE)
    for (i in seq_along(coef(m))) add(case, "total", names(coef(m))[i], coef(m)[[i]],
                                      SE(m)[[i]], df)
  }
  if (!is.null(ratio)) {
    r <- svyratio(as.formula(paste0("~", ratio[1])), as.formula(paste0("~", ratio[2])), des)
    add(case, "ratio", paste0(ratio, collapse = "/"), coef(r)[[1]], SE(r)[[1]], df)
  }
}
est("dstrat", dstrat, mean = "api00", total = "enroll")
est("dclus1", dclus1, mean = "api00", total = "enroll")
est("dclus1_E", subset(dclus1, stype == "E"), mean = "api00", total = "enroll")
est("dclus2", dclus2, mean = "api00", total = c("enroll", "api00", "stype"))
est("dclus2wr", dclus2wr, mean = "api00", total = "enroll")
est("dclus2wr2", dclus2wr2, mean = "api00", total = "enroll")
est("dstrat_nest", dstrat_nest, mean = "api00", total = "enroll")
for (k in c("scddes", "scdnofpc", "scdrep"))
  est(k, get(k), ratio = c("alive", "arrests"), total = "alive")
for (k in names(conv)) {
  if (startsWith(k, "scd")) est(k, conv[[k]], ratio = c("alive", "arrests"), total = "alive")
  else if (startsWith(k, "nhanes")) est(k, conv[[k]], mean = c("HI_CHOL", "race"))
  else est(k, conv[[k]], mean = "api00", total = "enroll")
}
write.csv(do.call(rbind, out), file.path(GOLDEN, "rdesign_reference.csv"), row.names = FALSE)
