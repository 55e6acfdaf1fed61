# Export the NHANES extract shipped with R's survey package to data/examples/nhanes.csv.
# Run from the repository root:
#   Rscript tools/export_nhanes.R
# Writes data/examples/nhanes.csv: all 8,591 rows and all 7 columns of data(nhanes) as they
# are (SDMVPSU, SDMVSTRA, WTMEC2YR, HI_CHOL, race, agecat, RIAGENDR), in the package's row
# order, missing values (HI_CHOL only) as empty cells. No id column is added: the example
# deliberately has none. The data are NCHS's NHANES 2009-2010 (a US federal government work,
# public domain) as extracted in the survey package; see data/examples/README.md.
# Made with R 4.2.2 and survey 4.1.1 (the versions are printed when the script runs).
suppressMessages(library(survey))
data(nhanes)
out <- "data/examples/nhanes.csv"
write.csv(nhanes, out, row.names = FALSE, na = "")
# the file reads back to the same numbers (weights have 6 decimals; write.csv keeps 15 digits)
back <- read.csv(out, stringsAsFactors = FALSE)
stopifnot(identical(dim(back), dim(nhanes)), identical(names(back), names(nhanes)))
same <- function(a, b) all((is.na(a) & is.na(b)) | (!is.na(a) & !is.na(b) & a == b))
for (v in names(nhanes)) {
  x <- nhanes[[v]]
  if (is.factor(x)) x <- as.character(x)
  stopifnot(same(back[[v]], x))
}
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(nhanes), "rows written to", out, "\n")
