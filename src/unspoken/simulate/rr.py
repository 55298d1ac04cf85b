"""Data-generating process of a randomized response item with covariates.

Respondent ``i`` with covariates ``x_i`` (an intercept first) holds the hidden trait
``Z_i ~ Bernoulli(expit(x_i' beta))`` and gives the answer ``Y_i ~ Bernoulli(a + b Z_i)``
of the design (:mod:`unspoken.rr.designs`), i.e. the randomising device is simulated
through the answer probabilities ``P(Y=1 | Z=0) = a`` and ``P(Y=1 | Z=1) = a + b``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.rr.designs import RRDesign, make_design

__all__ = ["population_prevalence", "simulate_rr"]


def population_prevalence(beta: Sequence[float], n_nodes: int = 80) -> float:
    """``E[expit(x' beta)]`` for independent standard normal covariates: ``x' beta`` is
    ``N(beta_0, sum_{j>0} beta_j^2)``, integrated by Gauss-Hermite quadrature."""
    b = np.asarray(beta, dtype=float)
    sd = float(np.sqrt(np.sum(b[1:] ** 2)))
    nodes, wts = np.polynomial.hermite_e.hermegauss(n_nodes)
    return float(np.sum(wts * expit(b[0] + sd * nodes)) / np.sqrt(2 * np.pi))


def simulate_rr(
    n: int,
    design: str | RRDesign,
    beta: Sequence[float],
    seed: int | np.random.Generator | None = None,
    answer: str = "y",
    **design_params: float,
) -> pd.DataFrame:
    """Simulate ``n`` answers to a randomized response item.

    ``beta`` = intercept, then one coefficient per covariate; the covariates ``x1, x2, ...``
    are independent standard normal. Returns a frame with the answer (column ``answer``),
    the covariates, the hidden trait ``z`` and its probability ``prob_z``; ``attrs`` holds
    ``prevalence`` (the sample mean of ``prob_z``), ``population_prevalence``
    (``E[prob_z]``), ``beta`` and the design.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    d = make_design(design, **design_params)
    b = np.asarray(beta, dtype=float)
    X = rng.standard_normal((n, b.size - 1))
    prob = expit(b[0] + X @ b[1:])
    z = (rng.random(n) < prob).astype(np.int64)
    y = (rng.random(n) < np.where(z == 1, d.pi1, d.pi0)).astype(np.int64)
    out = pd.DataFrame({answer: y})
    for j in range(X.shape[1]):
        out[f"x{j + 1}"] = X[:, j]
    out["z"] = z
    out["prob_z"] = prob
    out.attrs.update(
        prevalence=float(prob.mean()),
        population_prevalence=population_prevalence(b),
        beta=b.tolist(),
        design=d.to_dict(),
    )
    return out
