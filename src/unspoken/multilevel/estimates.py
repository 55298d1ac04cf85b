"""Per-area estimates and random-effect SDs of a fitted multilevel model (the formulas are
in :mod:`unspoken.multilevel.fit`'s docstring): the empirical-Bayes shares with posterior
plus delta-method variances, the raw (no-pooling) estimates under the small-cell rule, the
shrinkage, and the joint logit-scale normal approximation behind
:meth:`~unspoken.multilevel.results.MultilevelListFit.area_draws`."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from unspoken.results import Estimate, z_value

__all__ = ["area_estimates", "sd_estimates"]


def _logit_interval(share, lmean, lvar, var, level, n):
    """Estimates with Wald intervals on the logit scale."""
    half = z_value(level) * np.sqrt(lvar)
    lo, hi = expit(lmean - half), expit(lmean + half)
    return [
        Estimate(float(share[a]), float(np.sqrt(var[a])), float(lo[a]), float(hi[a]), int(n[a]),
                 level=level)
        for a in range(len(share))
    ]  # fmt: skip


def area_estimates(
    model: Any,
    nodes: Any,
    theta: np.ndarray,
    free: np.ndarray,
    cov: np.ndarray,
    raw: dict[str, np.ndarray],
    labels: list[Any],
    national: float,
    level: float,
    min_n: int,
) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """The :class:`~unspoken.multilevel.results.AreaEstimate` of every area, and the mean
    and covariance of the areas' logit shares (hidden, then direct) for joint draws."""
    from unspoken.inference.delta import delta_var_rows, numeric_jacobian
    from unspoken.multilevel.results import AreaEstimate
    from unspoken.smallcells import arm_minimum

    qs = ("hidden", "direct") if model.has_direct else ("hidden",)

    def post(th: np.ndarray) -> np.ndarray:
        full = theta.copy()
        full[free] = th
        m = model.shares(full, nodes)
        return np.concatenate([m[q][i] for q in qs for i in (0, 2)])

    mom = model.shares(theta, nodes)
    A = model.A
    G = numeric_jacobian(post, theta[free])
    rows = {q: (G[2 * i * A : (2 * i + 1) * A], G[(2 * i + 1) * A : (2 * i + 2) * A])
            for i, q in enumerate(qs)}  # fmt: skip
    n = model.n_area.astype(int)
    est = {}
    for q in qs:
        Gs, Gl = rows[q]
        var = mom[q][1] + np.maximum(delta_var_rows(Gs, cov), 0)
        lvar = mom[q][3] + np.maximum(delta_var_rows(Gl, cov), 0)
        est[q] = _logit_interval(mom[q][0], mom[q][2], lvar, var, level, n)
    logit_mean = np.concatenate([mom[q][2] for q in qs])
    Gl = np.vstack([rows[q][1] for q in qs])
    post_cov = np.diag(np.concatenate([mom[q][3] for q in qs]))
    gaps = [None] * A
    if model.has_direct:
        post_cov[np.arange(A), A + np.arange(A)] = mom["cov_logit"]
        post_cov[A + np.arange(A), np.arange(A)] = mom["cov_logit"]
        Gg = rows["hidden"][0] - rows["direct"][0]
        gvar = mom["gap"][1] + np.maximum(delta_var_rows(Gg, cov), 0)
        gse = np.sqrt(gvar)
        z = z_value(level)
        gaps = [
            Estimate(float(m), float(s), float(m - z * s), float(m + z * s), int(na), level=level)
            for m, s, na in zip(mom["gap"][0], gse, n, strict=True)
        ]
    logit_cov = Gl @ cov @ Gl.T + post_cov
    arm_min = max(arm_minimum(min_n), 1)
    areas = []
    for a in range(A):
        shown = n[a] >= min_n and min(raw["n1"][a], raw["n0"][a]) >= arm_min
        r = float(raw["hidden"][a]) if shown and np.isfinite(raw["hidden"][a]) else None
        pull = None
        share = est["hidden"][a].estimate
        if r is not None and abs(r - national) > 1e-12:
            pull = float((r - share) / (r - national))
        direct = raw_direct = None
        if model.has_direct:
            direct = est["direct"][a]
            rd = raw["direct"][a]
            raw_direct = float(rd) if raw["nd"][a] >= min_n and np.isfinite(rd) else None
        areas.append(
            AreaEstimate(labels[a], est["hidden"][a], int(n[a]), r, pull, direct, gaps[a],
                         raw_direct)
        )  # fmt: skip
    return areas, logit_mean, logit_cov


def _positive(value: float, se_log: float, level: float) -> Estimate:
    """A positive quantity from its log: s.e. by the delta method, interval on the log
    scale."""
    z = z_value(level)
    lo, hi = float(value * np.exp(-z * se_log)), float(value * np.exp(z * se_log))
    return Estimate(float(value), float(value * se_log), lo, hi, level=level)


def sd_estimates(
    model: Any, theta: np.ndarray, cov_full: np.ndarray, at_zero: list[bool], level: float
) -> dict[str, Estimate]:
    """The SDs of the area effects (``sensitive``, ``control``, ``slope``, ``direct``) and
    the correlation of the hidden and said area effects (``correlation``; interval on the
    Fisher-z scale), by the delta method from the loadings' covariance."""
    from unspoken.inference.delta import delta_var_rows, numeric_jacobian

    r = model.n_index * model.k
    nan = Estimate(0.0, np.nan, np.nan, np.nan, level=level)
    out: dict[str, Estimate] = {}
    for m, ld in enumerate(model.loadings):
        if ld.log and ld.name != "direct":
            var = cov_full[r + m, r + m]
            out[ld.name] = nan if at_zero[m] else _positive(
                float(np.exp(theta[r + m])), float(np.sqrt(max(var, 0.0))), level
            )  # fmt: skip
    if model.has_direct and not model.correlated:
        m = len(model.loadings) - 1
        out["direct"] = _positive(
            float(np.exp(theta[r + m])), float(np.sqrt(max(cov_full[r + m, r + m], 0.0))), level
        )
    elif model.has_direct:
        iu, il = r + len(model.loadings) - 2, r + len(model.loadings) - 1

        def derived(th: np.ndarray) -> np.ndarray:
            lwu, lww = th[iu], np.exp(th[il])
            sd = np.hypot(lwu, lww)
            return np.array([np.log(sd), np.arctanh(np.clip(lwu / sd, -1 + 1e-12, 1 - 1e-12))])

        val = derived(theta)
        G = numeric_jacobian(derived, theta)
        se = np.sqrt(np.maximum(delta_var_rows(G, cov_full), 0))
        out["direct"] = _positive(float(np.exp(val[0])), float(se[0]), level)
        if at_zero[0]:
            out["correlation"] = Estimate(np.nan, np.nan, np.nan, np.nan, level=level)
        else:
            z = z_value(level)
            rho = float(np.tanh(val[1]))
            out["correlation"] = Estimate(
                rho,
                float(se[1] * (1 - rho**2)),
                float(np.tanh(val[1] - z * se[1])),
                float(np.tanh(val[1] + z * se[1])),
                level=level,
            )
    return out
