"""Replicate weight factors made from a linearisation design: R's ``as.svrepdesign`` rules.

:func:`coprod.survey.replicate.as_svrepdesign` (and the pipeline's ``as_replicate``) build the
replicate design from what this module computes; apart, so that the replicate design's module
stays the one that defines it, and this one needs no replicate design to compute factors.

Why: a replicate design estimates any statistic's variance by recomputing it (quantiles,
ratios, models alike), and data producers often want to publish replicate weights instead of
strata and clusters. R's conversions, reproduced here replicate for replicate where R is not
random:

- JK1 (no strata): replicate j drops PSU j, the others x n/(n-1); scale (1 - n/N)(n-1)/n.
- JKn: the same within each stratum, rscales (1 - n_h/N_h)(n_h - 1)/n_h; strata whose PSUs
  were all sampled add no replicates (R's ``survey.drop.replicates``); a stratum with a single
  PSU follows the design's ``lonely_psu`` as R's ``jknweights`` follows
  ``options(survey.lonely.psu)``.
- BRR and Fay: half of each stratum's pair of PSUs at 2 - rho, the other at rho, by R's
  Hadamard matrix (:mod:`coprod.survey.brr`); scale 1/(R (1 - rho)^2). A design's fpc is
  dropped with R's warning.
- bootstrap (R's ``bootweights``): in each stratum n_h PSUs drawn with replacement; with an
  fpc, drawn *without* replacement from a pseudo-population of N_h copies of the sample's
  PSUs (the sample's PSUs shuffled and repeated to length N_h, as R), so the variance carries
  the finite-population factor. Scale n/((n - 1)(R - 1)), n the harmonic mean of the strata's
  PSU counts.
- subbootstrap (R's ``subbootweights``): n_h - 1 PSUs drawn with replacement, factors x
  n_h/(n_h - 1); scale 1/(R - 1).

R's random numbers cannot be reproduced in numpy: the bootstraps draw from ``seed`` and equal
R's in distribution (their scale and rule are R's; tests/golden/test_rdesign_golden.py feeds
R's own draws through the same variance). Replicates follow the order in which strata and PSUs
first appear in the data (BRR: R's sorted strata), as R's.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError
from .brr import brr_factors
from .design import SurveyDesign

AS_TYPES = ("auto", "JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap")


def check_convertible(design: Any) -> None:
    """A linearisation design without calibration (R converts the weights alone)."""
    if not isinstance(design, SurveyDesign):
        raise ConfigError(f"design: a linearisation design (svydesign) is converted, not "
                          f"{type(design).__name__}", argument="design")
    if design.adjustments or design.calibration:
        raise ConfigError("design: a calibrated design cannot be converted (its replicates "
                          "would not be calibrated); convert the design, then calibrate the "
                          "replicate design", argument="design")


def settle_type(design: SurveyDesign, type: str, fay_rho: float,
                hadamard_matrix: npt.ArrayLike | None) -> str:
    """R's ``as.svrepdesign`` rules before a conversion: the type "auto" stands for, the
    types a design's strata allow, Fay's rho deciding between BRR and Fay, and R's warnings
    about the finite-population corrections a conversion drops."""
    check_convertible(design)
    if type == "mrbbootstrap":
        raise ConfigError("type: R's 'mrbbootstrap' is not supported; use 'bootstrap' (first "
                          "stage) or 'JKn'", argument="type")
    if type not in AS_TYPES:
        raise ConfigError(f"type: {type!r} is not one of {', '.join(AS_TYPES)}",
                          argument="type")
    if type == "auto":
        type = "JKn" if design.has_strata else "JK1"
    if type == "JK1" and design.has_strata:
        raise ConfigError("type: JK1 is for a design without strata (R: \"Can't use JK1 for a "
                          "stratified design\"); use JKn", argument="type")
    if type in ("JKn", "BRR", "Fay") and not design.has_strata:
        raise ConfigError(f"type: {type} needs strata (R: \"Must use JK1 or bootstrap for an "
                          "unstratified design\")", argument="type")
    if type in ("BRR", "Fay"):
        if not 0 <= fay_rho < 1:
            raise ConfigError(f"fay_rho: must be in [0, 1), not {fay_rho!r}",
                              argument="fay_rho")
        type = "BRR" if fay_rho == 0 else "Fay"
        if design.fpc is not None:
            warnings.warn("as_svrepdesign: finite population correction dropped in conversion "
                          "(as R warns: BRR and Fay have none)", UserWarning, stacklevel=3)
    elif hadamard_matrix is not None:
        raise ConfigError(f"hadamard_matrix: only for BRR and Fay, not {type}",
                          argument="hadamard_matrix")
    elif design.fpc2 is not None and type != "subbootstrap":
        warnings.warn("as_svrepdesign: finite population corrections after the first stage "
                      "have been dropped (as R warns)", UserWarning, stacklevel=3)
    return type




def replicate_factors(design: SurveyDesign, type: str, *, replicates: int = 50,
                      fay_rho: float = 0.0, hadamard_matrix: npt.ArrayLike | None = None,
                      seed: int | None = None) -> tuple[np.ndarray, float, np.ndarray]:
    """The conversion itself, once the type is settled (:func:`settle_type`; the pipeline's
    ``as_replicate`` checks its own rules): the (PSU codes x replicates) weight factors, the
    scale and the rscales."""
    psu_order = pd.unique(design.psu)                      # PSU codes, first appearance
    strata_order = pd.unique(design.psu_stratum[psu_order])
    members = {int(h): psu_order[design.psu_stratum[psu_order] == h] for h in strata_order}
    correction = (np.ones(len(design.n_psu)) if design.fpc is None
                  else (design.fpc - design.n_psu) / design.fpc)  # R's 1 - n/N
    if type in ("bootstrap", "subbootstrap") and replicates < 2:
        raise ConfigError(f"replicates: at least 2 are needed, not {replicates!r}",
                          argument="replicates")
    if type == "JK1":
        factors, scale, rscales = _jk1(psu_order, float(correction[0]))
    elif type == "JKn":
        factors, scale, rscales = _jkn(design, members, correction)
    elif type in ("BRR", "Fay"):
        f = brr_factors([design.strata_labels[h] for h in design.psu_stratum[psu_order]],
                        fay_rho, hadamard_matrix)
        factors = np.empty_like(f)
        factors[psu_order] = f
        scale, rscales = 1.0 / (f.shape[1] * (1.0 - fay_rho) ** 2), np.ones(f.shape[1])
    elif type == "bootstrap":
        factors = _bootstrap(design, members, replicates, seed)
        nbar = 1.0 / np.mean([1.0 / len(m) for m in members.values()])
        scale, rscales = float(nbar / ((nbar - 1) * (replicates - 1))), np.ones(replicates)
    elif type == "subbootstrap":
        factors = _subbootstrap(design, members, replicates, seed)
        scale, rscales = 1.0 / (replicates - 1), np.ones(replicates)
    else:
        raise ConfigError(f"type: {type!r} is not one of {', '.join(AS_TYPES[1:])}",
                          argument="type")
    return factors, float(scale), np.asarray(rscales, float)


def _jk1(psu_order: np.ndarray, correction: float) -> tuple[np.ndarray, float, np.ndarray]:
    n = len(psu_order)
    if correction <= 0:
        raise ConfigError("design: every PSU of the population was sampled (a census): there "
                          "is no sampling variance to replicate", argument="design")
    factors = np.full((n, n), n / (n - 1))
    factors[psu_order, np.arange(n)] = 0.0
    return factors, correction * (n - 1) / n, np.ones(n)


def _jkn(design: SurveyDesign, members: dict[int, np.ndarray], correction: np.ndarray
         ) -> tuple[np.ndarray, float, np.ndarray]:
    """R's ``jknweights``: one replicate per PSU of each sampled stratum."""
    n_psu = len(design.psu_stratum)
    n_strata = len(members)
    cols: list[np.ndarray] = []
    rscales: list[float] = []
    for h, psus in members.items():
        n_h = len(psus)
        if correction[h] <= 0:  # a census stratum: R drops its replicates
            continue
        if n_h == 1:
            rule = design.lonely_psu
            if rule == "fail":
                raise ConfigError(f"type: stratum {design.strata_labels[h]!r} has a single PSU; "
                                  "JKn needs at least two per stratum (or a design built with "
                                  "lonely_psu='adjust', 'average', 'remove' or 'certainty', as "
                                  "R's options(survey.lonely.psu))", argument="type")
            if rule == "adjust":  # R: the stratum dropped, every other PSU x H/(H - 1)
                col = np.full(n_psu, n_strata / (n_strata - 1))
                col[design.psu_stratum == h] = 0.0
                cols.append(col)
                rscales.append((n_strata - 1) / n_strata)
            continue
        for p in psus:
            col = np.ones(n_psu)
            col[psus] = n_h / (n_h - 1)
            col[p] = 0.0
            cols.append(col)
            rscales.append(float(correction[h] * (n_h - 1) / n_h))
    if not cols:
        raise ConfigError("design: all strata were exhaustively sampled (R: \"you have the "
                          "whole population\"): there is no sampling variance to replicate",
                          argument="design")
    scale = 1.0
    if len(cols) < n_psu and design.lonely_psu == "average":
        scale = n_psu / len(cols)
    return np.column_stack(cols), scale, np.array(rscales)


def _bootstrap(design: SurveyDesign, members: dict[int, np.ndarray], replicates: int,
               seed: int | None) -> np.ndarray:
    """R's ``bootweights``: draw counts per PSU (rows) and replicate (columns). Without an
    fpc each stratum's n_h PSUs are drawn with replacement, one ``integers`` call per stratum
    (the draws of earlier coprod versions, seed for seed)."""
    rng = np.random.default_rng(seed)
    factors = np.zeros((len(design.psu_stratum), replicates))
    for h, psus in members.items():
        n_h = len(psus)
        if design.fpc is None:
            draws = rng.integers(0, n_h, size=(replicates, n_h))
        else:
            size = int(design.fpc[h])  # R: rep(upsu, length = N_h) truncates
            if size > 100 * n_h:
                warnings.warn(f"as_svrepdesign: sampling fraction < 1% in stratum "
                              f"{design.strata_labels[h]!r}, treated as zero (as R warns)",
                              UserWarning, stacklevel=4)
            shuffled = rng.permutation(n_h)  # the pseudo-population: shuffled, repeated
            draws = np.stack([shuffled[rng.choice(size, n_h, replace=False) % n_h]
                              for _ in range(replicates)])
        for r in range(replicates):
            factors[psus, r] = np.bincount(draws[r], minlength=n_h)
    return factors


def _subbootstrap(design: SurveyDesign, members: dict[int, np.ndarray], replicates: int,
                  seed: int | None) -> np.ndarray:
    """R's ``subbootweights``: n_h - 1 of a stratum's n_h PSUs drawn with replacement, the
    counts times n_h/(n_h - 1)."""
    rng = np.random.default_rng(seed)
    factors = np.zeros((len(design.psu_stratum), replicates))
    for h, psus in members.items():
        n_h = len(psus)
        if n_h < 2:
            raise ConfigError(f"type: stratum {design.strata_labels[h]!r} has a single PSU; "
                              "the subbootstrap needs at least two per stratum",
                              argument="type")
        draws = rng.integers(0, n_h, size=(replicates, n_h - 1))
        for r in range(replicates):
            factors[psus, r] = np.bincount(draws[r], minlength=n_h) * n_h / (n_h - 1)
    return factors
