# R's numbers for the page "For R survey users" (docs/r_users.md), read from the page itself.
# Run from the repository root (R 4.2.2, survey 4.1.1, mitools; Debian: apt-get install
# r-base-core r-cran-survey r-cran-mitools):
#   Rscript tools/golden_r_users.R
# 1. Exports R's example data to tests/data/golden/ (every column; numbers to 17 significant
#    digits, so that the files read back equal to R's data exactly, which the script checks):
#      apiclus1.csv, apiclus2.csv, apistrat.csv   data(api) of survey
#      scd.csv                                    data(scd) of survey
#      mitools_smoking.csv                        the 5 imputations of mitools' smoking survey
#                                                 (smim1..5.dta with sex = 1, smif1..5.dta with
#                                                 sex = 0, as ?with.svyimputationList stacks
#                                                 them), column `imputation` 1..5 first, and
#                                                 the columns the page uses: id, wave, sex,
#                                                 drkfre, parsmk, cistot
# 2. Runs the page's R blocks in page order in one session: a block headed
#    `<!-- setup -->` is run; a block headed `<!-- example: <id>; ... -->` is run and every
#    value it prints (each top-level call whose value is visible, as at R's console) is
#    written to tests/data/golden/r_users_reference.csv: columns `example, call` (1, 2, ... the
#    printed values of the block in order), `row` (1, 2, ...), `term` (R's name of the row),
#    `quantity` (estimate, std_error, deff, statistic, df, ddf, p_value, conf_low, conf_high,
#    dispersion, value), `value` (17 significant digits; Inf, NA as R writes them).
#    tests/golden/test_r_users_page.py runs the page's Python blocks the same way and compares.
suppressMessages({
  library(survey)
  library(mitools)
})
options(survey.lonely.psu = "fail", warn = 1)
# svyglm fits with glm's default control (epsilon = 1e-8), which stops short of the optimum by
# up to ~1e-5 (relative) in these SEs, and svyolr with optim's defaults (reltol 1e-8); coprod
# iterates to convergence. As for every model golden here, R's numbers are those of converged
# fits: the page's svyglm and svyolr calls run with tight controls, added by these wrappers (so
# that the page's R code stays the help pages' code; svyciprop's own internal fits are R's).
tightly <- function(fun, control) {
  function(...) {  # the call as written, with control added: svyglm reads its own call
    call <- match.call()
    call[[1]] <- fun
    call$control <- control
    eval(call, parent.frame())
  }
}
svyglm <- tightly(quote(survey::svyglm), quote(glm.control(epsilon = 1e-14, maxit = 100)))
svyolr <- function(...) {  # and the Hessian's finite-difference step 1e-5 (optim's 1e-3 moves
  call <- match.call()     # the SEs by ~1e-4), as tools/golden_ordinal.R
  call[[1]] <- quote(survey::svyolr)
  call$control <- list(reltol = 1e-14, maxit = 10000)
  k <- length(coef(eval(call, parent.frame())))
  call$control$ndeps <- rep(1e-5, k)
  eval(call, parent.frame())
}
GOLDEN <- "tests/data/golden"
PAGE <- "docs/r_users.md"

# ---- 1. the data ----------------------------------------------------------------------------
export <- function(df, name) {
  path <- file.path(GOLDEN, name)
  out <- df
  quoted <- which(vapply(df, function(x) is.factor(x) || is.character(x), TRUE))
  for (j in seq_along(out)) {
    if (is.double(out[[j]])) out[[j]] <- ifelse(is.na(out[[j]]), NA, sprintf("%.17g", out[[j]]))
    if (is.factor(out[[j]])) out[[j]] <- as.character(out[[j]])
  }
  write.csv(out, path, row.names = FALSE, na = "", quote = quoted)
  classes <- ifelse(seq_along(df) %in% quoted, "character", NA)
  back <- read.csv(path, na.strings = "", colClasses = classes)
  stopifnot(identical(names(back), names(df)), nrow(back) == nrow(df))
  for (j in seq_along(df)) {
    a <- df[[j]]
    b <- back[[j]]
    if (is.factor(a)) a <- as.character(a)
    if (is.numeric(a)) stopifnot(isTRUE(all(is.na(a) == is.na(b))), all(a == b, na.rm = TRUE))
    else stopifnot(identical(a, b))
  }
}
data(api)
data(scd)
export(apiclus1, "apiclus1.csv")
export(apiclus2, "apiclus2.csv")
export(apistrat, "apistrat.csv")
export(scd, "scd.csv")
dta <- system.file("dta", package = "mitools")
read_imputations <- function(pattern, sex) {
  files <- list.files(dta, pattern = pattern, full.names = TRUE)
  lapply(seq_along(files), function(k) {
    d <- foreign::read.dta(files[k], warn.missing.labels = FALSE)
    cbind(imputation = k, d, sex = sex)
  })
}
men <- read_imputations("m.\\.dta$", 1)
women <- read_imputations("f.\\.dta$", 0)
smoking <- do.call(rbind, c(lapply(1:5, function(k) rbind(men[[k]], women[[k]]))))
export(smoking[c("imputation", "id", "wave", "sex", "drkfre", "parsmk", "cistot")],
       "mitools_smoking.csv")

# ---- 2. the page ----------------------------------------------------------------------------
# blocks: list of (kind = "setup" | "example", id, code) in page order; an example's marker
# applies to the first ```r block after it, a setup marker to the next block (R or Python)
lines <- readLines(PAGE, warn = FALSE)
blocks <- list()
marker <- NULL
i <- 1
while (i <= length(lines)) {
  line <- lines[i]
  if (grepl("^<!-- setup", line)) {
    marker <- list(kind = "setup", id = "")
  } else if (grepl("^<!-- example: ", line)) {
    id <- sub("^<!-- example: ([A-Za-z0-9_]+).*$", "\\1", line)
    marker <- list(kind = "example", id = id)
  } else if (line == "```r") {
    j <- i + 1
    while (lines[j] != "```") j <- j + 1
    if (!is.null(marker)) {
      blocks[[length(blocks) + 1]] <- c(marker, code = paste(lines[(i + 1):(j - 1)],
                                                           collapse = "\n"))
      marker <- NULL
    }
    i <- j
  } else if (startsWith(line, "```")) {  # another language's block: skip it
    j <- i + 1
    while (lines[j] != "```") j <- j + 1
    if (!is.null(marker) && marker$kind == "setup") marker <- NULL
    i <- j
  }
  i <- i + 1
}
ids <- vapply(Filter(function(b) b$kind == "example", blocks), `[[`, "", "id")
stopifnot(length(ids) > 0, !anyDuplicated(ids))

interval <- function(ci) {
  ci <- as.matrix(ci)
  list(conf_low = ci[, 1], conf_high = ci[, 2])
}

# One printed value as rows of named quantities (the names tests/golden/test_r_users_page.py
# reads from coprod's results)
numbers <- function(x) {
  if (inherits(x, "summary.svyglm")) {
    cf <- coef(x)
    return(data.frame(term = rownames(cf), estimate = cf[, 1], std_error = cf[, 2],
                      statistic = cf[, 3], p_value = cf[, 4], df = x$df.residual,
                      dispersion = x$dispersion[1]))
  }
  if (inherits(x, "svyglm")) {
    return(data.frame(term = names(coef(x)), estimate = coef(x), std_error = SE(x),
                      df = x$df.residual))
  }
  if (inherits(x, "svyolr")) {
    return(data.frame(term = names(coef(x)), estimate = coef(x),
                      std_error = sqrt(diag(vcov(x))), df = x$df.residual))
  }
  if (inherits(x, "regTermTest")) {
    # df = Inf: R gives the chi-square statistic and no denominator df
    chisq <- !is.null(x$chisq)
    return(data.frame(term = paste(x$test.terms, collapse = "+"),
                      statistic = as.numeric(if (chisq) x$chisq else x$Ftest),
                      df = x$df, ddf = if (chisq) Inf else x$ddf, p_value = as.numeric(x$p)))
  }
  if (inherits(x, "MIresult")) {
    return(data.frame(term = names(coef(x)), estimate = coef(x), std_error = SE(x),
                      df = x$df))
  }
  if (inherits(x, "svyby")) {
    out <- data.frame(term = names(coef(x)), estimate = as.vector(coef(x)))
    info <- attr(x, "svyby")
    if ("se" %in% info$vartype) out$std_error <- as.vector(SE(x))
    if ("ci" %in% info$vartype) out <- cbind(out, conf_low = x$ci_l, conf_high = x$ci_u)
    if (info$deffs) out$deff <- as.vector(deff(x))
    return(out)
  }
  if (inherits(x, c("svyciprop", "newsvyquantile"))) {
    e <- coef(x)
    return(data.frame(term = names(e), estimate = as.vector(e), std_error = as.vector(SE(x)),
                      interval(confint(x))))
  }
  if (inherits(x, "svyratio")) {
    return(data.frame(term = paste(rownames(x$ratio), colnames(x$ratio), sep = "/"),
                      estimate = as.vector(coef(x)), std_error = as.vector(SE(x))))
  }
  if (inherits(x, c("svystat", "svrepstat"))) {
    out <- data.frame(term = names(coef(x)), estimate = coef(x), std_error = as.vector(SE(x)))
    if (!is.null(attr(x, "deff"))) out$deff <- as.vector(diag(as.matrix(attr(x, "deff"))))
    return(out)
  }
  if (is.matrix(x) && ncol(x) == 2 && all(grepl("%$", colnames(x)))) {
    return(data.frame(term = rownames(x), interval(x)))
  }
  if (is.numeric(x) && length(x) == 1) return(data.frame(term = "", value = x))
  stop("no numbers for a value of class ", paste(class(x), collapse = "/"))
}

rows <- list()
for (b in blocks) {
  calls <- 0
  for (e in parse(text = b$code, keep.source = FALSE)) {
    v <- withVisible(eval(e, globalenv()))
    if (!v$visible || b$kind == "setup") next
    calls <- calls + 1
    n <- numbers(v$value)
    q <- setdiff(names(n), "term")
    rows[[length(rows) + 1]] <- data.frame(
      example = b$id, call = calls, row = rep(seq_len(nrow(n)), length(q)),
      term = rep(n$term, length(q)), quantity = rep(q, each = nrow(n)),
      value = sprintf("%.17g", unlist(n[q], use.names = FALSE)))
  }
  if (b$kind == "example" && calls == 0) stop("example ", b$id, " prints nothing")
}
out <- do.call(rbind, rows)
write.csv(out, file.path(GOLDEN, "r_users_reference.csv"), row.names = FALSE)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", length(ids), "examples,", nrow(out), "numbers written\n")
