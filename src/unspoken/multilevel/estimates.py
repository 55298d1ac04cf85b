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

__all__ = ["area_estimates", "logit_interval", "sd_estimates"]


def logit_interval(share, lmean, lvar, var, level, n=None) -> list[Estimate]:
    """Estimates (one per area; ``n`` respondents each, if given) with Wald intervals on
    the logit scale."""
    half = z_value(level) * np.sqrt(lvar)
    lo, hi = expit(lmean - half), expit(lmean + half)
    return [
        Estimate(float(share[a]), float(np.sqrt(var[a])), float(lo[a]), float(hi[a]),
                 None if n is None else int(n[a]), level=level)
        for a in range(len(share))
    ]  # fmt: skip


def cubature_points(center: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """The ``2p`` points of the degree-3 spherical cubature rule for ``N(center, cov)``
    (``center ± sqrt(p)`` times the columns of a square root of ``cov``; equal weights
    ``1/(2p)``): exact for the mean of every polynomial of degree ≤ 3 (Genz & Monahan 1998,
    the "unscented" points of Julier & Uhlmann)."""
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    root = vecs * np.sqrt(np.maximum(vals, 0.0))
    offsets = np.sqrt(len(center)) * root.T
    return np.vstack([center + offsets, center - offsets])


def over_theta(fn, model: Any, nodes: Any, theta: np.ndarray, free: np.ndarray, cov):
    """``fn(full_theta, nodes)`` (posterior moments given theta) at the estimate and at the
    cubature points of the approximate posterior ``N(theta^, cov)`` of the free parameters,
    the nodes re-centred at each point: ``(at the estimate, [at each point])``. The
    estimate's moments give the empirical-Bayes estimate; the points, the variance it
    gains from the uncertainty of theta (the total variance is the mean conditional
    variance plus the variance of the conditional means: Kass & Steffey 1989, with a
    cubature in place of their first-order delta method)."""
    out = []
    for pt in cubature_points(theta[free], cov):  # 2p points: a loop over parameters
        full = theta.copy()
        full[free] = pt
        out.append(fn(full, model.adapt(full, nodes.mode)))
    return fn(theta, nodes), out


def total_moments(
    center: np.ndarray, means: np.ndarray, variances: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The estimate (the conditional mean at theta^, ``center``) and its total variance:
    the mean conditional variance plus the variance of the conditional means over the
    equally weighted points (axis 0)."""
    return center, variances.mean(0) + means.var(0)


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
    and covariance of the areas' logit shares (hidden, then direct) for joint draws. Each
    share's moments given theta (:meth:`~unspoken.multilevel.model.MultilevelListModel.
    shares`) are integrated over theta by :func:`over_theta`."""
    qs = ("hidden", "direct") if model.has_direct else ("hidden",)
    at, pts = over_theta(model.shares, model, nodes, theta, free, cov)
    A = model.A
    n = model.n_area.astype(int)
    est: dict[str, list[Any]] = {}
    lmeans = []
    for q in qs:
        mom = np.stack([p[q] for p in pts])  # (points, 4, A)
        m, v = total_moments(at[q][0], mom[:, 0], mom[:, 1])
        lm, lv = total_moments(at[q][2], mom[:, 2], mom[:, 3])
        est[q] = logit_interval(m, lm, lv, v, level, n)
        lmeans.append(mom[:, 2])
    L = np.concatenate(lmeans, axis=1)  # (points, qA) conditional logit means
    logit_mean = np.concatenate([at[q][2] for q in qs])
    post_cov = np.diag(np.concatenate([np.stack([p[q][3] for p in pts]).mean(0) for q in qs]))
    gaps: list[Any] = [None] * A
    if model.has_direct:
        c = np.stack([p["cov_logit"] for p in pts]).mean(0)
        post_cov[np.arange(A), A + np.arange(A)] = c
        post_cov[A + np.arange(A), np.arange(A)] = c
        g = np.stack([p["gap"] for p in pts])
        gm, gv = total_moments(at["gap"][0], g[:, 0], g[:, 1])
        gaps = [
            Estimate.from_se(m, np.sqrt(v), level, int(na))
            for m, v, na in zip(gm, gv, n, strict=True)
        ]
    logit_cov = np.cov(L, rowvar=False, bias=True) + post_cov
    est["gap"] = gaps
    areas = area_records(est, raw, labels, national, min_n, model.has_direct)
    return areas, logit_mean, logit_cov


def area_records(
    est: dict[str, list[Any]],
    raw: dict[str, np.ndarray],
    labels: list[Any],
    national: float,
    min_n: int,
    has_direct: bool,
) -> list[Any]:
    """One :class:`~unspoken.multilevel.results.AreaEstimate` per area from its
    model-based estimates ``est`` ("hidden" [, "direct", "gap"]: lists of Estimates) and
    its raw (no-pooling) estimates ``raw``, shown only under the small-cell rule; the
    shrinkage toward ``national``."""
    from unspoken.multilevel.results import AreaEstimate
    from unspoken.smallcells import arm_minimum

    arm_min = max(arm_minimum(min_n), 1)
    areas = []
    for a in range(len(labels)):
        e = est["hidden"][a]
        shown = e.n >= min_n and min(raw["n1"][a], raw["n0"][a]) >= arm_min
        r = float(raw["hidden"][a]) if shown and np.isfinite(raw["hidden"][a]) else None
        pull = None
        if r is not None and abs(r - national) > 1e-12:
            pull = float((r - e.estimate) / (r - national))
        direct = gap = raw_direct = None
        if has_direct:
            direct, gap = est["direct"][a], est["gap"][a]
            rd = raw["direct"][a]
            raw_direct = float(rd) if raw["nd"][a] >= min_n and np.isfinite(rd) else None
        areas.append(AreaEstimate(labels[a], e, int(e.n), r, pull, direct, gap, raw_direct))
    return areas


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
