"""Simulation of poststratify (issue 14, item 3): 200 data sets, each a population of 62
areas x 2 cells (men, women) with counts and a list-experiment survey drawn from it in 60 of
the areas (10-100 respondents each, the regime of test_multilevel_simulation; 2 areas
unsurveyed). The truth of an area is its count-weighted true share; the 95% intervals of the
poststratified area shares must cover 93-97% of areas on average, and the RMSE must be below
that of the national share.

Measured (200 data sets): coverage 94.7%, RMSE 0.109 against 0.172 for the national share.
In a harder regime (40 surveyed areas of 10-60 respondents, J = 3, control intercept -1) the
poststratified intervals covered 95.8% (200 data sets; 90.2% before the SDs had their
Gamma(2, 1) prior and the intervals their integration over the parameters).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import unspoken

REPS = 200
AREAS, SURVEYED = 62, 60
D0, D1, SD_U = -0.5, 0.6, 0.8  # sensitive item: intercept, female, SD of the area intercepts
PSI0, SD_V, J = -2.0, 0.3, 2  # control items (as in test_multilevel_simulation)


def one_replication(rng: np.random.Generator) -> tuple[float, float, float]:
    """(coverage over areas, RMSE poststratified, RMSE of the true national share)."""
    u, v = rng.normal(0, SD_U, AREAS), rng.normal(0, SD_V, AREAS)
    share_f = rng.uniform(0.3, 0.7, AREAS)  # women's share of each area's population
    size = rng.integers(10_000, 200_000, AREAS)
    counts = np.column_stack([size * (1 - share_f), size * share_f]).round()  # (A, 2)
    p = expit(D0 + D1 * np.arange(2)[None, :] + u[:, None])  # (A, 2) true cell shares
    truth = (counts * p).sum(1) / counts.sum(1)
    population = pd.DataFrame(
        {
            "area": np.repeat(np.arange(AREAS), 2),
            "female": np.tile([0, 1], AREAS),
            "count": counts.ravel(),
        }
    )
    sizes = rng.integers(10, 101, SURVEYED)
    area = np.repeat(np.arange(SURVEYED), sizes)
    female = (rng.random(len(area)) < share_f[area]).astype(int)
    t = rng.integers(0, 2, len(area))
    z = rng.random(len(area)) < p[area, female]
    c = rng.binomial(J, expit(PSI0 + v[area]))
    df = pd.DataFrame({"y": c + t * z, "t": t, "female": female, "area": area})
    fit = unspoken.multilevel_list(df, "y ~ female", "t", J=J, area="area", min_n=1)
    assert fit.converged
    fr = unspoken.poststratify(fit, population).area_frame()
    est_truth = truth[fr["area"].astype(int).to_numpy()]
    covered = (fr["ci_low"] <= est_truth) & (est_truth <= fr["ci_high"])
    national = (counts * p).sum() / counts.sum()
    rmse = np.sqrt(np.mean((fr["estimate"] - est_truth) ** 2))
    return float(covered.mean()), float(rmse), float(np.sqrt(np.mean((truth - national) ** 2)))


@pytest.mark.slow
def test_poststratified_intervals_cover_and_beat_the_national_share() -> None:
    rng = np.random.default_rng(20261206)
    out = np.array([one_replication(rng) for _ in range(REPS)])
    coverage, rmse, rmse_national = out.mean(0)
    print(f"coverage {coverage:.4f}; RMSE poststratified {rmse:.4f}, national {rmse_national:.4f}")
    assert 0.93 <= coverage <= 0.97
    assert rmse < rmse_national
