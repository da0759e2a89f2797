# Writes public binary classification sets of other kinds than bank marketing as CSV, for bench:propensity:
# telecom churn, credit scoring, loan default and employee attrition, from Debian's r-cran-modeldata
# (apt-get install -y --no-install-recommends r-cran-modeldata). Usage: Rscript bench/data/modeldata.R <dir>
# (npm run bench:data writes to bench/data-extra, which git ignores: the data is referenced, never committed).
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) > 0) args[[1]] else "bench/data-extra"
dir.create(dir, showWarnings = FALSE, recursive = TRUE)
suppressMessages(library(modeldata))
sets <- list(
  churn = "mlc_churn",
  credit = "credit_data",
  "lending-club" = "lending_club",
  attrition = "attrition"
)
for (name in names(sets)) {
  env <- new.env()
  data(list = sets[[name]], package = "modeldata", envir = env)
  path <- file.path(dir, paste0(name, ".csv"))
  write.csv(get(sets[[name]], envir = env), path, row.names = FALSE, na = "")
  cat(path, "\n")
}
