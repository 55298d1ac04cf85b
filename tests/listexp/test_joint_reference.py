"""list_joint against R list 9.2.6 ictreg.joint (tests/reference/mexico_joint_linear.json,
made by tests/reference/scripts/15_list_joint.R): vote selling as a predictor of approval of
Pena Nieto (Imai, Park & Greene 2015, Table 5).

R's EM stops when an iteration gains at most 1e-4 in log-likelihood, and its M step uses the
residual variance RSS/(n - p) instead of the ML value RSS/n, so R's estimates are not the
maximum. What is shown here:

* at R's own estimates, unspoken's log-likelihood is R's (the same model) and the outer
  product of unspoken's scores gives R's standard errors and covariance (the same scores);
* one more EM iteration with R's M step gains less than 1e-4 there (why R stopped);
* unspoken's maximum has a higher log-likelihood, and Newton steps started at R's estimates
  reach unspoken's maximum (R stopped on the way to the same maximum, not at another one).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import unspoken
from unspoken.inference.likelihood import newton_maximize
from unspoken.listexp.joint import joint_data
from unspoken.listexp.joint_model import JointListModel
from unspoken.options import Design

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "mexico_joint_linear.json").read_text()
)
RES = REF["result"]
FORMULA = REF["call"].split("formula = ")[1].split(", data")[0]
K = 18  # intercept + 17 covariates


@pytest.fixture(scope="module")
def mexico():
    return unspoken.datasets.load("mexico")


@pytest.fixture(scope="module")
def model(mexico):
    ld, v = joint_data(
        mexico, FORMULA, "mex.t", 3, "mex.epnapprove", "linear", Design(), None, "listwise"
    )
    assert ld.n == RES["n"] == 1004
    return JointListModel(ld.y, ld.t, v, ld.X, 3, "linear", True)


def r_theta() -> np.ndarray:
    """R's parameters in unspoken's order: R stores (control, sensitive, outcome, gamma,
    sigma); unspoken (sensitive, control, outcome, gamma, log sigma)."""
    par = np.asarray(RES["components"]["par_raw"])
    assert par.size == 3 * K + 2
    return np.concatenate([par[K : 2 * K], par[:K], par[2 * K : 3 * K + 1], [np.log(par[-1])]])


@pytest.fixture(scope="module")
def fit(mexico):
    return unspoken.list_joint(
        mexico, FORMULA, treat="mex.t", J=3, outcome="mex.epnapprove", vcov="opg"
    )


def test_names_follow_r_coef_order(fit):
    terms = ["(Intercept)" if t == "Intercept" else t for t in fit.terms]
    names = [f"{p}.{t}" for p, t in zip(fit.parts, terms, strict=True)]
    assert names[:-1] == RES["coef_names"][:-1]
    assert RES["coef_names"][-1] == "outcome.sensitiveitem"
    assert (fit.parts[-1], fit.terms[-1]) == ("outcome", "sensitive")


def test_loglik_at_r_estimates_is_r_loglik(model):
    assert model.loglik(r_theta()) == pytest.approx(RES["loglik"], rel=1e-12)


def test_opg_at_r_estimates_gives_r_standard_errors(model):
    S = model.scores(r_theta())
    V = np.linalg.inv(S.T @ S)[:-1, :-1]  # R's vcov() leaves sigma out
    np.testing.assert_allclose(np.sqrt(np.diag(V)), RES["se_from_vcov"], rtol=1e-8)
    np.testing.assert_allclose(V, np.asarray(RES["vcov"]), rtol=1e-6, atol=1e-10)


def test_r_stopped_because_its_em_step_gains_less_than_1e_4(model):
    th = r_theta()
    n, p = len(model.y), K + 1
    new = model.mstep(th, model.estep(th))
    new[-1] += 0.5 * np.log(n / (n - p))  # R's sigma^2 = RSS / (n - p)
    gain = model.loglik(new) - model.loglik(th)
    assert 0 < gain < 1e-4


def test_our_maximum_is_higher_and_newton_from_r_reaches_it(fit, model):
    assert fit.converged and fit.gradient_norm < 1e-6
    assert fit.loglik > RES["loglik"] + 0.3  # -3462.79 against R's -3463.19
    res = newton_maximize(model.evaluate, r_theta())
    assert res.converged
    assert res.loglik == pytest.approx(fit.loglik, abs=1e-8)
    np.testing.assert_allclose(res.theta[:-1], fit.params_, rtol=1e-6, atol=1e-7)


def test_opg_variance_is_that_of_the_scores_at_our_estimate(fit, model):
    th = np.append(fit.params_, np.log(fit.sigma.estimate))
    S = model.scores(th)
    V = np.linalg.inv(S.T @ S)
    np.testing.assert_allclose(fit.cov, V[:-1, :-1], rtol=1e-6, atol=1e-12)
    assert fit.sigma.std_error == pytest.approx(fit.sigma.estimate * np.sqrt(V[-1, -1]))
