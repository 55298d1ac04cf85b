"""The shared maximisers of :mod:`unspoken.inference.likelihood` against a closed form.

A mirrored-question randomized response (``P(yes | Z = z) = a + b z``, ``a = 1 - p``,
``b = 2p - 1``) with one binary covariate is a saturated two-group mixture: the MLE of the
prevalence in each group is ``(share of yes - a) / b`` (when inside (0, 1)), so both
maximisers must reach ``logit`` of those shares, and report it through :class:`Convergence`.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from unspoken.errors import UnsupportedError
from unspoken.inference.likelihood import Convergence, newton_em, newton_maximize

P = 0.75
A, B = 1 - P, 2 * P - 1
# group 0: 120 of 200 say yes; group 1: 80 of 200 say yes
X = np.column_stack([np.ones(400), np.repeat([0.0, 1.0], 200)])
Y = np.concatenate([np.repeat([1.0, 0.0], [120, 80]), np.repeat([1.0, 0.0], [80, 120])])
LAM = np.array([(0.6 - A) / B, (0.4 - A) / B])  # 0.7 and 0.3
TRUTH = np.array([logit(LAM[0]), logit(LAM[1]) - logit(LAM[0])])
F1 = np.where(Y == 1, A + B, 1 - A - B)  # P(y_i | Z = 1)
F0 = np.where(Y == 1, A, 1 - A)  # P(y_i | Z = 0)


def _state(theta: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    lam = expit(X @ theta)
    mix = F1 * lam + F0 * (1 - lam)
    return float(np.sum(np.log(mix))), (lam, F1 * lam / mix)


def _derivs(state: tuple[np.ndarray, np.ndarray]):
    lam, r = state
    g = X.T @ (r - lam)
    complete = X.T @ (X * (lam * (1 - lam))[:, None])
    observed = X.T @ (X * (lam * (1 - lam) - r * (1 - r))[:, None])
    return g, observed, complete


def _fun(theta: np.ndarray, order: int):
    ll, state = _state(theta)
    g, observed, _ = _derivs(state)
    return ll, (g if order >= 1 else None), (-observed if order >= 2 else None)


def test_newton_em_reaches_the_closed_form():
    theta, ll, _, report, (n_em, n_newton) = newton_em(_state, _derivs, np.zeros(2))
    assert isinstance(report, Convergence)
    assert report.converged
    np.testing.assert_allclose(theta, TRUTH, atol=1e-8)
    assert ll == pytest.approx(_state(TRUTH)[0], abs=1e-10)
    assert report.gradient_norm < 1e-8
    assert report.iterations >= 1 and n_em + n_newton <= report.iterations
    assert "decrement" in report.message


def test_newton_maximize_reaches_the_closed_form():
    res = newton_maximize(_fun, np.zeros(2))
    assert res.converged and res.report.converged
    np.testing.assert_allclose(res.theta, TRUTH, atol=1e-8)
    assert res.gradient_norm == res.report.gradient_norm < 1e-8
    assert res.iterations == res.report.iterations >= 1


def test_stopped_early_is_reported_not_converged():
    far = np.array([3.0, -5.0])
    *_, report, _ = newton_em(_state, _derivs, far, maxit=1)
    assert not report.converged and report.iterations == 1
    assert report.gradient_norm > 1e-3
    res = newton_maximize(_fun, far, maxiter=1)
    assert not res.converged and res.iterations == 1
    assert "no convergence after 1" in res.message


@pytest.mark.parametrize("maxit", [0, -1, 2.5, "many"])
def test_newton_em_refuses_a_bad_maxit(maxit):
    with pytest.raises(UnsupportedError, match="maxit"):
        newton_em(_state, _derivs, np.zeros(2), maxit=maxit)
