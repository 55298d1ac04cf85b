"""Response-error models (Blair, Chou & Imai 2019) against R list 9.2.6
(tests/reference/race_error_topcode.json, race_error_uniform.json) and by simulation."""

import json
from pathlib import Path

import numpy as np
import pytest
from listexp_fitters import fit_response_error

from unspoken import datasets
from unspoken.errors import ConvergenceError, UnsupportedError
from unspoken.inference.likelihood import newton_maximize
from unspoken.listexp.errors import ResponseErrorModel, _dim
from unspoken.listexp.multi import prepare_multi
from unspoken.simulate.list_variants import simulate_response_error

REF = Path(__file__).resolve().parents[1] / "reference"
F = "y ~ age + college + male + south"


@pytest.fixture(scope="module")
def race():
    return datasets.load("race")


@pytest.mark.parametrize("spelling", ["topcode", "topcoded"])
def test_topcoded_ml_matches_r(race, spelling):
    ref = json.loads((REF / "race_error_topcode.json").read_text())
    r = ref["result"]
    c = r["components"]
    fit = fit_response_error(race, F, "treat", 3, error=spelling)
    par_r = np.concatenate(
        [list(c["par.treat"].values()), list(c["par.control"].values()), [c["lp.est"]["1"]]]
    )
    # R's EM (304 iterations, stop at max parameter change 1e-8) reached the maximum here:
    # log-likelihoods agree to 2e-12, estimates to 2.2e-7 relative, SEs (R: optim's
    # finite-difference Hessian) to 3e-6 (no polished value is given for this case)
    assert fit.converged and fit.gradient_norm < 1e-8
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-9)
    assert fit.loglik >= r["loglik"] - 1e-10
    np.testing.assert_allclose(fit.params_, par_r, rtol=1e-6)
    se_r = np.concatenate([r["se_from_vcov"], [c["lp.se"]["1"]]])
    np.testing.assert_allclose(fit.std_errors.to_numpy(), se_r, rtol=1e-4)
    p = fit.extra["error_share"]["p"]
    assert p["estimate"] == pytest.approx(c["p.est"], rel=1e-4)
    assert p["ci_low"] == pytest.approx(c["p.ci"]["lwr"], rel=2e-3)
    assert p["ci_high"] == pytest.approx(c["p.ci"]["upr"], rel=2e-3)
    assert fit.terms[-1] == "logit(p)" and fit.parts[-1] == "error"


def test_uniform_on_race_has_its_maximum_on_the_boundary(race):
    """R stops with 'system is computationally singular' (race_error_uniform.json). The
    reason: the likelihood rises monotonically as the control group's error share p0 goes
    to 0, so there is no interior maximum. We show the profile log-likelihood increasing as
    logit(p0) decreases, and that fitting raises an error saying so."""
    ref = json.loads((REF / "race_error_uniform.json").read_text())
    assert not ref["ok"] and "singular" in ref["error"]
    with pytest.raises(ConvergenceError, match=r"\(p0\) is 0"):
        fit_response_error(race, F, "treat", 3, error="uniform")
    d = prepare_multi(race, F, "treat", 3)
    model = ResponseErrorModel(d.y, d.t, d.X, 3, "uniform")
    k = 2 * d.X.shape[1]
    start = fit_response_error(race, F, "treat", 3, error="topcoded").params_[:k]
    profile = []
    for lp0 in (-1.0, -3.0, -6.0, -12.0):

        def fun(th, order, lp0=lp0):
            full = np.concatenate([th[:k], [lp0], th[k:]])
            ll, g, H = model.evaluate(full, order)
            keep = np.r_[0:k, k + 1]
            return ll, None if g is None else g[keep], None if H is None else H[np.ix_(keep, keep)]

        res = newton_maximize(fun, np.concatenate([start, [-3.0]]))
        assert res.converged
        profile.append(res.loglik)
    assert np.all(np.diff(profile) > 0), profile


def test_simulation_recovers_truth():
    for err in ("topcoded", "uniform"):
        df, truth = simulate_response_error(20000, error=err, seed=8)
        fit = fit_response_error(df, "y ~ x1 + x2", "treat", 3, error=err)
        tr = np.concatenate([truth["sensitive"], truth["control"], list(truth["error"].values())])
        z = (fit.params_ - tr) / fit.std_errors.to_numpy()
        assert np.all(np.abs(z) < 3.5), (err, z)
        p = fit.prevalence
        assert abs(p.estimate - truth["prevalence"]) < 3.5 * p.std_error


def test_robust_equals_difference_in_means_with_its_variance():
    df, _ = simulate_response_error(4000, error="topcoded", p=0.08, seed=4)
    d = prepare_multi(df, "y ~ x1 + x2", "treat", 3)
    tau, psi = _dim(d)
    for err in ("topcoded", "none"):
        fit = fit_response_error(df, "y ~ x1 + x2", "treat", 3, error=err, robust=True)
        assert fit.converged and fit.vcov_type == "hc0"
        assert fit.prevalence.estimate == pytest.approx(tau, abs=1e-12)
        # the prevalence's influence is exactly that of the difference in means
        assert fit.prevalence.std_error == pytest.approx(np.sqrt(np.sum(psi**2)), rel=1e-8)
        assert fit.extra["difference_in_means"] == pytest.approx(tau)
        # constrained maximum: no higher likelihood on the constraint nearby
        free = fit_response_error(df, "y ~ x1 + x2", "treat", 3, error="topcoded")
        if err == "topcoded":
            assert fit.loglik <= free.loglik + 1e-9


@pytest.mark.slow
def test_robust_sandwich_agrees_with_bootstrap():
    df, _ = simulate_response_error(3000, error="topcoded", p=0.08, seed=5)
    fit = fit_response_error(df, "y ~ x1 + x2", "treat", 3, robust=True)
    boot = fit_response_error(
        df, "y ~ x1 + x2", "treat", 3, robust=True, vcov="bootstrap", bootstrap_reps=150, seed=2
    )
    ratio = boot.std_errors.to_numpy() / fit.std_errors.to_numpy()
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio


def test_affirm_exact_hessian_matches_numerical_second_differences(second_differences):
    affirm = datasets.load("affirm")
    fit = fit_response_error(affirm, F, "treat", 3, error="topcoded")
    d = prepare_multi(affirm, F, "treat", 3)
    m = ResponseErrorModel(d.y, d.t, d.X, 3, "topcoded")
    th = fit.params_
    num = second_differences(m.loglik, th)
    np.testing.assert_allclose(m.evaluate(th, 2)[2], num, rtol=1e-4, atol=1e-3)


def test_refusals(race):
    with pytest.raises(UnsupportedError, match="ML only"):
        fit_response_error(race, F, "treat", 3, method="nls")
    with pytest.raises(UnsupportedError, match="standard model"):
        fit_response_error(race, F, "treat", 3, error="none")
    with pytest.raises(UnsupportedError):
        fit_response_error(race, F, "treat", 3, error="gaussian")
