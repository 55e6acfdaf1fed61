"""R's way of printing numbers: ``format(x, digits = )``, ``format.pval`` and ``printCoefmat``.

Why: a result's ``summary()`` prints its coefficient table as R's ``summary.svyglm`` does, so
that an R user comparing the two reads the same digits in the same places. These are the rules
of R's ``formatReal`` (a vector shares one number of decimals: enough for the element that
needs the most, up to ``digits`` significant digits; scientific notation when that is
narrower) and of ``printCoefmat`` (estimates and standard errors formatted together, t values
rounded to ``digits - 1`` decimals, p-values by ``format.pval``, significance stars). Checked
against R's printed summaries in tests/golden (tests/data/golden/summary_print.txt).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

EPS = float(np.finfo(float).eps)  # R's .Machine$double.eps: p-values below print as < 2e-16
LEGEND = "Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 " \
         "\u2018.\u2019 0.1 \u2018 \u2019 1"


def _sig(x: float, digits: int) -> tuple[int, int]:
    """(significant digits needed to show ``x`` to ``digits`` significant digits, trailing
    zeros dropped; its power of ten) -- R's ``scientific()``."""
    if x == 0:
        return 1, 0
    mantissa, exponent = f"{abs(x):.{digits - 1}e}".split("e")
    return max(1, len(mantissa.replace(".", "").rstrip("0"))), int(exponent)


def format_r(values: npt.ArrayLike, digits: int = 7, scientific: bool | None = None
             ) -> list[str]:
    """R's ``format(x, digits = digits)`` of a numeric vector: one common number of decimals
    (or one scientific layout, whichever is narrower; ``scientific=False``: fixed, as R's
    argument), right-justified to a common width; NA for NaN, Inf/-Inf."""
    x = np.asarray(values, dtype=float).ravel()
    ok = np.isfinite(x)
    out = ["NA" if np.isnan(v) else ("Inf" if v > 0 else "-Inf") for v in x]
    if ok.any():
        sig = [_sig(float(v), digits) for v in x[ok]]
        neg = int(bool((x[ok] < 0).any()))
        rgt = max(max(0, s - k - 1) for s, k in sig)
        left = max(int(v < 0) + (k + 1 if k >= 0 else 1) for v, (_, k) in zip(x[ok], sig))
        fixed_width = left + rgt + (rgt > 0)
        mxns = max(s for s, _ in sig)
        big_exp = any(abs(k) >= 100 for _, k in sig)
        sci_width = neg + (mxns + 1 if mxns > 1 else mxns) + (5 if big_exp else 4)
        for i, v in zip(np.flatnonzero(ok), x[ok]):
            fixed = fixed_width <= sci_width if scientific is None else not scientific
            out[i] = f"{v:.{rgt}f}" if fixed else f"{v:.{mxns - 1}e}"
    width = max(len(s) for s in out)
    return [s.rjust(width) for s in out]


def format_pval(p: npt.ArrayLike, digits: int = 3, eps: float = EPS) -> list[str]:
    """R's ``format.pval``: p-values from 1e-4 up (1e-3 when ``digits`` is 1) formatted together,
    smaller ones together in their own layout, those below ``eps`` as ``<2e-16``."""
    pv = np.asarray(p, dtype=float)
    out = ["NA"] * len(pv)
    small = [i for i, v in enumerate(pv) if not np.isnan(v) and v < eps]
    rest = [i for i, v in enumerate(pv) if not np.isnan(v) and v >= eps]
    expo = {i: math.floor(math.log10(pv[i])) if pv[i] > 0 else -50 for i in rest}
    fixp = [i for i in rest if expo[i] >= -3 or (expo[i] == -4 and digits > 1)]
    sci = [i for i in rest if i not in fixp]
    for group in (fixp, sci):
        if group:
            for i, s in zip(group, format_r(pv[group], digits)):
                out[i] = s.strip()
    if small:
        d = max(1, digits - 2)
        if rest:
            nc = max(len(out[i]) for i in rest)
            if d > 1 and d + 6 > nc:
                d = max(1, nc - 7)
            sep = "" if d == 1 and nc <= 6 else " "
        else:
            sep = "" if d == 1 else " "
        text = format_r([eps], d)[0].strip()
        for i in small:
            out[i] = f"<{sep}{text}"
    return out


def _stars(p: float) -> str:
    if np.isnan(p):
        return ""
    return "***" if p <= 0.001 else "**" if p <= 0.01 else "*" if p <= 0.05 \
        else "." if p <= 0.1 else " "


def coef_matrix(rows: Sequence[str], est: npt.ArrayLike, se: npt.ArrayLike,
                stat: npt.ArrayLike, p: npt.ArrayLike | None, headers: Sequence[str],
                digits: int = 4, stars: bool = True) -> tuple[list[str], bool]:
    """The lines of R's ``printCoefmat(cbind(est, se, stat, p), digits = digits)`` (R's
    summary.glm uses ``digits = max(3, getOption("digits") - 3)`` = 4); and whether the
    significance stars were shown (the caller prints their legend, as R)."""
    est, se, stat = (np.asarray(a, dtype=float) for a in (est, se, stat))
    cs = np.column_stack([est, se])
    acs = np.abs(cs[np.isfinite(cs) & (cs != 0)])
    dec = max(1, digits - (1 + math.floor(math.log10(acs.min())))) if acs.size else 1
    both = format_r(np.round(cs, dec).ravel(order="F"), digits)
    n = len(est)
    cols = [both[:n], both[n:]]
    for j, col in enumerate(cols):  # a number that would print as 0 gets its own digits
        for i, v in enumerate(cs[:, j]):
            if np.isfinite(v) and (v == 0) != (float(col[i]) == 0):
                col[i] = format_r([v], max(1, digits - 1))[0]
    cols.append(format_r(np.round(stat, max(1, min(5, digits - 1))), digits))
    shown = False
    if p is not None:
        pv = np.asarray(p, dtype=float)
        cols.append(format_pval(pv, max(1, min(5, digits - 1))))
        shown = stars and bool((pv[~np.isnan(pv)] < 0.1).any())
        if shown:  # R's format(symnum(...)): padded to the widest symbol present
            marks = [_stars(v) for v in pv]
            cols.append([m.ljust(max(len(m) for m in marks)) for m in marks])
            headers = [*headers, ""]
    widths = [max(len(h), *(len(c) for c in col)) for h, col in zip(headers, cols)]
    label = max([len(r) for r in rows] + [0])
    lines = [" " * label + "".join(" " + h.rjust(w) for h, w in zip(headers, widths))]
    for i, r in enumerate(rows):
        lines.append(r.ljust(label) + "".join(" " + col[i].rjust(w)
                                                for col, w in zip(cols, widths)))
    return lines, shown
