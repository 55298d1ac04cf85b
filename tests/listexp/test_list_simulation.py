"""Recovery and interval coverage of the ML estimator on simulated list experiments."""

from __future__ import annotations

import numpy as np
import pytest

from unspoken.listexp import list_experiment
from unspoken.simulate.listexp import simulate_list

DELTA = [-0.8, 0.6, -0.4]
PSI = [0.2, -0.3, 0.25]


def test_simulate_list_shape_and_truth():
    df = simulate_list(2000, 3, DELTA, PSI, seed=1)
    assert list(df.columns) == ["y", "treat", "x1", "x2", "z", "prob_z"]
    assert df["y"].max() <= 4 and df.loc[df.treat == 0, "y"].max() <= 3
    assert df.attrs["prevalence"] == pytest.approx(df["prob_z"].mean())
    again = simulate_list(2000, 3, DELTA, PSI, seed=1)
    assert df.equals(again)


def test_ml_recovers_parameters_at_large_n():
    df = simulate_list(40_000, 4, DELTA, PSI, psi1=[0.6, -0.3, 0.25], seed=2)
    fit = list_experiment(df, "y ~ x1 + x2", J=4, constrained=False)
    truth = np.r_[DELTA, PSI, 0.6, -0.3, 0.25]
    z = (fit.params_ - truth) / fit.std_errors.to_numpy()
    assert np.all(np.abs(z) < 4)
    assert abs(fit.prevalence.estimate - df.attrs["prevalence"]) < 4 * fit.prevalence.std_error


@pytest.mark.slow
def test_ml_prevalence_interval_coverage():
    """500 replications, n = 2000: the 95% interval covers the sample prevalence
    (the estimand: mean of expit(x_i' delta) over the respondents) 93-97% of the time."""
    rng = np.random.default_rng(20261128)
    reps, hits, hits_dim = 500, 0, 0
    for _ in range(reps):
        df = simulate_list(2000, 3, DELTA, PSI, seed=rng)
        fit = list_experiment(df, "y ~ x1 + x2", J=3)
        assert fit.converged
        truth = df.attrs["prevalence"]
        hits += fit.prevalence.ci_low <= truth <= fit.prevalence.ci_high
        # the slope coefficient interval too
        lo, hi = fit.conf_int().iloc[1]
        hits_dim += lo <= DELTA[1] <= hi
    print(f"coverage: prevalence {hits / reps:.3f}, slope {hits_dim / reps:.3f}")
    assert 0.93 <= hits / reps <= 0.97, hits / reps
    assert 0.93 <= hits_dim / reps <= 0.97, hits_dim / reps
