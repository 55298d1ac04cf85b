"""Steps shared by the single-item ML variants of the list experiment (ceiling/floor liars,
response errors, beta-binomial control counts): data checks and the choice of variance, the
standard model's MLE as starting values, the index derivatives of a mixture likelihood
(Louis' identity), the covariance (inverse information, sandwich or bootstrap), the
prevalence ``mean_i expit(x_i' delta)`` with its delta-method standard error, and shares
reported with a Wald interval on the logit scale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit

from unspoken.errors import ConvergenceError, UnsupportedError
from unspoken.inference.bootstrap import bootstrap_cov
from unspoken.inference.covariance import (
    SurveyDesign,
    resolve_offered_vcov,
    vcov_from_influence,
)
from unspoken.inference.delta import delta_estimate
from unspoken.inference.likelihood import fit_index_model
from unspoken.listexp.data import MultiData
from unspoken.listexp.ml import BinomialListModel, standard_start
from unspoken.options import Inference
from unspoken.results import Estimate, FitResult, optimum_fields, z_value


def single_item(what: str, d: MultiData, vcov: str | None) -> tuple[list[str], str]:
    """The notes of a one-item design's data and the variance kind to use (default
    ``"model"``, or what the survey design calls for); ``what`` names the model in the
    refusal of several sensitive items."""
    if d.K != 1:
        raise UnsupportedError(
            f"{what} for one sensitive item; the treatment has {d.K} treated values"
        )
    notes = list(d.notes)
    kind = resolve_offered_vcov("variant", vcov, d.design, notes, estimator="this model")
    return notes, kind


def standard_mle(d: MultiData) -> np.ndarray:
    """The constrained standard model's MLE ``(delta, psi)``: the variants' starting values."""
    w = d.design.weights
    base = BinomialListModel(d.y, d.t, d.X, d.J, True, w)
    res, _ = fit_index_model(base, standard_start(d.y, d.t, d.X, d.J, w), em_maxiter=5)
    return res.theta


def fit_cov(
    kind: str,
    theta: np.ndarray,
    model_cov: np.ndarray | None,
    influence: Callable[[], np.ndarray],
    refit: Callable[[np.ndarray], np.ndarray],
    design: SurveyDesign,
    inference: Inference,
    leverage: np.ndarray | None = None,
) -> np.ndarray:
    """The covariance of a fit's estimates ``theta`` by the variance ``kind``:
    ``model_cov`` (inverse information) for ``"model"``; for ``"bootstrap"`` the covariance
    of ``refit(rows)`` over ``inference.bootstrap_reps`` resamples of respondents or
    clusters (seed ``inference.seed``; a refit raising :class:`ConvergenceError` or meeting
    a singular matrix counts as failed); else the robust/cluster/survey sum of the influence
    values ``influence()`` (``leverage`` for hc2/hc3)."""
    if kind == "model":
        if model_cov is None:  # pragma: no cover - refused when the variance is chosen
            raise UnsupportedError("no model-based variance for this estimator")
        return np.asarray(model_cov, dtype=float)
    if kind == "bootstrap":

        def safe(rows: np.ndarray) -> np.ndarray:
            try:
                return refit(rows)
            except (ConvergenceError, np.linalg.LinAlgError):
                return np.full(len(theta), np.nan)  # counted as a failed refit by bootstrap_cov

        reps, seed = inference.bootstrap_reps, inference.seed
        return bootstrap_cov(safe, design.n, reps, seed, design)[0]
    psi = influence()
    return vcov_from_influence(psi, kind, design, psi.shape[1], leverage)  # type: ignore[arg-type]


def variant_result(
    d: MultiData,
    model: str,
    parts: list[str],
    terms: list[str],
    theta: np.ndarray,
    cov: np.ndarray,
    kind: str,
    level: float,
    optimum: Any,
    notes: list[str],
    extra: dict[str, Any],
) -> FitResult:
    """The result of a one-item ML variant: its estimates, the optimiser's report
    ``optimum`` (attributes or keys ``loglik``, ``converged``, ``iterations``,
    ``gradient_norm``) and the prevalence with its delta-method interval."""
    return FitResult(
        model=model,
        parts=parts,
        terms=terms,
        params_=theta,
        cov=cov,
        n=d.n,
        **optimum_fields(optimum),
        vcov_type=kind,
        prevalence=prevalence_estimate(d, theta, cov, level),
        notes=notes,
        extra={"J": d.J, **extra},
        level=level,
    )


def mean_prevalence(d: MultiData, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted mean of ``g_i = expit(x_i' delta)`` (``delta`` the first block of ``theta``)
    and its gradient in ``theta``."""
    k = d.X.shape[1]
    g = expit(d.X @ theta[:k])
    grad = np.zeros(len(theta))
    grad[:k] = np.average(d.X * (g * (1 - g))[:, None], axis=0, weights=d.w)
    return float(np.average(g, weights=d.w)), grad


def prevalence_estimate(d: MultiData, theta: np.ndarray, cov: np.ndarray, level: float) -> Estimate:
    """:func:`mean_prevalence` with its delta-method standard error and Wald interval."""
    value, grad = mean_prevalence(d, theta)
    return delta_estimate(value, grad, cov, level, d.n)


def logit_share(value: float, se: float, level: float, n: int | None = None) -> Estimate:
    """A share in (0, 1) with standard error ``se`` and the Wald interval built on the logit
    scale (``logit(v) -+ z se / (v (1 - v))``, transformed back, so it stays in [0, 1])."""
    v = min(max(value, 1e-12), 1 - 1e-12)
    lv = np.log(v / (1 - v))
    half = z_value(level) * se / (v * (1 - v))
    return Estimate(
        float(value), float(se), float(expit(lv - half)), float(expit(lv + half)), n, None, level
    )


def logit_share_from_logit(logit: float, se_logit: float, level: float) -> dict[str, float]:
    """A share estimated on the logit scale (estimate ``expit(logit)``, delta-method SE,
    interval ``expit(logit -+ z se_logit)``) as a plain dict, as R ``list`` reports ``p``
    and ``rho``."""
    p = float(expit(logit))
    return logit_share(p, p * (1 - p) * se_logit, level).to_dict()


def mixture_derivs(
    log_a: np.ndarray, s: np.ndarray, h: np.ndarray, order: int
) -> tuple[np.ndarray, list[np.ndarray] | None, dict[tuple[int, int], np.ndarray] | None]:
    """Index derivatives of ``l_i = log sum_c a_ic`` when each component's log is a sum of
    log-linear pieces in the indices (Louis 1982).

    ``log_a`` is ``(n, C)`` (``-inf`` for impossible components), ``s`` the complete-data
    scores ``(n, C, B)`` of each component with respect to the ``B`` indices, ``h`` the
    complete-data second derivatives: diagonal ``(n, C, B)`` or full ``(n, C, B, B)``. Returns
    ``(l, [dl/deta_b], {(b, e): d2l/deta_b deta_e})`` as
    :class:`~unspoken.inference.likelihood.IndexModel` wants them.
    """
    m = np.max(log_a, axis=1)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(under="ignore"):
        e = np.exp(log_a - m[:, None])
    tot = e.sum(1)
    ll = m + np.log(tot)
    if order < 1:
        return ll, None, None
    r = e / tot[:, None]
    d1 = np.einsum("nc,ncb->nb", r, s)
    if order < 2:
        return ll, list(d1.T), None
    full = h.ndim == 4
    Eh = np.einsum("nc,ncbe->nbe", r, h) if full else np.einsum("nc,ncb->nb", r, h)
    B = s.shape[2]
    d2 = {}
    for b in range(B):
        for c in range(b, B):
            v = np.einsum("nc,nc->n", r, s[:, :, b] * s[:, :, c]) - d1[:, b] * d1[:, c]
            if full:
                v = v + Eh[:, b, c]
            elif b == c:
                v = v + Eh[:, b]
            d2[(b, c)] = v
    return ll, list(d1.T), d2
