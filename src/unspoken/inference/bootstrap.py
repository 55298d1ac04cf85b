"""The bootstrap variance (``vcov="bootstrap"``): refits on resampled respondents, or on
whole clusters resampled within strata, and the check of the number of resamples."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import SurveyDesign, _whole_number, check_seed

__all__ = [
    "FEW_BOOTSTRAP_REPS",
    "MAX_BOOTSTRAP_REPS",
    "MIN_BOOTSTRAP_REPS",
    "bootstrap_cov",
    "check_bootstrap_reps",
]

#: the fewest bootstrap resamples accepted, and the number below which a warning says the
#: standard errors are themselves noisy (the s.e. of a bootstrap s.e. is about se/sqrt(2B))
MIN_BOOTSTRAP_REPS = 2
FEW_BOOTSTRAP_REPS = 100
#: the most bootstrap resamples accepted: the Monte Carlo error of a bootstrap s.e. is then
#: below 0.3% of it, and far larger numbers only run for hours (or exhaust memory)
MAX_BOOTSTRAP_REPS = 100_000


def check_bootstrap_reps(reps: object) -> int:
    """The number of bootstrap resamples as an int: a whole number from
    :data:`MIN_BOOTSTRAP_REPS` to :data:`MAX_BOOTSTRAP_REPS` (:class:`UnsupportedError`
    otherwise); warns below :data:`FEW_BOOTSTRAP_REPS`. Every bootstrap
    (:func:`bootstrap_cov`) checks it here."""
    k = _whole_number(reps)
    if k is None or not MIN_BOOTSTRAP_REPS <= k <= MAX_BOOTSTRAP_REPS:
        raise UnsupportedError(
            "the number of bootstrap resamples (bootstrap_reps; reps for rr_regression; "
            f"--reps on the command line) must be a whole number from {MIN_BOOTSTRAP_REPS} "
            f"to {MAX_BOOTSTRAP_REPS:,}, not {reps!r}",
            param="bootstrap_reps",
        )
    if k < FEW_BOOTSTRAP_REPS:
        warnings.warn(
            f"only {k} bootstrap resamples: the standard errors are themselves noisy; use "
            f"at least {FEW_BOOTSTRAP_REPS} (500 or more for intervals)",
            UserWarning,
            stacklevel=3,
        )
    return k


def bootstrap_cov(
    refit: Callable[[np.ndarray], np.ndarray],
    n: int,
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    design: SurveyDesign | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap covariance: ``refit(rows)`` returns the estimate on resampled ``rows``.

    Resamples respondents, or whole clusters within strata when a design has them (the
    with-replacement bootstrap of Rao & Wu 1988 without rescaling). Returns the covariance
    and the ``(reps, k)`` draws. ``reps`` and ``seed`` are checked by
    :func:`check_bootstrap_reps` and :func:`check_seed`.
    """
    reps = check_bootstrap_reps(reps)
    rng = np.random.default_rng(check_seed(seed))
    if design is not None and (design.cluster is not None or design.strata is not None):
        psu = design.cluster if design.cluster is not None else np.arange(n)
        strata = design.strata if design.strata is not None else np.zeros(n, dtype=np.int64)
        groups: list[list[np.ndarray]] = []  # per stratum, the rows of each PSU
        for h in np.unique(strata):
            in_h = np.flatnonzero(strata == h)
            ids, inv = np.unique(psu[in_h], return_inverse=True)
            order = np.argsort(inv, kind="stable")
            bounds = np.searchsorted(inv[order], np.arange(len(ids) + 1))
            groups.append([in_h[order[bounds[j] : bounds[j + 1]]] for j in range(len(ids))])
        draws = []
        for _ in range(reps):
            rows = np.concatenate(
                [np.concatenate([g[j] for j in rng.integers(0, len(g), len(g))]) for g in groups]
            )
            draws.append(refit(rows))
    else:
        draws = [refit(rng.integers(0, n, n)) for _ in range(reps)]
    D = np.asarray(draws, dtype=float)
    if D.ndim == 1:
        D = D[:, None]
    ok = np.all(np.isfinite(D), axis=1)
    if ok.sum() < 0.9 * reps:
        raise DataError(
            f"{reps - ok.sum()} of {reps} bootstrap refits failed; the bootstrap is unreliable"
        )
    return np.atleast_2d(np.cov(D[ok], rowvar=False)), D
