"""The standard estimators on the other bundled list experiments, where R reference files
do not exist: checked independently. The ML optimum is verified with a naive log-likelihood
written here from scipy.stats.binom (not the package's engine): its numerical gradient is
~0, every nearby point is worse, and the intercept-only ML prevalence agrees with the
difference in means within sampling error (both are consistent for the same quantity).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import binom

from unspoken import datasets
from unspoken.listexp import list_experiment

CASES = {
    # name: (subset, covariates, outcome, treat, J)
    "affirm": (None, "age + south + male + college", "y", "treat", 3),
    "mis": ("list.data", "age + south + male + college", "y", "treat", 4),
    "mexico": (None, "mex.male + mex.age + mex.education", "mex.y.all", "mex.t", 3),
    "combinedListExps": (None, "1", "list1N", "list1treat", 4),
}


def naive_loglik(theta, y, t, X, J, constrained=True):
    k = X.shape[1]
    g = expit(X @ theta[:k])
    p0 = expit(X @ theta[k : 2 * k])
    p1 = p0 if constrained else expit(X @ theta[2 * k :])
    lik = np.where(
        t == 1,
        g * binom.pmf(y - 1, J, p1) + (1 - g) * binom.pmf(y, J, p0),
        (binom.pmf(y, J, p0) if constrained else g * binom.pmf(y, J, p1))
        + (0 if constrained else (1 - g) * binom.pmf(y, J, p0)),
    )
    return float(np.sum(np.log(lik)))


def load(name):
    sub, covs, yname, tname, J = CASES[name]
    df = datasets.load(name)
    if sub:
        df = df[df[sub] == 1]
    return df, f"{yname} ~ {covs}", f"{yname} ~ 1", tname, J


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("constrained", [True, False])
def test_ml_is_a_maximum(name, constrained):
    df, f, _, tname, J = load(name)
    fit = list_experiment(df, f, treat=tname, J=J, method="ml", constrained=constrained)
    assert fit.converged
    assert fit.gradient_norm < 1e-6
    rows = fit.row_index_
    y = df.loc[rows, f.split("~")[0].strip()].to_numpy().astype(int)
    t = df.loc[rows, tname].astype(int).to_numpy()
    th = fit.params_
    ll = naive_loglik(th, y, t, fit.X_, J, constrained)
    assert ll == pytest.approx(fit.loglik, abs=1e-8)
    # numerical gradient of the naive log-likelihood is ~0
    h = 1e-5
    grad = [
        (
            naive_loglik(th + h * e, y, t, fit.X_, J, constrained)
            - naive_loglik(th - h * e, y, t, fit.X_, J, constrained)
        )
        / (2 * h)
        for e in np.eye(th.size)
    ]
    assert np.max(np.abs(grad)) < 1e-4
    # nearby points are worse
    rng = np.random.default_rng(1)
    for _ in range(20):
        step = rng.normal(size=th.size) * 1e-3 * fit.std_errors.to_numpy()
        assert naive_loglik(th + step, y, t, fit.X_, J, constrained) < ll


@pytest.mark.parametrize("name", list(CASES))
def test_estimators_agree_within_sampling_error(name):
    df, f, f0, tname, J = load(name)
    dim = list_experiment(df, f0, treat=tname, J=J, method="dim")
    ml0 = list_experiment(df, f0, treat=tname, J=J, method="ml")
    assert abs(ml0.prevalence.estimate - dim.prevalence.estimate) < 2 * dim.prevalence.std_error
    ml = list_experiment(df, f, treat=tname, J=J, method="ml")
    nls = list_experiment(df, f, treat=tname, J=J, method="nls")
    lm = list_experiment(df, f, treat=tname, J=J, method="lm")
    for other in (nls, lm, ml0):
        gap = abs(ml.prevalence.estimate - other.prevalence.estimate)
        assert gap < 2 * max(other.prevalence.std_error, ml.prevalence.std_error)
    # the unconstrained model nests the constrained one
    un = list_experiment(df, f, treat=tname, J=J, method="ml", constrained=False)
    assert un.loglik >= ml.loglik - 1e-8
    # lm with an intercept only is the difference in means
    lm0 = list_experiment(df, f0, treat=tname, J=J, method="lm")
    assert lm0.prevalence.estimate == pytest.approx(dim.prevalence.estimate, rel=1e-12)


def test_affirm_logical_treatment_and_missing_note():
    df, _, f0, tname, J = load("affirm")
    assert df["treat"].dtype == bool
    fit = list_experiment(df, f0, treat=tname, J=J, method="dim")
    assert fit.extra["treatment"]["control"] is False
    y = df["y"].to_numpy()
    t = df["treat"].to_numpy()
    assert fit.prevalence.estimate == pytest.approx(y[t].mean() - y[~t].mean(), rel=1e-12)
    df2, _, f0, tname, J = load("combinedListExps")
    fit = list_experiment(df2, f0, treat=tname, J=J, method="dim")
    assert fit.n == 1019 and fit.extra["n_dropped_missing"] == 4
    assert any("listwise deletion: 4 of 1023" in n for n in fit.notes)
