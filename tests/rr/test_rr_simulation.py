"""Recovery and coverage with a known truth (unspoken.simulate.rr)."""

from __future__ import annotations

import numpy as np
import pytest

from unspoken.rr import rr_prevalence, rr_regression
from unspoken.simulate.rr import population_prevalence, simulate_rr

BETA = [-1.0, 0.8, -0.5]
DESIGNS = {
    "forced-known": dict(p=0.7, p0=0.1, p1=0.2),
    "mirrored": dict(p=0.8),
    "disguised": dict(p=0.3),
    "unrelated-known": dict(p=0.7, q=0.4),
    "warner": dict(p=0.75),
    "crosswise": dict(p=0.2),
    "triangular": dict(p=0.25),
}


@pytest.mark.parametrize("design", list(DESIGNS))
def test_recovers_truth_in_a_large_sample(design):
    df = simulate_rr(20_000, design, BETA, seed=11, **DESIGNS[design])
    fit = rr_regression(df, "y ~ x1 + x2", design=design, **DESIGNS[design])
    assert fit.converged
    z = (fit.params_ - np.array(BETA)) / fit.std_errors.to_numpy()
    assert np.all(np.abs(z) < 4), z
    truth = df.attrs["population_prevalence"]
    assert abs(fit.prevalence.estimate - truth) < 4 * fit.prevalence.std_error
    # the closed form estimates the same prevalence
    cf = rr_prevalence(df, "y", design=design, **DESIGNS[design])
    assert abs(cf.prevalence.estimate - truth) < 4 * cf.prevalence.std_error
    assert cf.prevalence.std_error > fit.prevalence.std_error * 0.9


def test_population_prevalence_quadrature():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400_000, 2))
    mc = np.mean(1 / (1 + np.exp(-(BETA[0] + x @ BETA[1:]))))
    assert population_prevalence(BETA) == pytest.approx(mc, abs=2e-3)


@pytest.mark.slow
@pytest.mark.parametrize("design", ["crosswise", "triangular"])
def test_coverage_of_95_percent_intervals(design):
    """500 replications of n = 600: coefficient and prevalence intervals cover the truth
    93-97% of the time (Monte Carlo SE of a coverage rate: 1 point)."""
    reps, n = 500, 600
    rng = np.random.default_rng(2026)
    truth = np.array([*BETA, population_prevalence(BETA)])
    hits = np.zeros(4)
    ests = np.zeros((reps, 4))
    for r in range(reps):
        df = simulate_rr(n, design, BETA, seed=rng, **DESIGNS[design])
        fit = rr_regression(df, "y ~ x1 + x2", design=design, **DESIGNS[design])
        est = np.array([*fit.params_, fit.prevalence.estimate])
        se = np.array([*fit.std_errors.to_numpy(), fit.prevalence.std_error])
        ests[r] = est
        hits += np.abs(est - truth) <= 1.959964 * se
    cover = hits / reps
    assert np.all((cover >= 0.93) & (cover <= 0.97)), cover
    # no material bias in the prevalence (MLE of coefficients has O(1/n) bias)
    mc_se = ests[:, 3].std() / np.sqrt(reps)
    assert abs(ests[:, 3].mean() - truth[3]) < 4 * mc_se
