"""Diagnosands against known values by simulation (slow: thousands of fits)."""

from __future__ import annotations

import pytest

import unspoken


@pytest.mark.slow
def test_ml_with_a_covariate_covers_95_percent() -> None:
    # 1,500 ML fits (binomial model with a covariate x of logit slope 0.8) of 800
    # respondents: the Monte Carlo s.e. of the coverage is sqrt(.95 * .05 / 1500) = 0.0056
    res = unspoken.diagnose(
        {"n": 800, "covariate": 0.8, "prevalence": 0.3}, ["ml", "lm"], reps=1500, seed=7
    )
    for row in res.table.itertuples():
        assert row.failures <= 15, row.estimator
        assert 0.93 <= row.coverage <= 0.97, (row.estimator, row.coverage)
        assert abs(row.bias) < 4 * row.bias_mc_se + 0.003, (row.estimator, row.bias)
        # the reported standard errors match the spread of the estimates
        mc = (row.mean_se_mc_se**2 + row.sd_estimate_mc_se**2) ** 0.5
        assert abs(row.mean_se - row.sd_estimate) < 4 * mc, row.estimator
    t = res.table.set_index("estimator")
    assert t.loc["ml", "rmse"] < t.loc["lm", "rmse"]  # ML uses the binomial structure


@pytest.mark.slow
def test_lm_power_with_correlated_items_agrees_with_list_power() -> None:
    # correlated control items (rho = 0.3) inflate the control variance: analytic power of
    # list_power(rho=0.3) against 4,000 vectorised replications of the respondent-level draws
    res = unspoken.diagnose({"n": [600, 1500], "rho": 0.3}, ["dim", "lm"], reps=4000, seed=8)
    for row in res.table.itertuples():
        analytic = unspoken.list_power(J=4, prevalence=0.2, n=row.n, rho=0.3).power
        assert abs(row.power - analytic) < 4 * row.power_mc_se + 0.005, (row.n, analytic)
