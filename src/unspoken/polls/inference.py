"""Uncertainty of the pooled-polls fit: the bands of the trend, the house effects' covariance,
the change over a window, and the first-order correction for the estimated variances.

Given the variances the model is linear-Gaussian, so the smoother gives the exact (plug-in)
variances of the trend and the house effects (:mod:`unspoken.polls.smoother`). With
``bands="corrected"`` the uncertainty of the estimated variance parameters ``phi`` is added
by the delta method (Kass & Steffey 1989): ``D cov(phi) D'`` with ``D`` the derivative of the
smoothed quantity with respect to ``phi`` (:mod:`unspoken.inference.delta`). The result
classes (:mod:`unspoken.polls.results`) only store and present these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import UnsupportedError
from unspoken.inference.delta import delta_cov, delta_var, delta_var_rows
from unspoken.polls.smoother import Design, solve
from unspoken.results import Estimate, z_value


@dataclass
class Hyper:
    """First-order effect of the estimated variances on the smoothed quantities.

    ``D_alpha`` (T, m) and ``D_delta`` (J, m) are derivatives of the smoothed trend and house
    effects with respect to the estimated variance parameters, ``cov`` (m, m) their
    covariance; the added variance is ``D cov D'`` (Kass & Steffey 1989).
    """

    D_alpha: np.ndarray
    D_delta: np.ndarray
    cov: np.ndarray


def phi_variances(phi: np.ndarray, free_tau: np.ndarray) -> tuple[float, np.ndarray]:
    """``(sigma^2, tau^2)`` from ``phi = (log sigma, tau of the pollsters with free tau)``."""
    tau2 = np.zeros(free_tau.size)
    tau2[free_tau] = phi[1:] ** 2
    return math.exp(2.0 * phi[0]), tau2


def hyper_correction(d: Design, fit: Any) -> Hyper | None:
    """:class:`Hyper` at the fit's ``phi`` by central differences (``None`` when the
    variance parameters have no covariance)."""
    if fit.cov_log_sigma_tau is None or fit.phi is None:
        return None
    cov = fit.cov_log_sigma_tau
    idx = np.flatnonzero(np.isfinite(np.diag(cov)))
    if idx.size == 0:
        return None
    Da = np.empty((d.T, idx.size))
    Dd = np.empty((d.J, idx.size))
    for col, k in enumerate(idx):
        h = 1e-4 if k == 0 else 1e-3 * max(fit.phi[k], 1e-4)
        out = []
        for sgn in (1.0, -1.0):
            x = fit.phi.copy()
            x[k] += sgn * h
            s2, t2 = phi_variances(x, fit.free_tau)
            sol = solve(d, s2, t2, full=False)
            out.append((sol.alpha, d.C @ sol.eta))
        Da[:, col] = (out[0][0] - out[1][0]) / (2 * h)
        Dd[:, col] = (out[0][1] - out[1][1]) / (2 * h)
    return Hyper(Da, Dd, cov[np.ix_(idx, idx)])


def _bounds(est: np.ndarray, se: np.ndarray, z: float, f: float) -> dict[str, np.ndarray]:
    """Estimate, standard error and Wald interval, times the units factor ``f``."""
    return {
        "estimate": est * f,
        "std_error": se * f,
        "ci_low": (est - z * se) * f,
        "ci_high": (est + z * se) * f,
    }


def trend_table(sol: Any, dates: np.ndarray, hyper: Hyper | None, level: float, f: float):
    """The smoothed trend per period with its (corrected) standard error and band."""
    var = sol.alpha_var()
    if hyper is not None:
        var = var + delta_var_rows(hyper.D_alpha, hyper.cov)
    se = np.sqrt(np.maximum(var, 0.0))
    return pd.DataFrame({"date": dates, **_bounds(sol.alpha, se, z_value(level), f)})


def house_effects(
    sol: Any, C: np.ndarray, hyper: Hyper | None, identified: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(house effects, shown house effects, their standard errors)``: the shown ones and
    their standard errors are NaN when nothing identifies them (one pollster)."""
    delta = sol.delta(C)
    dcov = sol.delta_cov(C)
    if hyper is not None:
        dcov = dcov + delta_cov(hyper.D_delta, hyper.cov)
    if not identified:
        nan = np.full(delta.size, np.nan)
        return delta, nan, nan
    return delta, delta, np.sqrt(np.maximum(np.diag(dcov), 0.0))


def house_bounds(delta: np.ndarray, se: np.ndarray, level: float, f: float):
    """The house effects' columns estimate, std_error, ci_low, ci_high."""
    return _bounds(delta, se, z_value(level), f)


def extra_sd_se(fit: Any, J: int) -> np.ndarray:
    """Standard errors of the pollsters' extra SDs (NaN where fixed or estimated at 0)."""
    tau_se = np.full(J, np.nan)
    if fit.cov_log_sigma_tau is not None:
        d = np.sqrt(np.maximum(np.diag(fit.cov_log_sigma_tau), 0.0))
        tau_se[np.flatnonzero(fit.free_tau)] = d[1:]
    return np.where(fit.tau > 0, tau_se, np.nan)


def sigma_se(fit: Any) -> float:
    """Standard error of the innovation SD: ``sigma * se(log sigma)``."""
    c = fit.cov_log_sigma_tau
    if c is not None and np.isfinite(c[0, 0]):
        return fit.sigma * math.sqrt(c[0, 0])
    return math.nan


def change(result: Any, window: int | None = None) -> Estimate:
    """Change of the trend over the last ``window`` days (rounded to whole periods): the
    contrast ``alpha_T - alpha_{T-k}`` with its exact variance from the smoother plus the
    delta-method term of the estimated variances."""
    w = result.window if window is None else int(window)
    k = max(1, round(w / result.days_per_period))
    trend = result.trend
    T = len(trend)
    if k >= T:
        raise UnsupportedError(f"window of {w} days is longer than the series")
    c = np.zeros(T)
    c[-1] = 1.0
    c[-1 - k] = -1.0
    est = float(trend["estimate"].iloc[-1] - trend["estimate"].iloc[-1 - k])
    var = result._sol.contrast_var(c)
    if result._hyper is not None:
        var += delta_var(c @ result._hyper.D_alpha, result._hyper.cov)
    se = math.sqrt(max(var, 0.0)) * result.factor
    d0 = trend["date"].iloc[-1 - k].date()
    d1 = trend["date"].iloc[-1].date()
    return Estimate.from_se(est, se, level=result.level, label=f"{d0} to {d1}")


def identified(identification: str, n_pollsters: int) -> bool:
    """House effects are identified: a value anchor, or two or more pollsters."""
    return identification == "anchored" or n_pollsters >= 2


def result_fields(
    *, polls: Any, grid: Any, design: Design, sol: Any, fit: Any, ident: str, anchors: list,
    fieldwork: str, notes: list[str], window: int, level: float, sigma_fixed: bool,
    hyper: Hyper | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The fields of :class:`~unspoken.polls.results.PollsResult`: the trend, house effects,
    poll residuals and anchors as tables (in the units of the shares), and the variances."""
    f = polls.factor
    trend = trend_table(sol, grid.dates(), hyper, level, f)
    t = polls.table
    house = design.house
    delta, shown, dse = house_effects(sol, design.C, hyper, identified(ident, design.J))
    trend_at = design.W @ sol.alpha
    fitted = trend_at + delta[house]
    resid = design.y - fitted
    counts = np.bincount(house, minlength=design.J)
    rms_binom = np.sqrt(
        np.bincount(house, resid**2 / design.vb, minlength=design.J) / np.maximum(counts, 1)
    )
    house_effects_table = pd.DataFrame(
        {
            "pollster": polls.pollsters,
            "n_polls": counts,
            **house_bounds(shown, dse, level, f),
            "extra_sd": fit.tau * f,
            "extra_sd_se": extra_sd_se(fit, design.J) * f,
            "extra_sd_estimated": fit.free_tau,
            "rms_binomial_z": rms_binom,
        }
    )
    residuals = pd.DataFrame(
        {
            "row": t["row"].to_numpy(),
            "pollster": t["pollster"].to_numpy(),
            "start": t["start"].to_numpy(),
            "end": t["end"].to_numpy(),
            "share": design.y * f,
            "n": t["n"].to_numpy(),
            "trend": trend_at * f,
            "fitted": fitted * f,
            "residual": resid * f,
            "std_residual": resid / np.sqrt(sol.v),
        }
    )
    anc = pd.DataFrame(
        {
            "date": [pd.Timestamp(a.date).floor("D") for a in anchors],
            "estimate": [a.estimate for a in anchors],
            "std_error": [a.std_error for a in anchors],
            "label": [a.label for a in anchors],
        }
    )
    return dict(
        scale=polls.scale, units=polls.units, factor=f, period=grid.period,
        identification=ident, fieldwork=fieldwork, trend=trend,
        house_effects=house_effects_table, polls=residuals, anchors=anc, sigma=fit.sigma * f,
        sigma_se=sigma_se(fit) * f, loglik=fit.loglik, converged=fit.converged,
        iterations=fit.iterations, gradient_norm=fit.gradient_norm, level=level,
        window=window, notes=notes, sigma_fixed=sigma_fixed, _sol=sol, _C=design.C,
        _hyper=hyper,
    )  # fmt: skip
