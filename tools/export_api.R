# Export the California schools survey (R survey's data(api), the stratified sample apistrat)
# with jackknife replicate weights, for the third worked example (config/examples/api).
# Run from the repository root:
#   Rscript tools/export_api.R
# Writes
#   data/examples/apistrat_jkn.csv      the 200 schools of apistrat: cds (school id), stype
#                                       (E elementary, M middle, H high school: the strata),
#                                       api00 (Academic Performance Index 2000), meals (% of
#                                       students eligible for subsidised meals), ell (% English
#                                       language learners), awards (eligible for an award
#                                       programme: No/Yes), pw (sampling weight) and the 200
#                                       replicate weights repw_1 ... repw_200 of
#                                       as.svrepdesign(dstrat, type = "JKn") (analysis weights:
#                                       pw times each replicate's jackknife factor)
#   data/examples/apistrat_rscales.csv  their rscales, one per replicate in column order (the
#                                       column `rscales`): (n_h - 1)/n_h times the stratum's
#                                       finite-population factor 1 - n_h/N_h, as data producers
#                                       deliver them beside the weights
# The design: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat).
# The data are the California Department of Education's API data as shipped in the survey
# package; see data/examples/README.md. Made with R 4.2.2 and survey 4.1.1.
suppressMessages(library(survey))
data(api)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
rd <- as.svrepdesign(dstrat, type = "JKn")
stopifnot(rd$scale == 1, length(rd$rscales) == 200, !rd$mse)
w <- weights(rd, "analysis")
colnames(w) <- paste0("repw_", seq_len(ncol(w)))
keep <- c("cds", "stype", "api00", "meals", "ell", "awards", "pw")
out <- cbind(apistrat[, keep], w)
out$stype <- as.character(out$stype)
out$awards <- as.character(out$awards)
write.csv(out, "data/examples/apistrat_jkn.csv", row.names = FALSE, na = "")
write.csv(data.frame(rscales = sprintf("%.17g", rd$rscales)),
          "data/examples/apistrat_rscales.csv", row.names = FALSE, quote = FALSE)
back <- read.csv("data/examples/apistrat_jkn.csv")
stopifnot(max(abs(as.matrix(back[, colnames(w)]) - w)) < 1e-9 * max(w))
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")),
    ":", nrow(out), "schools,", ncol(w), "replicates written\n")
