"""Weights in every variant model: integer weights must give exactly the fit on the data
with each row repeated that many times (the weighted log-likelihood is a sum over rows), and
the cluster-robust variance must equal bread x meat x bread built here from numerical
per-respondent scores (central differences of each row's log-likelihood)."""

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.listexp.ceiling_floor import fit_ceiling_floor
from unspoken.listexp.errors import fit_response_error
from unspoken.listexp.multi import fit_multi
from unspoken.listexp.overdispersed import fit_overdispersed

F = "y ~ south + age + male + college"


def _weighted_and_repeated(df, seed=3):
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 4, len(df))
    return df.assign(w=w), df.loc[df.index.repeat(w)].reset_index(drop=True)


CASES = {
    "ceiling_floor": lambda d, **k: fit_ceiling_floor(d, F, "treat", 3, floor=True, **k),
    "topcoded": lambda d, **k: fit_response_error(d, F, "treat", 3, error="topcoded", **k),
    "overdispersed": lambda d, **k: fit_overdispersed(d, F, "treat", 3, **k),
    "multi_level": lambda d, **k: fit_multi(
        d, F, "treat", 3, method="ml", multi_condition="level", **k
    ),
    "multi_nls": lambda d, **k: fit_multi(d, F, "treat", 3, method="nls", **k),
}


@pytest.mark.parametrize("name", list(CASES))
def test_integer_weights_equal_repeated_rows(name):
    data = datasets.load("multi" if name.startswith("multi") else "affirm")
    weighted, repeated = _weighted_and_repeated(data)
    fw = CASES[name](weighted, weights="w")
    fr = CASES[name](repeated)
    np.testing.assert_allclose(fw.params_, fr.params_, rtol=1e-6, atol=1e-8)
    if fw.loglik is not None:
        assert fw.loglik == pytest.approx(fr.loglik, rel=1e-9)
    # with weights the default variance is the robust sandwich (the model-based one is
    # refused); it differs from the repeated-rows fit's inverse information
    assert fw.vcov_type == "hc0"


def test_cluster_variance_from_numerical_scores(second_differences):
    race = datasets.load("race")
    from unspoken.listexp.errors import ResponseErrorModel
    from unspoken.listexp.multi import prepare_multi

    fit = fit_response_error(race, F, "treat", 3, error="topcoded", cluster="state")
    d = prepare_multi(race, F, "treat", 3, cluster="state")
    m = ResponseErrorModel(d.y, d.t, d.X, 3, "topcoded")
    th = fit.params_
    P, h = len(th), 1e-6
    S = np.column_stack(
        [
            (m.derivs(m.etas(th + h * e), 0)[0] - m.derivs(m.etas(th - h * e), 0)[0]) / (2 * h)
            for e in np.eye(P)
        ]
    )
    g = pd.factorize(race["state"], sort=True)[0]
    G = g.max() + 1
    Sg = np.array([S[g == j].sum(0) for j in range(G)])
    H = second_differences(m.loglik, th)
    B = np.linalg.inv(-(H + H.T) / 2)
    V = B @ (G / (G - 1) * Sg.T @ Sg) @ B
    assert fit.vcov_type == "cluster"
    np.testing.assert_allclose(fit.cov, V, rtol=1e-3)


def test_bootstrap_option_for_multi_items_with_clusters():
    multi = datasets.load("multi")
    fit = fit_multi(multi, "y ~ male + college", "treat", 3, method="lm", cluster="state")
    boot = fit_multi(
        multi,
        "y ~ male + college",
        "treat",
        3,
        method="lm",
        cluster="state",
        vcov="bootstrap",
        bootstrap_reps=300,
        seed=4,
    )
    assert boot.vcov_type == "bootstrap"
    np.testing.assert_allclose(boot.params_, fit.params_)
    ratio = boot.std_errors.to_numpy() / fit.std_errors.to_numpy()
    assert np.all((ratio > 0.75) & (ratio < 1.3)), ratio
