# Reference numbers for the Chile worked example (config/examples/chile/), from R's survey.
#   Rscript tools/golden_chile.R      (R 4.2.2, survey 4.1.1; apt-get install r-cran-survey)
# Writes tests/data/golden/chile_reference.csv: svyglm on the design the example configures
# (regions as strata, no clusters, no weights), for both outcomes, pooled with region fixed
# effects (reference Ciudad de Santiago) and the Area Metropolitana domain. The recodes follow
# config/examples/chile/codebook.yaml: will_vote = vote in Y/N/U, decided = vote in Y/N
# (missing when vote is), income in thousands, education P < S < PS, gender M (reference).
suppressMessages(library(survey))
options(survey.lonely.psu = "fail")
d <- read.csv("data/examples/chile_1988.csv", stringsAsFactors = FALSE, na.strings = "")
d$will_vote <- ifelse(is.na(d$vote), NA, as.numeric(d$vote %in% c("Y", "N", "U")))
d$decided <- ifelse(is.na(d$vote), NA, as.numeric(d$vote %in% c("Y", "N")))
d$income_thousands <- d$income * 0.001
d$education <- factor(d$education, levels = c("P", "S", "PS"),
                      labels = c("primary", "secondary", "post-secondary"))
d$gender <- factor(d$sex, levels = c("M", "F"), labels = c("man", "woman"))
d$region <- factor(d$region, levels = c("SA", "N", "C", "S", "M"),
                   labels = c("Ciudad de Santiago", "Norte", "Centro", "Sur",
                              "Área Metropolitana"))
des <- svydesign(ids = ~1, strata = ~region, data = d, weights = ~rep(1, nrow(d)))
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
rows <- list()
fit <- function(case, y, rhs, design) {
  m <- svyglm(as.formula(paste(y, "~", rhs)), design = design, family = quasibinomial(),
              control = ctrl)
  cf <- coef(m); se <- sqrt(diag(vcov(m)))
  asg <- attr(model.matrix(m), "assign"); labs <- attr(terms(m), "term.labels")
  for (j in seq_along(cf)) {
    var <- if (asg[j] == 0) "Intercept" else labs[asg[j]]
    lev <- if (asg[j] == 0 || !is.factor(d[[var]])) "" else substring(names(cf)[j], nchar(var) + 1)
    rows[[length(rows) + 1]] <<- data.frame(
      case = case, outcome = y, term = names(cf)[j], variable = var, level = lev,
      estimate = sprintf("%.17g", cf[j]), std_error = sprintf("%.17g", se[j]),
      df_resid = m$df.residual, n = length(m$y))
  }
}
rhs <- "age + gender + education + income_thousands + statusquo"
for (y in c("will_vote", "decided")) {
  fit("pooled", y, paste(rhs, "+ region"), des)
  fit("Area_Metropolitana", y, rhs, subset(des, region == "Área Metropolitana"))
}
out <- do.call(rbind, rows)
write.csv(out, "tests/data/golden/chile_reference.csv", row.names = FALSE)
cat(nrow(out), "rows\n")
