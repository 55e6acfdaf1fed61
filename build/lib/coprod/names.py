"""Names every layer shares, without importing anything (the Snakefile's start-up checks read
them, and must not pay for numpy or pandas)."""

POOLED = "pooled"     # the sample of all groups together
GROUP = "group"       # the group column's name when the config does not set groups.column
