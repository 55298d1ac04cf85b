"""Known shares as moments (``aux=``) on simulated list experiments: interval coverage of the
prevalence, the standard error they save, and the Sargan-Hansen test's size.

Design: n = 2000, J = 3, a binary group ``g`` (half the sample) and a standard normal ``x``;
sensitive trait ``expit(-1 + 0.8 g + 1.5 x)``, control items ``expit(0 - 0.3 g + 0.3 x)``.
The known shares are the population shares of each group, ``E[expit(-1 + 0.8 g + 1.5 x) | g]``,
by Gauss-Hermite quadrature. The estimand is the sample prevalence (the mean of
``expit(x_i' delta)`` over the respondents), as for every list fit. Here the shares pin the
prevalence down, so the auxiliary moments should shrink its standard error a lot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from unspoken.errors import DataError
from unspoken.listexp import list_experiment

DELTA = np.array([-1.0, 0.8, 1.5])
PSI = np.array([0.0, -0.3, 0.3])
J = 3


def _shares() -> dict[int, float]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    return {g: float(weights @ expit(DELTA[0] + DELTA[1] * g + DELTA[2] * nodes)) for g in (0, 1)}


SHARES = _shares()
AUX = {"group": "g", "shares": SHARES}


def _simulate(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    g = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    t = rng.integers(0, 2, n)
    X = np.column_stack([np.ones(n), g, x])
    p = expit(X @ DELTA)
    y = rng.binomial(J, expit(X @ PSI)) + t * (rng.random(n) < p)
    return pd.DataFrame({"y": y, "treat": t, "g": g, "x": x}), float(p.mean())


def test_shares_are_the_population_shares():
    """The quadrature shares against a large Monte Carlo draw (s.e. about 0.0005)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=1_000_000)
    for g, share in SHARES.items():
        assert abs(expit(DELTA[0] + DELTA[1] * g + DELTA[2] * x).mean() - share) < 0.002


def test_ml_with_aux_recovers_truth_at_large_n():
    df, _ = _simulate(20_000, np.random.default_rng(11))
    fit = list_experiment(df, "y ~ g + x", J=J, method="ml", aux={"group": "g", "shares": SHARES})
    z = (fit.params_ - np.r_[DELTA, PSI]) / fit.std_errors.to_numpy()
    assert fit.converged and np.all(np.abs(z) < 4)


def _replicate(method: str, seed: int, reps: int = 500) -> dict[str, float]:
    """``reps`` simulated data sets fitted with and without the known shares: refusals (no
    finite GMM solution, said so), coverage among the fits, the ratio of the mean standard
    errors of the prevalence, and the share of Sargan-Hansen tests rejecting at 5%."""
    rng = np.random.default_rng(seed)
    hits, se_aux, se_plain, reject, refused = 0, [], [], 0, 0
    for _ in range(reps):
        df, truth = _simulate(2000, rng)
        try:
            fit = list_experiment(df, "y ~ g + x", J=J, method=method, aux=AUX)
        except DataError as e:
            assert "no finite solution" in str(e) or "singular" in str(e)
            refused += 1
            continue
        assert fit.converged
        p = fit.prevalence
        hits += p.ci_low <= truth <= p.ci_high
        se_aux.append(p.std_error)
        reject += fit.extra["overid"]["p_value"] < 0.05
        plain = list_experiment(df, "y ~ g + x", J=J, method=method)
        se_plain.append(plain.prevalence.std_error)
    fitted = reps - refused
    out = {
        "refused": refused / reps,
        "coverage": hits / fitted,
        "ratio": float(np.mean(se_aux) / np.mean(se_plain)),
        "rejects": reject / fitted,
    }
    print(method, {k: round(v, 3) for k, v in out.items()})
    return out


@pytest.mark.slow
def test_ml_aux_coverage_and_standard_error_saved():
    """500 replications: the 95% interval of the prevalence with known shares covers the
    sample prevalence 93-97% of the time; its mean standard error is well below the one
    without known shares (measured: ratio 0.171); the Sargan-Hansen test at 5% rejects
    a true model about 5% of the time (binomial s.e. 1%). A sample where the criterion
    falls towards infinite coefficients is refused with a message (measured: 2 of 500)."""
    r = _replicate("ml", 20261205)
    assert r["refused"] <= 0.02, r
    assert 0.93 <= r["coverage"] <= 0.97, r
    assert r["ratio"] < 0.6, r
    assert 0.02 <= r["rejects"] <= 0.08, r


@pytest.mark.slow
def test_nls_aux_coverage_and_refusals():
    """The same design with method="nls" (R's estimator), 500 replications: coverage 93-97%
    among the fits, the standard error saved against NLS without known shares (measured:
    ratio 0.160). The NLS criterion also falls towards infinite coefficients (its moments
    carry the factor ``g (1 - g)``, which vanishes there), so more samples are refused than
    with ML (measured: 24 of 500); each refusal says so."""
    r = _replicate("nls", 20261206)
    assert r["refused"] <= 0.08, r
    assert 0.93 <= r["coverage"] <= 0.97, r
    assert r["ratio"] < 0.6, r
