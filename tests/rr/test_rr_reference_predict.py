"""The ``predict`` blocks of the R rr 1.4.2 reference files (tests/reference/
nigeria_rrreg_forced_known.json, nigeria_rrreg_mirrored.json,
nigeria_rrreg_forced_known_nocov.json; script 20_rr_nigeria.R, see each file's ``meta``)
for all three cases.

``fitted_avg`` and ``given_y_avg`` are closed forms of the coefficients: evaluated at R's own
estimates they must agree to 1e-10 relative (at our exact maximum they agree only to R's EM
stopping error, checked in test_rr_reference.py). ``quasi_bayes_avg`` is a Monte Carlo
summary (10000 draws from N(coef, vcov), set.seed(1)): we redraw from R's coefficients and
vcov and compare within Monte Carlo error, and check the delta-method SE against R's
simulation SE. Also the likelihood, scores, OPG vcov and Hessian SEs at R's estimates
(closed forms of them), which the tests at our exact maximum can compare only to R's EM
stopping error.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from unspoken import datasets
from unspoken.rr import rr_regression

REF = Path(__file__).resolve().parents[1] / "reference"
FULL = (
    "rr.q1 ~ cov.asset.index + cov.married + I(cov.age/10) + I((cov.age/10)^2)"
    " + cov.education + cov.female"
)
FORCED = dict(design="forced-known", p=2 / 3, p1=1 / 6, p0=1 / 6)
CASES = {
    "nigeria_rrreg_forced_known": (FULL, FORCED),
    "nigeria_rrreg_mirrored": (FULL, dict(design="mirrored", p=3 / 4)),
    "nigeria_rrreg_forced_known_nocov": ("rr.q1 ~ 1", FORCED),
}


def load(name: str) -> dict:
    return json.loads((REF / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def nigeria():
    return datasets.load("nigeria")


def _fits(nigeria, case):
    formula, kw = CASES[case]
    ref = load(case)
    # R's default (optim = FALSE) vcov is the OPG one: use the same kind here
    fit = rr_regression(nigeria, formula, vcov="opg", **kw)
    assert fit.n == ref["result"]["n"]
    at_r = replace(
        fit,
        params_=np.asarray(ref["result"]["estimates"], float),
        cov=np.asarray(ref["result"]["vcov"], float),
    )
    return ref, fit, at_r


@pytest.mark.parametrize("case", list(CASES))
def test_fitted_and_posterior_averages_at_r_estimates(nigeria, case):
    ref, _, at_r = _fits(nigeria, case)
    pred = ref["predict"]
    fitted = at_r.predict()["estimate"].to_numpy()
    post = at_r.predict(given_y=True)["estimate"].to_numpy()
    assert len(fitted) == len(post) == ref["result"]["n"]
    assert fitted.mean() == pytest.approx(pred["fitted_avg"]["result"], rel=1e-10)
    assert post.mean() == pytest.approx(pred["given_y_avg"]["result"], rel=1e-10)


@pytest.mark.parametrize("case", list(CASES))
def test_quasi_bayes_summary_reproduced(nigeria, case):
    """R draws b ~ N(coef, vcov) and summarises mean_i expit(x_i' b): redrawn here (20000
    draws, another generator) from R's coefficients on our design matrix. The mean and the
    SD agree within 4 Monte Carlo SEs of the two simulations together; the 2.5%/97.5%
    quantiles within 4 of theirs (density of a normal at its 2.5% point)."""
    ref, fit, at_r = _fits(nigeria, case)
    qb = ref["predict"]["quasi_bayes_avg"]
    rng = np.random.default_rng(2024)
    draws = 20_000
    b = rng.multivariate_normal(at_r.params_, at_r.cov, size=draws)
    X = fit._state.X
    means = np.concatenate([expit(X @ chunk.T).mean(axis=0) for chunk in np.split(b, 4)])
    sd = qb["se"]
    mc = np.sqrt(1 / 10_000 + 1 / draws)
    assert abs(means.mean() - qb["est"]) < 4 * sd * mc
    assert abs(means.std(ddof=1) - sd) < 4 * sd * mc / np.sqrt(2)
    q_se = np.sqrt(0.025 * 0.975) / (np.exp(-(1.959964**2) / 2) / np.sqrt(2 * np.pi) / sd) * mc
    lo, hi = np.quantile(means, [0.025, 0.975])
    assert abs(lo - qb["ci_lower"]) < 4 * q_se
    assert abs(hi - qb["ci_upper"]) < 4 * q_se


@pytest.mark.parametrize("case", list(CASES))
def test_delta_method_se_close_to_quasi_bayes_se(nigeria, case):
    """Our covariates-fixed delta-method SE of the average prevalence (our estimates, our
    OPG vcov) against R's simulation SD: 10000 draws give an SD to 0.7%, and the delta
    method is first order; observed differences are 1.1-1.3%, so 3% is a 4-sigma bound."""
    ref, fit, _ = _fits(nigeria, case)
    from unspoken.rr.inference import _average_prevalence

    _, g, _ = _average_prevalence(fit._state.lam, fit._state.w, fit._state.X, np.ones(fit.n, bool))
    se = float(np.sqrt(g @ fit.cov @ g))
    assert se == pytest.approx(ref["predict"]["quasi_bayes_avg"]["se"], rel=0.03)


@pytest.mark.parametrize("case", list(CASES))
def test_likelihood_scores_and_opg_at_r_estimates(nigeria, case):
    """At R's own (EM-stopped) estimates: our log-likelihood is the one recomputed in base R,
    our largest score is crosscheck_base_R's, the OPG inverse is R's default vcov (a closed
    form of the estimates: 1e-8), and the inverse observed information gives R's optim = TRUE
    (finite-difference Hessian) SEs to 1e-4 (observed 7e-6)."""
    from unspoken.rr.regression import _Likelihood

    ref, fit, at_r = _fits(nigeria, case)
    like = _Likelihood(fit._state.X, fit._state.y, np.ones(fit.n), fit.design)
    ll, lam, post = like.evaluate(at_r.params_)
    assert ll == pytest.approx(ref["loglik_recomputed"], abs=1e-6)
    S = like.scores(lam, post)
    grad = np.max(np.abs(S.sum(axis=0)))
    assert grad == pytest.approx(
        ref["crosscheck_base_R"]["max_abs_grad_at_package_estimate"], rel=1e-6
    )
    np.testing.assert_allclose(np.linalg.inv(S.T @ S), ref["result"]["vcov"], rtol=1e-8)
    se = np.sqrt(np.diag(np.linalg.inv(like.information(lam, post))))
    np.testing.assert_allclose(se, ref["se_optim_hessian"]["se"], rtol=1e-4)
