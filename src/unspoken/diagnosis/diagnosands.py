"""Diagnosands of one design cell and estimator from its replications, each with its Monte
Carlo standard error (the s.e. of the simulation, which shrinks as 1/sqrt(reps)).

- ``power``: share of replications whose two-sided Wald test rejects ``null`` at
  ``1 - level`` (binomial s.e.);
- ``bias``: mean of estimate - truth (s.e. SD/sqrt(m));
- ``rmse``: root mean squared error (delta-method s.e. of the root of a mean);
- ``coverage``: share of ``level`` Wald intervals containing the truth (binomial s.e.);
- ``mean_se`` and ``sd_estimate``: the mean reported standard error and the Monte Carlo SD of
  the estimates it should match (the SD's s.e. from the estimates' fourth moment);
- ``floor_share`` / ``ceiling_share``: mean share of the long list's respondents answering 0 /
  J + 1 (answers that reveal the sensitive item);
- ``failures``: replications with no finite estimate and positive s.e. (left out of the rest).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from unspoken.results import z_value

__all__ = ["DIAGNOSANDS", "diagnosands"]

DIAGNOSANDS = (
    "power",
    "bias",
    "rmse",
    "coverage",
    "mean_se",
    "sd_estimate",
    "floor_share",
    "ceiling_share",
)


def _share(x: np.ndarray) -> tuple[float, float]:
    p = float(x.mean())
    return p, math.sqrt(p * (1 - p) / x.size)


def _mean(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan


def diagnosands(
    est: np.ndarray,
    se: np.ndarray,
    floor: np.ndarray,
    ceiling: np.ndarray,
    truth: float,
    null: float,
    level: float,
) -> dict[str, Any]:
    """The diagnosands (see the module docstring) and ``<name>_mc_se`` for each."""
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    e, s = est[ok], se[ok]
    m = int(ok.sum())
    out: dict[str, Any] = {"reps": int(est.size), "failures": int(est.size - m), "truth": truth}
    nan = float("nan")
    if m < 2:
        for k in DIAGNOSANDS:
            out[k], out[f"{k}_mc_se"] = nan, nan
        return out
    z = z_value(level)
    out["power"], out["power_mc_se"] = _share(np.abs(e - null) / s > z)
    err = e - truth
    out["bias"], out["bias_mc_se"] = _mean(err)
    mse, mse_se = _mean(err**2)
    out["rmse"] = math.sqrt(mse)
    out["rmse_mc_se"] = mse_se / (2 * out["rmse"]) if out["rmse"] > 0 else nan
    out["coverage"], out["coverage_mc_se"] = _share(np.abs(err) <= z * s)
    out["mean_se"], out["mean_se_mc_se"] = _mean(s)
    sd = float(e.std(ddof=1))
    # s.e. of an SD from the fourth central moment (no normality: ML estimates have heavier
    # tails): Var(s^2) = (mu4 - s^4 (m - 3) / (m - 1)) / m, and s.e.(s) = s.e.(s^2) / (2 s)
    mu4 = float(np.mean((e - e.mean()) ** 4))
    var_s2 = max(mu4 - sd**4 * (m - 3) / (m - 1), 0.0) / m
    out["sd_estimate"] = sd
    out["sd_estimate_mc_se"] = math.sqrt(var_s2) / (2 * sd) if sd > 0 else nan
    out["floor_share"], out["floor_share_mc_se"] = _mean(floor)
    out["ceiling_share"], out["ceiling_share_mc_se"] = _mean(ceiling)
    return out
