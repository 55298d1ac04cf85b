"""Data-generating process of the standard list experiment (Imai 2011 binomial model).

Respondent ``i`` with covariates ``x_i`` (an intercept first) holds the sensitive trait
``Z_i ~ Bernoulli(expit(x_i' delta))`` and would report ``Y*_i ~ Binomial(J, expit(x_i' psi_z))``
of the ``J`` control items (``psi_1 = psi_0`` unless ``psi1`` is given). A random share
``treat_share`` gets the list with the sensitive item and reports ``Y*_i + Z_i``; the rest
report ``Y*_i``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = ["simulate_list"]


def simulate_list(
    n: int,
    J: int,
    delta: Sequence[float],
    psi: Sequence[float],
    psi1: Sequence[float] | None = None,
    covariates: np.ndarray
    | pd.DataFrame
    | Callable[[int, np.random.Generator], np.ndarray]
    | None = None,
    treat_share: float = 0.5,
    seed: int | np.random.Generator | None = None,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Simulate ``n`` respondents of a standard list experiment with ``J`` control items.

    ``delta`` and ``psi`` (and ``psi1``) are coefficient vectors: intercept first, then one
    per covariate. ``covariates`` is an ``(n, k-1)`` array or frame, a function
    ``(n, rng) -> array``, or ``None`` for independent standard normal covariates (as many as
    ``len(delta) - 1``). Returns a frame with ``y``, ``treat``, the covariates (``x1, x2, ...``
    unless ``names``), the latent trait ``z`` and its probability ``prob_z``; ``attrs`` holds
    ``prevalence`` (the sample mean of ``prob_z``, the estimand of the prevalence estimators),
    ``J`` and the true coefficients.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    delta = np.asarray(delta, dtype=float)
    psi = np.asarray(psi, dtype=float)
    psi_1 = psi if psi1 is None else np.asarray(psi1, dtype=float)
    k = delta.size
    if psi.size != k or psi_1.size != k:
        raise ValueError("delta, psi and psi1 need the same length (intercept + covariates)")
    if not 0 < treat_share < 1:
        raise ValueError("treat_share must lie strictly between 0 and 1")
    if covariates is None:
        Z = rng.standard_normal((n, k - 1))
    elif callable(covariates):
        Z = np.asarray(covariates(n, rng), dtype=float).reshape(n, -1)
    else:
        if isinstance(covariates, pd.DataFrame) and names is None:
            names = [str(c) for c in covariates.columns]
        Z = np.asarray(covariates, dtype=float).reshape(n, -1)
    if Z.shape != (n, k - 1):
        raise ValueError(f"covariates must be ({n}, {k - 1}), got {Z.shape}")
    X = np.column_stack([np.ones(n), Z])
    prob_z = expit(X @ delta)
    z = (rng.random(n) < prob_z).astype(np.int64)
    p = np.where(z == 1, expit(X @ psi_1), expit(X @ psi))
    ystar = rng.binomial(J, p)
    treat = (rng.random(n) < treat_share).astype(np.int64)
    y = ystar + treat * z
    cols = list(names) if names is not None else [f"x{j}" for j in range(1, k)]
    if len(cols) != k - 1:
        raise ValueError(f"names must have {k - 1} entries")
    out = pd.DataFrame({"y": y, "treat": treat})
    for j, c in enumerate(cols):
        out[c] = Z[:, j]
    out["z"] = z
    out["prob_z"] = prob_z
    out.attrs.update(
        {
            "prevalence": float(prob_z.mean()),
            "J": int(J),
            "delta": delta.tolist(),
            "psi": psi.tolist(),
            "psi1": psi_1.tolist(),
        }
    )
    return out
