"""Beta-binomial (overdispersed) list model against R list 9.2.6
(tests/reference/race_ml_overdispersed.json) and by simulation.

R's ``vcov()`` for this model is 10 x 10 although there are 11 parameters (it drops a
sensitive coefficient and puts logit(rho) first), so standard errors are compared with the
unambiguous components ``se.treat``, ``se.control`` and ``se.overdispersion``.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from listexp_fitters import fit_multi, fit_overdispersed
from scipy.stats import betabinom

from unspoken import datasets
from unspoken.errors import UnsupportedError
from unspoken.listexp.multi import prepare_multi
from unspoken.listexp.overdispersed import (
    BetaBinomialListModel,
    log_betabinom,
)
from unspoken.simulate.list_variants import simulate_overdispersed

REF = Path(__file__).resolve().parents[1] / "reference"
F = "y ~ south + age + male + college"


def test_beta_binomial_pmf():
    k = np.arange(6)
    for mu, rho in ((0.3, 0.1), (0.8, 0.5), (0.5, 1e-4)):
        th = (1 - rho) / rho
        np.testing.assert_allclose(
            log_betabinom(k, 5, mu, rho),
            betabinom.logpmf(k, 5, mu * th, (1 - mu) * th),
            rtol=1e-12,
        )


def test_matches_r():
    race = datasets.load("race")
    ref = json.loads((REF / "race_ml_overdispersed.json").read_text())
    r = ref["result"]
    c = r["components"]
    par_r = np.concatenate(
        [
            list(c["par.treat"].values()),
            list(c["par.control"].values()),
            [c["par.overdispersion"]["overdispersion"]],
        ]
    )
    se_r = np.concatenate(
        [
            list(c["se.treat"].values()),
            list(c["se.control"].values()),
            [c["se.overdispersion"]["overdispersion"]],
        ]
    )
    d = prepare_multi(race, F, "treat", 3)
    m = BetaBinomialListModel(d.y, d.t, d.X, 3)
    # same likelihood as R at R's estimates
    assert m.loglik(par_r) == pytest.approx(r["loglik"], abs=1e-8)
    # R's SEs = inverse of our exact Hessian at R's estimates (R: finite differences)
    H = m.evaluate(par_r, 2)[2]
    np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(-H))), se_r, rtol=1e-3)
    fit = fit_overdispersed(race, F, "treat", 3)
    # R's EM (96 iterations, stop at a log-likelihood gain <= 1e-8) ends ~6e-8 below the
    # maximum we reach; estimates agree to 1e-3 relative, SEs to 1e-3
    assert fit.converged and fit.gradient_norm < 1e-8
    assert 0 <= fit.loglik - r["loglik"] < 1e-6
    np.testing.assert_allclose(fit.params_, par_r, rtol=1e-3)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), se_r, rtol=1e-3)
    assert fit.parts[-1] == "overdispersion" and fit.terms[-1] == "logit(rho)"
    rho = fit.extra["rho"]
    assert rho["ci_low"] < rho["estimate"] < rho["ci_high"]


def test_exact_hessian_on_affirm(second_differences):
    affirm = datasets.load("affirm")
    d = prepare_multi(affirm, F, "treat", 3)
    m = BetaBinomialListModel(d.y, d.t, d.X, 3)
    th = np.concatenate([fit_multi(affirm, F, "treat", 3).params_, [-2.0]])
    num = second_differences(m.loglik, th)
    np.testing.assert_allclose(m.evaluate(th, 2)[2], num, rtol=1e-4, atol=1e-3)


def test_simulation_recovers_truth():
    df, truth = simulate_overdispersed(20000, seed=6)
    fit = fit_overdispersed(df, "y ~ x1 + x2", "treat", 4)
    tr = np.concatenate([truth["sensitive"], truth["control"], [truth["overdispersion"]]])
    z = (fit.params_ - tr) / fit.std_errors.to_numpy()
    assert np.all(np.abs(z) < 3.5), z
    assert abs(fit.prevalence.estimate - truth["prevalence"]) < 3.5 * fit.prevalence.std_error


def test_refusals():
    race = datasets.load("race")
    with pytest.raises(UnsupportedError, match="constrained"):
        fit_overdispersed(race, F, "treat", 3, constrained=False)
