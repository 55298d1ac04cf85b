"""The delta method for derived quantities (prevalences, gaps, differences).

For ``g(theta)`` with Jacobian ``G = dg/dtheta`` at the estimate, ``Var(g) ≈ G V G'``.
"""

from __future__ import annotations

import numpy as np


def delta_cov(jacobian: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``G V G'`` for a Jacobian ``G`` of shape ``(m, k)`` (or ``(k,)`` for a scalar g)."""
    G = np.atleast_2d(np.asarray(jacobian, dtype=float))
    V = G @ np.asarray(cov, dtype=float) @ G.T
    return V


def delta_se(gradient: np.ndarray, cov: np.ndarray) -> float:
    """Standard error of a scalar ``g(theta)`` with gradient ``gradient``."""
    v = float(delta_cov(gradient, cov)[0, 0])
    return float(np.sqrt(max(v, 0.0)))
