"""Randomized-response inference on a fitted result: the average predicted prevalence with its
variance and influence values, the closed form's influence values, and predictions.

The formulas are in :mod:`unspoken.rr.regression`: ``P = sum_i w_i lambda_i / W`` over a
group has gradient ``g = sum w_i lambda_i (1 - lambda_i) x_i / W`` and influence values
``1[i in group] w_i (lambda_i - P) / W + g' I^{-1} s_i``; the model-based variance is
``g' V g + sum (sampling part)^2`` (delta method, :mod:`unspoken.inference.delta`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.inference.covariance import SurveyDesign, vcov_from_influence
from unspoken.inference.delta import delta_se_rows, delta_var
from unspoken.results import Estimate, z_value
from unspoken.rr.data import _answers, _check_mask

# the fitted results (unspoken.rr.results.RRFit, RRPrevalence) are typed Any here: that
# module imports this one
RRFit = RRPrevalence = Any


def _average_prevalence(
    lam: np.ndarray, w: np.ndarray, X: np.ndarray, mask: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """``P = sum_mask w lam / W``, its gradient ``g`` in the coefficients of ``X`` and the
    covariate-sampling part of its influence values."""
    wm = np.where(mask, w, 0.0)
    W = wm.sum()
    P = float(wm @ lam / W)
    g = X.T @ (wm * lam * (1 - lam)) / W
    return P, g, wm * (lam - P) / W


def _prevalence_variance(
    kind: str,
    g: np.ndarray,
    sampling: np.ndarray,
    V: np.ndarray,
    beta_infl: np.ndarray,
    survey: SurveyDesign,
) -> float:
    """``Var(P)``: ``g' V g + sum sampling^2`` for the model-based variances (the parts are
    uncorrelated under the model), else from the influence values
    ``sampling + beta_infl g`` through the survey design."""
    if kind in ("model", "opg", "bootstrap"):
        return delta_var(g, V) + float(sampling @ sampling)
    psi = sampling + beta_infl @ g
    return float(vcov_from_influence(psi, kind, survey, n_params=len(g)))  # type: ignore[arg-type]


def average_prevalence(
    kind: str,
    lam: np.ndarray,
    w: np.ndarray,
    X: np.ndarray,
    mask: np.ndarray,
    V: np.ndarray,
    beta_infl: np.ndarray,
    survey: SurveyDesign,
    level: float,
    label: str | None = None,
) -> Estimate:
    """The average predicted prevalence over ``mask`` as an :class:`Estimate`; ``X`` may be
    the trait model's columns of a larger parameter vector (``V``, ``beta_infl`` padded)."""
    P, g, sampling = _average_prevalence(lam, w, X, mask)
    g = np.concatenate([g, np.zeros(V.shape[0] - len(g))])
    var = _prevalence_variance(kind, g, sampling, V, beta_infl, survey)
    return Estimate.from_se(P, np.sqrt(max(var, 0.0)), level=level, n=int(mask.sum()), label=label)


def fit_prevalence(fit: RRFit, mask: np.ndarray, label: str | None = None) -> Estimate:
    """The average predicted prevalence of an rr regression over ``mask``."""
    st = fit._state
    return average_prevalence(
        fit.vcov_type, st.lam, st.w, st.X, mask, fit.cov, st.beta_infl, st.survey, fit.level,
        label,
    )  # fmt: skip


def fit_prevalence_influence(fit: RRFit, mask: Any = None) -> tuple[float, np.ndarray]:
    """The average predicted prevalence over ``mask`` and its influence values."""
    st = fit._state
    m = _check_mask(mask, len(st.lam))
    P, g, sampling = _average_prevalence(st.lam, st.w, st.X, m)
    return P, sampling + st.beta_infl @ g


def closed_form_influence(res: RRPrevalence, mask: Any = None) -> tuple[float, np.ndarray]:
    """The closed-form prevalence ``(ybar - a) / b`` among ``mask`` and its influence values
    ``1[i in mask] w_i (y_i - ybar_mask) / (W_mask b)``."""
    y, w = res._y, res._w
    m = _check_mask(mask, len(y))  # type: ignore[arg-type]
    wm = np.where(m, w, 0.0)  # type: ignore[arg-type]
    W = wm.sum()
    ybar = float(wm @ y / W)  # type: ignore[operator]
    b = res.design.b
    return (ybar - res.design.a) / b, wm * (y - ybar) / (W * b)  # type: ignore[operator]


def predict(
    fit: RRFit, newdata: Any = None, given_y: bool = False, level: float | None = None
) -> pd.DataFrame:
    """:meth:`RRFit.predict <unspoken.rr.results.RRFit.predict>`: ``expit(x' beta)`` with the
    delta-method standard error ``lambda (1 - lambda) se(x' beta)`` and an interval on the
    logit scale, or the posterior ``P(Z = 1 | y, x)``."""
    from unspoken.io.frames import require_columns, to_pandas

    st = fit._state
    if newdata is None:
        X, y = st.X, st.y
        index = pd.RangeIndex(len(X))  # type: ignore[arg-type]
    else:
        df = to_pandas(newdata)
        cols = list(st.dm.columns) + ([st.answer] if given_y else [])
        require_columns(df, cols)
        ok = ~df[cols].isna().any(axis=1).to_numpy()
        index = df.index
        Xok = st.dm.on(df[ok])
        X = np.full((len(df), Xok.shape[1]), np.nan)
        X[ok] = Xok
        y = None
        if given_y:
            y = np.full(len(df), np.nan)
            y[ok] = _answers(df[ok], st.answer, fit.design, np.flatnonzero(ok))  # type: ignore[arg-type]
    eta = X @ fit.params_  # type: ignore[operator]
    lam = expit(eta)
    if given_y:
        d = fit.design
        f1 = np.where(y == 1, d.pi1, 1 - d.pi1)  # type: ignore[union-attr]
        f0 = np.where(y == 1, d.pi0, 1 - d.pi0)  # type: ignore[union-attr]
        post = f1 * lam / (f1 * lam + f0 * (1 - lam))
        return pd.DataFrame({"estimate": post}, index=index)
    se_eta = delta_se_rows(X, fit.cov)
    c = z_value(fit.level if level is None else level)
    return pd.DataFrame(
        {
            "estimate": lam,
            "std_error": lam * (1 - lam) * se_eta,
            "ci_low": expit(eta - c * se_eta),
            "ci_high": expit(eta + c * se_eta),
        },
        index=index,
    )
