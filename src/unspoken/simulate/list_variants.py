"""Data-generating processes for list-experiment variants with a known truth: ceiling and
floor liars (Blair & Imai 2012), top-coded and uniform response errors (Blair, Chou & Imai
2019), overdispersed (beta-binomial) control counts, two sensitive items.

All take ``seed`` (an int or a ``numpy.random.Generator``) and return ``(frame, truth)``;
covariates are ``x1 ~ N(0, 1)`` and ``x2 ~ Bernoulli(0.5)``, the treatment column ``treat``
(0 = control; ``"control"``, ``"a"``, ``"b"`` for two items), the count ``y``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import binom


def _base(n: int, rng: np.random.Generator, arms: int = 2):
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, n)
    X = np.column_stack([np.ones(n), x1, x2])
    t = rng.integers(0, arms, n)
    return X, x1, x2, t


def simulate_liars(
    n: int = 5000,
    J: int = 3,
    delta: tuple[float, float, float] = (-0.5, 0.6, -0.4),
    psi: tuple[float, float, float] = (0.3, 0.4, -0.3),
    ceiling: float | None = 0.4,
    floor: float | None = 0.3,
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Standard design with ceiling liars (share ``ceiling`` of treated respondents with
    ``Y*(0) = J`` and the trait answer ``J``) and floor liars (share ``floor`` of those with
    ``Y*(0) = 0`` and the trait answer 0). Liar shares are constant (intercept-only)."""
    rng = np.random.default_rng(seed)
    X, x1, x2, t = _base(n, rng)
    g = expit(X @ np.asarray(delta))
    z = rng.random(n) < g
    y0 = rng.binomial(J, expit(X @ np.asarray(psi)))
    y = y0 + t * z
    u = rng.random(n)
    if ceiling is not None:
        y = np.where((t == 1) & z & (y0 == J) & (u < ceiling), J, y)
    if floor is not None:
        y = np.where((t == 1) & z & (y0 == 0) & (u < floor), 0, y)
    df = pd.DataFrame({"y": y, "treat": t, "x1": x1, "x2": x2})
    truth = {
        "sensitive": np.asarray(delta),
        "control": np.asarray(psi),
        "ceiling": None if ceiling is None else float(np.log(ceiling / (1 - ceiling))),
        "floor": None if floor is None else float(np.log(floor / (1 - floor))),
        "prevalence": float(g.mean()),
    }
    return df, truth


def simulate_response_error(
    n: int = 5000,
    J: int = 3,
    error: str = "topcoded",
    delta: tuple[float, float, float] = (-0.5, 0.6, -0.4),
    psi: tuple[float, float, float] = (0.3, 0.4, -0.3),
    p: float = 0.05,
    p0: float = 0.05,
    p1: float = 0.08,
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Standard design with top-coded (share ``p`` answer ``J + T``) or uniform (shares
    ``p0``/``p1`` answer uniformly on ``0..J + T``) response errors."""
    rng = np.random.default_rng(seed)
    X, x1, x2, t = _base(n, rng)
    g = expit(X @ np.asarray(delta))
    z = rng.random(n) < g
    y = rng.binomial(J, expit(X @ np.asarray(psi))) + t * z
    u = rng.random(n)
    if error in ("topcoded", "topcode"):
        y = np.where(u < p, J + t, y)
        err = {"p": float(np.log(p / (1 - p)))}
    else:
        share = np.where(t == 1, p1, p0)
        y = np.where(u < share, rng.integers(0, J + 1 + t), y)
        err = {"p0": float(np.log(p0 / (1 - p0))), "p1": float(np.log(p1 / (1 - p1)))}
    df = pd.DataFrame({"y": y, "treat": t, "x1": x1, "x2": x2})
    truth = {
        "sensitive": np.asarray(delta),
        "control": np.asarray(psi),
        "error": err,
        "prevalence": float(g.mean()),
    }
    return df, truth


def simulate_overdispersed(
    n: int = 5000,
    J: int = 4,
    delta: tuple[float, float, float] = (-0.5, 0.6, -0.4),
    psi: tuple[float, float, float] = (0.3, 0.4, -0.3),
    rho: float = 0.15,
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Standard design whose control counts are beta-binomial with mean ``J expit(x' psi)``
    and intra-respondent correlation ``rho``."""
    rng = np.random.default_rng(seed)
    X, x1, x2, t = _base(n, rng)
    g = expit(X @ np.asarray(delta))
    z = rng.random(n) < g
    mu = expit(X @ np.asarray(psi))
    theta = (1 - rho) / rho
    prob = rng.beta(mu * theta, (1 - mu) * theta)
    y = rng.binomial(J, prob) + t * z
    df = pd.DataFrame({"y": y, "treat": t, "x1": x1, "x2": x2})
    truth = {
        "sensitive": np.asarray(delta),
        "control": np.asarray(psi),
        "overdispersion": float(np.log(rho / (1 - rho))),
        "prevalence": float(g.mean()),
    }
    return df, truth


def simulate_multi(
    n: int = 5000,
    J: int = 3,
    psi: tuple[float, float, float] = (0.3, 0.4, -0.3),
    beta_a: tuple[float, float, float] = (-0.95, 0.6, -0.4),
    level_a: float = 0.3,
    beta_b: tuple[float, float, float] = (-1.0, 0.2, 0.5),
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Two sensitive items (arms ``"control"``, ``"a"``, ``"b"`` of ``treat``): control count
    ``Y(0) ~ Binomial(J, expit(x' psi))``; item a held with probability
    ``expit(x' beta_a + level_a Y(0))`` (R ``multi.condition = "level"``), item b with
    ``expit(x' beta_b)``. ``truth["prevalence"]`` is the sample mean of each item's
    probability given ``x`` (summed over ``Y(0)`` for item a)."""
    rng = np.random.default_rng(seed)
    X, x1, x2, t = _base(n, rng, arms=3)
    p = expit(X @ np.asarray(psi))
    y0 = rng.binomial(J, p)
    u = rng.random(n)
    z_a = u < expit(X @ np.asarray(beta_a) + level_a * y0)
    z_b = u < expit(X @ np.asarray(beta_b))
    y = y0 + np.where(t == 1, z_a, 0) + np.where(t == 2, z_b, 0)
    df = pd.DataFrame({"y": y, "treat": np.array(["control", "a", "b"])[t], "x1": x1, "x2": x2})
    k = np.arange(J + 1)
    h_a = expit((X @ np.asarray(beta_a))[:, None] + level_a * k)  # P(Z_a = 1 | x, Y(0) = k)
    prob_a = (binom.pmf(k, J, p[:, None]) * h_a).sum(1)
    truth = {
        "sensitive.a": np.r_[beta_a, level_a],
        "sensitive.b": np.asarray(beta_b),
        "control": np.asarray(psi),
        "prevalence": [float(prob_a.mean()), float(expit(X @ np.asarray(beta_b)).mean())],
    }
    return df, truth
