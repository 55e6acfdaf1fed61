# Shared by tools/golden_incomplete.R, golden_nhanes.R and golden_replicate.R (source()d):
# a fitted svyglm as one row per coefficient, R's term name split into the variable and the
# factor level, so that a Python test can name it as coprod does (`country[T.BB]`).
model_terms <- function(m) {
  se <- sqrt(diag(vcov(m)))
  assign <- attr(model.matrix(m), "assign")
  labels <- attr(terms(m), "term.labels")
  n <- sum(m$prior.weights > 0)
  stopifnot(n == nobs(m))
  term <- names(coef(m))
  variable <- ifelse(assign == 0, "Intercept", labels[pmax(assign, 1)])
  level <- ifelse(assign != 0 & variable %in% names(m$xlevels),
                  substring(term, nchar(variable) + 1), "")
  data.frame(term = term, variable = variable, level = level, estimate = unname(coef(m)),
             std_error = unname(se), df = m$df.residual, n = n, stringsAsFactors = FALSE)
}
