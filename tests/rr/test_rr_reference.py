"""Agreement with R rr 1.4.2 (tests/reference/nigeria_rrreg_*.json, produced by
20_rr_nigeria.R; see each file's description and crosscheck_base_R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from unspoken import datasets
from unspoken.rr import rr_prevalence, rr_regression

REF = Path(__file__).resolve().parents[1] / "reference"
FORMULA = (
    "rr.q1 ~ cov.asset.index + cov.married + I(cov.age/10) + I((cov.age/10)^2)"
    " + cov.education + cov.female"
)
CASES = {
    "nigeria_rrreg_forced_known": dict(design="forced-known", p=2 / 3, p1=1 / 6, p0=1 / 6),
    "nigeria_rrreg_mirrored": dict(design="mirrored", p=3 / 4),
}


def load(name: str) -> dict:
    return json.loads((REF / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def nigeria():
    return datasets.load("nigeria")


@pytest.mark.parametrize("case", list(CASES))
def test_regression_matches_polished_mle(nigeria, case):
    ref = load(case)
    cc = ref["crosscheck_base_R"]
    fit = rr_regression(nigeria, FORMULA, **CASES[case])
    assert fit.n == ref["data"]["n_used"] == 2423
    assert fit.converged

    def norm(t: str) -> str:
        return t.replace(" ", "").replace("**", "^")

    assert [norm(t) for t in fit.terms] == ["Intercept", *ref["result"]["coef_names"][1:]]
    np.testing.assert_allclose(fit.params_, cc["polished_estimates"], rtol=1e-6)
    assert abs(fit.loglik - cc["polished_loglik"]) < 1e-6
    # the package's own estimates stop short of the maximum (EM); ours are the maximum
    assert fit.loglik >= ref["loglik_recomputed"] - 1e-9
    # model variance = inverse observed information (Hessian)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), cc["polished_se_hessian"], rtol=1e-6)
    # R's optim = TRUE standard errors (finite-difference Hessian at the EM estimates)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), ref["se_optim_hessian"]["se"], rtol=1e-3)
    assert fit.prevalence.estimate == pytest.approx(cc["polished_mean_prevalence"], rel=1e-8)
    assert fit.model == f"rr.{CASES[case]['design']}"


@pytest.mark.parametrize("case", list(CASES))
def test_opg_standard_errors_match_rrreg_default(nigeria, case):
    ref = load(case)
    fit = rr_regression(nigeria, FORMULA, vcov="opg", **CASES[case])
    np.testing.assert_allclose(fit.std_errors.to_numpy(), ref["result"]["se"], rtol=1e-3)
    np.testing.assert_allclose(
        fit.std_errors.to_numpy(), ref["crosscheck_base_R"]["polished_se_opg"], rtol=1e-6
    )
    np.testing.assert_allclose(fit.cov, np.array(ref["result"]["vcov"]), rtol=2e-3, atol=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_posterior_and_predictions(nigeria, case):
    """predict(given.y = TRUE, avg = TRUE) and predict(avg = TRUE): at the MLE both equal
    the mean prevalence (score equation of the intercept); R's values at its EM stop are
    within 1e-6 of it."""
    ref = load(case)
    fit = rr_regression(nigeria, FORMULA, **CASES[case])
    post = fit.posterior()
    assert post.shape == (2423,)
    assert np.all((post >= 0) & (post <= 1))
    assert post.mean() == pytest.approx(fit.prevalence.estimate, rel=1e-9)
    assert post.mean() == pytest.approx(ref["predict"]["given_y_avg"]["result"], abs=2e-6)
    pred = fit.predict()
    assert pred["estimate"].mean() == pytest.approx(
        ref["predict"]["fitted_avg"]["result"], abs=2e-6
    )
    # posterior from predict(given_y=True) on new data equals the stored one
    again = fit.predict(nigeria, given_y=True)["estimate"].to_numpy()
    np.testing.assert_allclose(again[fit.row_positions], post, rtol=1e-12)
    assert np.isnan(again[np.setdiff1d(np.arange(len(nigeria)), fit.row_positions)]).all()
    # and y = 1 answers raise the posterior above the prior, y = 0 lowers it
    lam = pred["estimate"].to_numpy()
    y = fit._state.y
    assert np.all(post[y == 1] > lam[y == 1]) and np.all(post[y == 0] < lam[y == 0])


def test_quasi_bayes_se_close_to_delta_method(nigeria):
    """R's quasi-Bayesian SE of the average prevalence (10000 draws from N(coef, OPG vcov),
    conditional on the covariates) against our delta method with the same vcov: Monte
    Carlo error of an SD from 10000 draws is ~0.7%, plus EM-stop differences."""
    ref = load("nigeria_rrreg_forced_known")
    fit = rr_regression(nigeria, FORMULA, vcov="opg", **CASES["nigeria_rrreg_forced_known"])
    from unspoken.rr.inference import _average_prevalence

    _, g, _ = _average_prevalence(fit._state.lam, fit._state.w, fit._state.X, np.ones(fit.n, bool))
    se = float(np.sqrt(g @ fit.cov @ g))
    assert se == pytest.approx(ref["predict"]["quasi_bayes_avg"]["se"], rel=0.03)


def test_closed_form_and_intercept_only(nigeria):
    ref = load("nigeria_rrreg_forced_known_nocov")
    cf = ref["closed_form"]
    res = rr_prevalence(nigeria, "rr.q1", design="forced-known", p=2 / 3, p1=1 / 6, p0=1 / 6)
    assert res.n == ref["result"]["n"] == 2435  # na.omit on rr.q1 only
    assert res.mean_answer == pytest.approx(cf["ybar"], rel=1e-12)
    assert res.prevalence.estimate == pytest.approx(cf["prevalence"], rel=1e-8)
    fit = rr_regression(nigeria, "rr.q1 ~ 1", p=2 / 3, p1=1 / 6, p0=1 / 6)
    cc = ref["crosscheck_base_R"]
    assert fit.params_[0] == pytest.approx(cf["intercept"], rel=1e-8)
    assert fit.loglik == pytest.approx(cc["polished_loglik"], abs=1e-6)
    assert fit.std_errors.iloc[0] == pytest.approx(cc["polished_se_hessian"][0], rel=1e-6)
    assert fit.std_errors.iloc[0] == pytest.approx(ref["result"]["se"][0], rel=1e-3)
    # closed form SE = delta method of the intercept's SE (same information)
    pi = res.prevalence.estimate
    se_int = res.prevalence.std_error / (pi * (1 - pi))
    assert se_int == pytest.approx(cc["polished_se_hessian"][0], rel=1e-8)
    assert fit.prevalence.std_error == pytest.approx(res.prevalence.std_error, rel=1e-6)
    # the formula spelling of the closed form
    res2 = rr_prevalence(nigeria, "rr.q1 ~ 1", p=2 / 3, p1=1 / 6, p0=1 / 6)
    assert res2.prevalence.estimate == res.prevalence.estimate
