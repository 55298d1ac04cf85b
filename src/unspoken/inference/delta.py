"""The delta method for derived quantities (prevalences, gaps, differences).

For ``g(theta)`` with Jacobian ``G = dg/dtheta`` at the estimate, ``Var(g) ≈ G V G'``.
Every variance of a derived quantity in unspoken is computed here; a linear combination
``c' theta`` is the special case ``G = c``. Where no analytic Jacobian is written,
:func:`numeric_jacobian` gives one by central differences.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from unspoken.results import Estimate

#: relative step of :func:`numeric_jacobian` (``h_j = step * max(1, |theta_j|)``)
JACOBIAN_STEP = 1e-6


def delta_cov(jacobian: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``G V G'`` for a Jacobian ``G`` of shape ``(m, k)`` (or ``(k,)`` for a scalar g)."""
    G = np.atleast_2d(np.asarray(jacobian, dtype=float))
    return G @ np.asarray(cov, dtype=float) @ G.T


def delta_var(gradient: np.ndarray, cov: np.ndarray) -> float:
    """``g' V g`` for the gradient ``g`` (shape ``(k,)``) of a scalar quantity (not clipped)."""
    g = np.asarray(gradient, dtype=float)
    return float(g @ np.asarray(cov, dtype=float) @ g)


def delta_se(gradient: np.ndarray, cov: np.ndarray) -> float:
    """Standard error of a scalar ``g(theta)`` with gradient ``gradient`` (a negative
    variance from rounding counts as 0)."""
    return float(np.sqrt(max(delta_var(gradient, cov), 0.0)))


def delta_var_rows(jacobian: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """The diagonal of ``G V G'`` (each row's variance) without forming the ``m x m``
    matrix: for one derived quantity per row, e.g. a prediction per respondent. Leading
    dimensions are a batch: ``G`` of shape ``(..., m, p)`` with ``V`` of shape
    ``(..., p, p)`` gives ``(..., m)`` (e.g. one fit per quadrature node)."""
    G = np.asarray(jacobian, dtype=float)
    return np.einsum("...ij,...jk,...ik->...i", G, np.asarray(cov, dtype=float), G)


def delta_se_rows(jacobian: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Standard errors of the rows of ``G theta`` (square roots of :func:`delta_var_rows`,
    negative rounding clipped to 0)."""
    return np.sqrt(np.maximum(delta_var_rows(jacobian, cov), 0.0))


def independent_se(*std_errors: float) -> float:
    """Standard error of a sum or difference of independent estimates: the delta method
    with a diagonal covariance, ``sqrt(sum se_j^2)``."""
    s = np.asarray(std_errors, dtype=float)
    return float(np.sqrt(delta_var(np.ones(len(s)), np.diag(s * s))))


def numeric_jacobian(
    f: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    step: float = JACOBIAN_STEP,
) -> np.ndarray:
    """Jacobian ``(m, k)`` of ``f`` at ``theta`` by central differences, the step of
    parameter ``j`` scaled to it, ``h_j = step * max(1, |theta_j|)`` (so a parameter of
    order 1 or less moves by ``step``). A scalar ``f`` gives a ``(1, k)`` row."""
    theta = np.asarray(theta, dtype=float)
    cols = []
    for j in range(theta.size):
        h = step * max(1.0, abs(float(theta[j])))
        e = np.zeros_like(theta)
        e[j] = h
        hi = np.atleast_1d(np.asarray(f(theta + e), dtype=float))
        lo = np.atleast_1d(np.asarray(f(theta - e), dtype=float))
        cols.append((hi - lo) / (2 * h))
    return np.column_stack(cols) if cols else np.empty((0, 0))


def delta_estimate(
    value: float,
    gradient: np.ndarray,
    cov: np.ndarray,
    level: float = 0.95,
    n: int | None = None,
    label: str | None = None,
    crit: float | None = None,
) -> Estimate:
    """An :class:`~unspoken.results.Estimate` of ``value`` with the delta-method standard
    error from ``gradient`` and ``cov`` and a Wald interval (``crit`` as
    :meth:`Estimate.from_se`)."""
    return Estimate.from_se(value, delta_se(gradient, cov), level, n, label, crit)
