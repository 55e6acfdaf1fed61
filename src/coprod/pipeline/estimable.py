"""Which fits can be judged at all: the one rule behind every "not estimable" count.

Why a rule of its own: a logistic fit flagged for separation has no maximum-likelihood
estimate -- the separated terms run off to infinity, and the other terms are estimated given
that divergence, with standard errors that mean little. A fit that failed, or whose iterations
did not converge, is no better. Such a fit supports nothing and contradicts nothing, for
*every* claim it carries (not only the claim on the separated term). The verdicts of the
findings check, the specification curve's counts, the "cut of the scale" and the "complete
cases or imputed data" sentences all judge a fit through :func:`not_estimable_reason`, so a
specification is counted the same way wherever it is counted, and each count says how many
were not estimable (:func:`count_phrase`).

It reads only the fit table's text columns (status, message: '<flag>: <detail>' for each of
its flags, the rows of the flags table) and the verdicts, so every layer can use it.
"""
from __future__ import annotations

import re

import pandas as pd

#: the rule in plain words (the report and the tables' notes print it)
NOT_ESTIMABLE_RULE = (
    "A model whose fit failed, did not converge, or is flagged for separation (some category "
    "of the outcome perfectly predicted, so the estimates do not exist) is not estimable: it "
    "supports or contradicts no claim it carries, and the counts say how many specifications "
    "were not estimable. An imputed model is not estimable when the fit on any of its imputed "
    "datasets is. A specification that cannot carry a claim at all (the claim's covariate "
    "left out of its covariate set, or no ordinal version of its outcome) is not counted for "
    "that claim.")

#: fit flags that make a fit not estimable, and how the reason starts
BLOCKING_FLAGS = {"separation": "separation", "non_convergence": "did not converge"}

#: the verdict of a claim on a fit that is not estimable
NOT_ESTIMATED = "not estimated"
#: a specification that cannot carry a claim (no such version of its outcome, or its
#: covariate not in the set): left out of the claim's counts altogether
NOT_APPLICABLE = "not applicable"


def _text(value) -> str:
    """A cell as text; a missing one (None, NaN) as ''."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def message_parts(message) -> dict[str, str]:
    """A fit message ('separation: <detail>; low_events_per_parameter: <detail>') as {flag:
    detail}. Split only where '; ' is followed by a flag name and a colon: a detail may hold
    '; ' itself (the separation detail does)."""
    parts = re.split(r"; (?=[a-z_]+:)", _text(message))
    pairs = (p.split(":", 1) for p in parts if re.match(r"[a-z_]+:", p))
    return {k: v for k, v in pairs}


def not_estimable_reason(status, message="", flags="") -> str:
    """Why a fit cannot be judged, or '' when it can.

    ``status`` and ``message`` are the fit table's columns (``message``: '<flag>: <detail>'
    joined by '; ', every flag of the fit); ``flags``, optional, more flag names joined by ';'
    (a flags table's ``flag`` column of the model, joined). Returns 'failed:
    <message>', 'separation: <detail>' (separation first: a fit that did not converge because
    the outcome is separated is explained by the separation) or 'did not converge'."""
    status, message = _text(status), _text(message)
    if status in ("failed", "missing"):
        return f"{status}: {message}" if message else status
    names = [f.strip() for f in _text(flags).split(";") if f.strip()]
    parts = message_parts(message)
    for flag, words in BLOCKING_FLAGS.items():
        if flag not in names and flag not in parts:
            continue
        detail = parts.get(flag, "").strip()
        return f"{words}: {detail}" if detail and flag != "non_convergence" else words
    return ""


def is_blocking(flag) -> bool:
    """Whether a flag (of a fit, or of a term: 'not_converged' when the fit did not) makes
    its fit not estimable."""
    return _text(flag) in BLOCKING_FLAGS or _text(flag) == "not_converged"


def count_phrase(supported: int, contradicted: int, estimable: int, not_estimable: int, *,
                 noun: str = "") -> str:
    """'supported in 24 of 48 estimable specifications (16 not estimable), contradicted in 8':
    the one wording of a count, so the findings table, the report and the figures read alike.
    ``noun``: 'specifications', 'models', or '' (a table cell). The not estimable are always
    named, 0 included: a count that hides them reads as if every specification were judged."""
    what = f"estimable {noun}".strip()
    if not estimable:
        return f"no {noun or 'specification'} estimable ({not_estimable} not estimable)"
    return (f"supported in {supported} of {estimable} {what} ({not_estimable} not estimable), "
            f"contradicted in {contradicted}")


SPEC_COUNTS = ("spec_total", "spec_supported", "spec_contradicted", "spec_estimable",
               "spec_not_estimable")


def spec_counts(verdicts: pd.Series) -> list[int]:
    """One claim's specifications counted (in the order of :data:`SPEC_COUNTS`): all that
    apply to it, the supported (or equivalent) and the contradicted (or different) among the
    estimable, the estimable, and the not estimable (verdict "not estimated": a fit that
    failed, did not converge or is separated; each row's note says which). A specification
    without the claim's covariate or outcome (:data:`NOT_APPLICABLE`) is not counted."""
    v = verdicts.astype(str)
    v = v[v != NOT_APPLICABLE]
    est = v[v != "not estimated"]
    return [len(v), int(est.isin(["supported", "equivalent"]).sum()),
            int(est.isin(["contradicted", "different"]).sum()), len(est), len(v) - len(est)]
