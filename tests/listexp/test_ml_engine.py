"""The reusable ML engine: derivatives, optimiser, EM driver, convergence reporting."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from unspoken.errors import ConvergenceError
from unspoken.inference.index_model import IndexModel, log_binom_pmf, log_choose
from unspoken.inference.likelihood import (
    binomial_fit,
    em,
    fit_index_model,
    newton_maximize,
    numeric_hessian,
)
from unspoken.listexp.ml import BinomialListModel, standard_start
from unspoken.simulate.listexp import simulate_list


def central_grad(f, x, h=1e-5):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])


@pytest.fixture(scope="module")
def sim():
    df = simulate_list(3000, 4, [-0.5, 0.7, -0.4], [0.1, -0.3, 0.2], seed=11)
    X = np.column_stack([np.ones(len(df)), df["x1"], df["x2"]])
    return df["y"].to_numpy(), df["treat"].to_numpy(), X


@pytest.mark.parametrize("constrained", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_and_hessian_are_exact(sim, constrained, weighted):
    y, t, X = sim
    w = np.random.default_rng(2).uniform(0.2, 3, len(y)) if weighted else None
    m = BinomialListModel(y, t, X, 4, constrained, w)
    rng = np.random.default_rng(3)
    theta = rng.normal(scale=0.5, size=m.n_params)
    ll, g, H = m.evaluate(theta)
    # the log-likelihood itself against scipy's binomial pmf
    k = X.shape[1]
    gi = expit(X @ theta[:k])
    p0 = expit(X @ theta[k : 2 * k])
    p1 = p0 if constrained else expit(X @ theta[2 * k :])
    from scipy.stats import binom

    treated = gi * binom.pmf(y - 1, 4, p1) + (1 - gi) * binom.pmf(y, 4, p0)
    control = (
        binom.pmf(y, 4, p0)
        if constrained
        else gi * binom.pmf(y, 4, p1) + (1 - gi) * binom.pmf(y, 4, p0)
    )
    li = np.log(np.where(t == 1, treated, control))
    assert ll == pytest.approx(li.sum() if w is None else w @ li, rel=1e-12)
    np.testing.assert_allclose(g, central_grad(m.loglik, theta), rtol=1e-6, atol=1e-5)
    Hn = numeric_hessian(lambda th: m.evaluate(th, 1)[1], theta)
    np.testing.assert_allclose(H, Hn, rtol=1e-5, atol=1e-4)
    S = m.scores(theta)
    np.testing.assert_allclose(S.sum(0) if w is None else w @ S, g, rtol=1e-10, atol=1e-8)


def test_log_binom_pmf_outside_support():
    out = log_binom_pmf(np.array([-1, 0, 3, 4]), 3, np.zeros(4))
    assert np.isneginf(out[0]) and np.isneginf(out[3])
    np.testing.assert_allclose(np.exp(out[1:3]), [1 / 8, 1 / 8])


def test_log_choose_against_scipy():
    from scipy.special import comb

    k = np.array([[-1, 0, 1], [2, 5, 6]])
    out = log_choose(k, 5)
    assert np.isneginf(out[0, 0]) and np.isneginf(out[1, 2])
    np.testing.assert_allclose(np.exp(out[0, 1:]), comb(5, [0, 1]), rtol=1e-12)
    np.testing.assert_allclose(np.exp(out[1, :2]), comb(5, [2, 5]), rtol=1e-12)


def test_em_is_monotone_and_reaches_the_newton_maximum(sim):
    y, t, X = sim
    m = BinomialListModel(y, t, X, 4, True)
    th0 = standard_start(y, t, X, 4)
    lls = []

    def ll(th):
        v = m.loglik(th)
        lls.append(v)
        return v

    th_em, ll_em, iters, ok = em(
        th0, m.estep, lambda th, w: m.mstep(th, w, steps=3), ll, maxiter=3000, tol=1e-10
    )
    assert ok and iters > 5
    assert np.all(np.diff(lls) >= -1e-9)
    res = newton_maximize(m.evaluate, th0)
    assert res.converged and res.iterations < 15
    assert ll_em == pytest.approx(res.loglik, abs=1e-6)
    np.testing.assert_allclose(th_em, res.theta, atol=2e-3)


def test_newton_without_analytic_hessian():
    # a log-likelihood given with its gradient only: Poisson regression
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(500), rng.normal(size=500)])
    y = rng.poisson(np.exp(0.3 + 0.5 * X[:, 1]))

    def fun(b, order):
        eta = X @ b
        ll = float(y @ eta - np.exp(eta).sum())
        g = X.T @ (y - np.exp(eta)) if order >= 1 else None
        return ll, g, None

    res = newton_maximize(fun, np.zeros(2))
    assert res.converged
    np.testing.assert_allclose(res.gradient, 0, atol=1e-8)
    H = -(X.T @ (X * np.exp(X @ res.theta)[:, None]))
    np.testing.assert_allclose(res.hessian, H, rtol=1e-6)


def test_non_convergence_is_reported(sim):
    y, t, X = sim
    m = BinomialListModel(y, t, X, 4, True)
    th0 = np.zeros(m.n_params)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        res, _ = fit_index_model(m, th0, em_maxiter=0, maxiter=1)
    assert not res.converged and res.iterations == 1
    with pytest.raises(ConvergenceError, match="did not converge"):
        fit_index_model(m, th0, em_maxiter=0, maxiter=1, strict=True)


def test_custom_index_model():
    """A model defined only by its index derivatives (logistic regression) plugs in."""

    class Logit(IndexModel):
        def __init__(self, X, y):
            self.designs, self.block_names, self.y, self.weights = [X], ["beta"], y, None

        def derivs(self, etas, order):
            e = etas[0]
            p = expit(e)
            ll = self.y * e - np.logaddexp(0, e)
            return ll, [self.y - p], {(0, 0): -p * (1 - p)}

    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(400), rng.normal(size=400)])
    y = (rng.random(400) < expit(-0.2 + X[:, 1])).astype(float)
    res, _ = fit_index_model(Logit(X, y), np.zeros(2))
    np.testing.assert_allclose(res.theta, binomial_fit(X, y, 1.0), atol=1e-8)
