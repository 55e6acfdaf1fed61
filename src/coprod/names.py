"""Names every layer shares, without importing anything (the Snakefile's start-up checks read
them, and must not pay for numpy or pandas)."""

POOLED = "pooled"     # the sample of all groups together
GROUP = "group"       # the group column's name when the config does not set groups.column


def group_label(label, codebook_label: str | None, column) -> str:
    """The word for the groups (titles, "by region"): config groups.label, else the codebook's
    group_label, else the group column's name capitalised."""
    return label or codebook_label or str(column or GROUP).capitalize()
