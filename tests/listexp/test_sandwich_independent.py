"""The robust (HC0) variance of the list ML estimator against a sandwich built here from an
independent per-respondent log-likelihood (scipy.stats.binom), with numerical scores and a
numerical Hessian: V = H^-1 (sum_i w_i^2 s_i s_i') H^-1, H = sum_i w_i d s_i / d theta.

The other robust checks compare hc0 with the model SEs only loosely (race is real data, they
differ by up to 11%); this one pins the formula, including the weights, to the finite-
difference error (observed 1e-5; 1e-4 would still catch an n/(n-1) factor, 8e-4 here).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import binom

from unspoken import datasets
from unspoken.listexp import list_experiment

FORMULA = "y ~ south + age + male + college"


def loglik_i(theta, y, t, X, J):
    k = X.shape[1]
    g, p = expit(X @ theta[:k]), expit(X @ theta[k:])
    treated = g * binom.pmf(y - 1, J, p) + (1 - g) * binom.pmf(y, J, p)
    return np.log(np.where(t == 1, treated, binom.pmf(y, J, p)))


@pytest.mark.parametrize("weighted", [False, True])
def test_hc0_is_the_sandwich_of_numerical_scores(weighted):
    race = datasets.load("race")
    w = np.random.default_rng(1).uniform(0.5, 2, len(race))
    race = race.assign(w=w)
    fit = list_experiment(race, FORMULA, J=3, vcov="hc0", weights="w" if weighted else None)
    assert fit.vcov_type == "hc0"
    y, t, X, theta = race["y"].to_numpy(), race["treat"].to_numpy(), fit.X_, fit.params_
    wt = w if weighted else np.ones(len(y))
    E = np.eye(theta.size)

    def scores(th, h=1e-5):
        return np.column_stack(
            [
                (loglik_i(th + h * e, y, t, X, 3) - loglik_i(th - h * e, y, t, X, 3)) / (2 * h)
                for e in E
            ]
        )

    h = 1e-3
    H = np.column_stack([wt @ (scores(theta + h * e) - scores(theta - h * e)) / (2 * h) for e in E])
    Hi = np.linalg.inv((H + H.T) / 2)
    S = scores(theta) * wt[:, None]
    V = Hi @ (S.T @ S) @ Hi
    # at the maximum the weighted scores sum to zero
    assert np.max(np.abs(S.sum(0))) < 1e-4
    np.testing.assert_allclose(fit.std_errors.to_numpy(), np.sqrt(np.diag(V)), rtol=1e-4)
    assert np.linalg.norm(fit.cov - V) / np.linalg.norm(V) < 1e-4
    if not weighted:  # and the model variance is the inverse of the same Hessian
        model = list_experiment(race, FORMULA, J=3)
        assert np.linalg.norm(model.cov - np.linalg.inv(-H)) / np.linalg.norm(model.cov) < 1e-4
