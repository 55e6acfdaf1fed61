"""Hadamard matrices and BRR replicate factors exactly as R's ``survey`` builds them.

Why reproduce R's matrices rather than any Hadamard matrix: BRR (balanced repeated
replication) and Fay's method give each replicate half of every stratum's pair of PSUs, chosen
by the rows of a Hadamard matrix. Any Hadamard matrix gives a valid variance, but each gives
*different* replicates; a BRR standard error equals R's only with R's replicates. R's
``survey::hadamard(n)`` picks one of four stored matrices (orders 4, 16, 28, 36), Sylvester
doublings of them, or a Paley construction, by rules written for speed rather than for order;
:func:`hadamard` follows those rules step for step (``tests/golden/test_rdesign_golden.py``
compares the matrices for every n up to 200 with R's). :func:`brr_factors` is R's
``brrweights``: strata in sorted order (of their labels as text: R's ``as.character``, sorted as
the C locale sorts), PSUs in order of first appearance, strata of 4, 6, ... PSUs split into
pairs (R's ``large = "split"``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError

# the matrices R's survey stores (survey 4.1.1's hadamard.list), a row per string, 1 and 0
# for +1 and -1: orders 4 and 16 (Sylvester type), 28 (from N. J. A. Sloane's library of
# Hadamard matrices) and 36 (Plackett and Burman, 1946), as R's ?hadamard says
_STORED: tuple[tuple[str, ...], ...] = (
    (
        "1111",
        "1010",
        "1100",
        "1001",
    ),
    (
        "1111111111111111",
        "1010101010101010",
        "1100110011001100",
        "1001100110011001",
        "1111000011110000",
        "1010010110100101",
        "1100001111000011",
        "1001011010010110",
        "1111111100000000",
        "1010101001010101",
        "1100110000110011",
        "1001100101100110",
        "1111000000001111",
        "1010010101011010",
        "1100001100111100",
        "1001011001101001",
    ),
    (
        "1111111111111111111111111111",
        "1001110001110001110001111000",
        "1000001111001101001101111000",
        "1000001110110010111001100110",
        "1001101000001111100011010110",
        "1001010100101100010110101110",
        "1000110011010010001110011110",
        "0101100010101010011111110000",
        "0100010110110101100111010100",
        "0100011011001011110010101100",
        "0101011000010111011101001010",
        "0100101101100100111010011010",
        "0101100101011001101100100110",
        "0010110100011110101011101000",
        "0011011001100110101100110100",
        "0010101100111011010100011100",
        "0011000111010111010010110010",
        "0011001011111000100111001010",
        "0010110011101101011001000110",
        "1110101001010100010111100100",
        "1111000101100011001011001100",
        "1111000010011100111000011100",
        "1110010101001010110101010010",
        "1110011000111001001010110010",
        "1110100010100111100100101010",
        "1101111111111110000000000000",
        "1011111110000001111110000000",
        "0111111110000000000001111110",
    ),
    (
        "111111111111111111111111111111111111",
        "010111000111110111001000010101100100",
        "101110001111101110010000101011001000",
        "011100011111011100100001010110010010",
        "111000111110111001000010101100100100",
        "110001111101110010000101011001001010",
        "100011111011100100001010110010010110",
        "000111110111001000010101100100101110",
        "001111101110010000101011001001011100",
        "011111011100100001010110010010111000",
        "111110111001000010101100100101110000",
        "111101110010000101011001001011100010",
        "111011100100001010110010010111000110",
        "110111001000010101100100101110001110",
        "101110010000101011001001011100011110",
        "011100100001010110010010111000111110",
        "111001000010101100100101110001111100",
        "110010000101011001001011100011111010",
        "100100001010110010010111000111110110",
        "001000010101100100101110001111101110",
        "010000101011001001011100011111011100",
        "100001010110010010111000111110111000",
        "000010101100100101110001111101110010",
        "000101011001001011100011111011100100",
        "001010110010010111000111110111001000",
        "010101100100101110001111101110010000",
        "101011001001011100011111011100100000",
        "010110010010111000111110111001000010",
        "101100100101110001111101110010000100",
        "011001001011100011111011100100001010",
        "110010010111000111110111001000010100",
        "100100101110001111101110010000101010",
        "001001011100011111011100100001010110",
        "010010111000111110111001000010101100",
        "100101110001111101110010000101011000",
        "001011100011111011100100001010110010",
    ),
)
_SIZES = (4, 16, 28, 36)
_PALEY_LIMIT = 7919  # R's paley knows the primes p = 3 (mod 4) up to this one


def _primes_3mod4(limit: int) -> list[int]:
    sieve = np.ones(limit + 1, dtype=bool)
    sieve[:2] = False
    for i in range(2, math.isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i::i] = False
    return [int(p) for p in np.flatnonzero(sieve) if p % 4 == 3]


_SMALL_PRIMES = _primes_3mod4(_PALEY_LIMIT)


def _stored(i: int) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in _STORED[i]], dtype=np.int8)


def _double(h: np.ndarray) -> np.ndarray:
    """R's ``hadamard.doubler``: [[H, H], [H, 1 - H]]."""
    return np.block([[h, h], [h, 1 - h]])


def _paley_prime(p: int) -> np.ndarray:
    """Paley's construction of order p + 1 for a prime p = 3 (mod 4), as R writes it: 0 where
    (i + j) mod p is 0 or a quadratic residue, bordered by a row and a column of ones."""
    half = (p - 1) // 2
    # R's loop `for (i in 2:floor((p-1)/2))` also runs for p = 3 (2:1 counts down)
    residues = {0, 1} | {i * i % p for i in (range(2, half + 1) if half >= 2 else (2, 1))}
    m = np.add.outer(np.arange(p), np.arange(p)) % p
    core = np.where(np.isin(m, sorted(residues)), 0, 1).astype(np.int8)
    out = np.ones((p + 1, p + 1), dtype=np.int8)
    out[1:, 1:] = core
    return out


def paley(n: int, nmax: int | None = None) -> np.ndarray | None:
    """R's ``survey::paley(n, nmax)``: a Paley-type Hadamard matrix with more than ``n`` rows
    and at most ``nmax`` (default ``2 n``), or None when R's rules find none."""
    nmax = 2 * n if nmax is None else nmax
    nceil = nn = n + 4 - n % 4
    if n % 4 + 4 == n % 8:
        while nn % 8 == 0:
            nn //= 2
        if nn - 1 in _SMALL_PRIMES:
            m = _paley_prime(nn - 1)
            while nn < nceil:
                m = _double(m)
                nn *= 2
            return m
    if n > _PALEY_LIMIT:
        return None
    p = min(q for q in _SMALL_PRIMES if q >= n)
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return paley(nceil + 3)
    if p > nmax:
        return None
    return _paley_prime(p)


def hadamard(n: int) -> np.ndarray:
    """R's ``survey::hadamard(n)``: a 0/1 Hadamard matrix with at least ``n + 1`` rows (BRR
    of ``n`` strata uses its rows 2 to n + 1; its columns are the replicates)."""
    m = n - n % 4
    stored = [i for i, s in enumerate(_SIZES) if m < s <= m + 4]
    if stored:
        return _stored(min(stored))
    if all(m < s for s in _SIZES):
        return _stored(0)
    sizes = [s * 2 ** max(0, math.ceil(math.log2((n + 1) / s))) for s in _SIZES]
    best = int(np.argmin([s - n for s in sizes]))
    h = paley(n, sizes[best]) if sizes[best] - n > 4 else None
    if h is None:
        h = _stored(best)
        for _ in range(math.ceil(math.log2(sizes[best] / _SIZES[best]))):
            h = _double(h)
    return h


def is_hadamard(h: np.ndarray) -> bool:
    """A 0/1 square matrix whose +-1 version has orthogonal columns (R's ``is.hadamard(H,
    full.orthogonal.balance = FALSE)``)."""
    if h.ndim != 2 or h.shape[0] != h.shape[1]:
        return False
    pm = 2.0 * h - 1.0
    return bool(np.allclose(pm.T @ pm, h.shape[0] * np.eye(h.shape[0])))


def user_hadamard(matrix: npt.ArrayLike, strata: int) -> np.ndarray:
    """A Hadamard matrix given by the user (argument ``hadamard_matrix``), as R's
    ``brrweights(hadamard.matrix=)`` reads it: any two values, the first met in column order
    taken as 0, at least ``strata + 1`` rows."""
    h = np.asarray(matrix)
    if h.ndim != 2 or h.shape[0] < strata + 1:
        raise ConfigError(f"hadamard_matrix: must be a matrix of at least {strata + 1} rows "
                          f"(the strata plus one), not of shape {h.shape}",
                          argument="hadamard_matrix")
    values = list(dict.fromkeys(h.T.reshape(-1).tolist()))
    if len(values) != 2:
        raise ConfigError(f"hadamard_matrix: must have exactly two distinct values, not "
                          f"{len(values)}", argument="hadamard_matrix")
    h01 = np.where(h == values[0], 0, 1).astype(np.int8)
    if not is_hadamard(h01):
        raise ConfigError("hadamard_matrix: is not a Hadamard matrix (its columns, as +-1, "
                          "are not orthogonal)", argument="hadamard_matrix")
    return h01


def r_text(label: object) -> str:
    """A stratum label as R's ``as.character`` writes it (a whole float without ".0")."""
    if isinstance(label, float | np.floating) and float(label).is_integer():
        return str(int(label))
    return str(label)


def brr_factors(psu_strata: Sequence[object], fay_rho: float = 0.0,
                hadamard_matrix: npt.ArrayLike | None = None) -> np.ndarray:
    """R's ``brrweights(strata, psu, fay.rho=)``: the (PSUs x replicates) weight factors, PSUs
    in order of first appearance (``psu_strata``: the stratum label of each). In replicate r,
    pseudo-stratum k (a pair of PSUs) keeps one PSU at factor ``2 - rho`` and the other at
    ``rho``, the half chosen by row k + 1 of the Hadamard matrix."""
    labels = [r_text(s) for s in psu_strata]
    sizes: dict[str, int] = {}
    for s in labels:
        sizes[s] = sizes.get(s, 0) + 1
    for s in sorted(sizes):
        if sizes[s] < 2:
            raise ConfigError(f"type: BRR needs at least 2 PSUs in every stratum; stratum "
                              f"{s!r} has 1 (R: \"Some strata have fewer than 2 PSUs\")",
                              argument="type")
        if sizes[s] % 2:
            raise ConfigError(f"type: BRR needs 2 PSUs per stratum (R splits a stratum of 4, "
                              f"6, ... into pairs); stratum {s!r} has {sizes[s]} (R: \"Can't "
                              "split with odd numbers of PSUs in a stratum\")", argument="type")
    # pseudo-strata: R numbers the split (large) strata first, then the pairs, each in sorted
    # order; within a stratum PSUs by first appearance, paired consecutively
    order = sorted(range(len(labels)), key=lambda j: labels[j])  # stable: first appearance
    position = np.zeros(len(labels), dtype=np.int64)
    seen: dict[str, int] = {}
    for j in order:
        position[j] = seen.get(labels[j], 0)
        seen[labels[j]] = position[j] + 1
    first = {s: 0 for s in sizes}
    upto = 0
    for group in ([s for s in sorted(sizes) if sizes[s] > 2],
                  [s for s in sorted(sizes) if sizes[s] == 2]):
        for s in group:
            first[s] = upto
            upto += sizes[s] // 2
    pseudo = np.array([first[s] for s in labels]) + position // 2
    h = hadamard(upto) if hadamard_matrix is None else user_hadamard(hadamard_matrix, upto)
    signs = h[1 + pseudo, :]  # (PSUs, replicates)
    keep = (position % 2)[:, None] != signs
    return np.where(keep, 2.0 - fay_rho, fay_rho)
