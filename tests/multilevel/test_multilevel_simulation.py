"""Simulation of issue 14's must-show list for multilevel_list(method='laplace'): 200 data
sets of 80 areas with 10–100 respondents each and a known hidden share per area. The 95%
intervals of the areas' hidden shares cover 93–97% of areas on average, and the area
estimates' RMSE is below both no pooling (each area's own difference in means) and complete
pooling (the national difference in means)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import unspoken

REPS = 200
AREAS = 80
DELTA0, SD_U = -0.5, 0.8  # sensitive item: logit intercept, SD of the area intercepts
PSI0, SD_V, J = -2.0, 0.3, 2  # control items


def one_replication(rng: np.random.Generator) -> tuple[float, float, float, float]:
    """(coverage over areas, RMSE model, RMSE no pooling, RMSE complete pooling)."""
    sizes = rng.integers(10, 101, AREAS)
    area = np.repeat(np.arange(AREAS), sizes)
    u, v = rng.normal(0, SD_U, AREAS), rng.normal(0, SD_V, AREAS)
    t = rng.integers(0, 2, len(area))
    z = rng.random(len(area)) < expit(DELTA0 + u[area])
    c = rng.binomial(J, expit(PSI0 + v[area]))
    df = pd.DataFrame({"y": c + t * z, "t": t, "area": area})
    fit = unspoken.multilevel_list(df, "y ~ 1", "t", J=J, area="area", min_n=1)
    assert fit.converged
    fr = fit.area_frame()
    truth = expit(DELTA0 + u)  # each area's hidden share
    covered = (fr["ci_low"] <= truth) & (truth <= fr["ci_high"])
    raw = fr["raw"].to_numpy()
    raw = np.where(np.isfinite(raw), raw, fit.national)  # an area with one arm only
    rmse = [np.sqrt(np.mean((e - truth) ** 2)) for e in (fr["estimate"], raw, fit.national)]
    return float(covered.mean()), *rmse


@pytest.mark.slow
def test_area_intervals_cover_and_pooling_beats_both_extremes() -> None:
    rng = np.random.default_rng(20261205)
    out = np.array([one_replication(rng) for _ in range(REPS)])
    coverage, rmse_model, rmse_none, rmse_complete = out.mean(0)
    print(
        f"coverage {coverage:.4f}; RMSE model {rmse_model:.4f}, no pooling {rmse_none:.4f}, "
        f"complete pooling {rmse_complete:.4f}"
    )
    assert 0.93 <= coverage <= 0.97
    assert rmse_model < rmse_none
    assert rmse_model < rmse_complete
