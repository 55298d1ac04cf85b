"""Weights in every variant model: integer weights must give exactly the fit on the data
with each row repeated that many times (the weighted log-likelihood is a sum over rows), and
the cluster-robust variance must equal bread x meat x bread built here from numerical
per-respondent scores (central differences of each row's log-likelihood) and a numerical
Hessian (Richardson-extrapolated second differences of the log-likelihood)."""

import numpy as np
import pandas as pd
import pytest
from listexp_fitters import fit_ceiling_floor, fit_multi, fit_overdispersed, fit_response_error

from unspoken import datasets

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


def test_cluster_variance_from_numerical_scores(richardson_hessian):
    """The cluster sandwich against one built from the log-likelihood alone: per-row scores
    by central differences, the Hessian by Richardson-extrapolated second differences.

    Steps are set on the scale of the linear predictor (a step moves eta by about ``h``
    over the rows, so the age coefficient, with rms(age) = 4.6, gets a smaller one). Entries
    are compared relative to ``sqrt(V_ii V_jj)`` (a correlation-scale error), not one by
    one: off-diagonal covariances near 0 carry no relative precision of their own. The bound
    1e-5 follows from the reference's own error: with ``h = 0.06`` the O(h^6) truncation
    error is ~1e-8 (the result moves by 1e-8 at h = 0.03 and by 1.3e-7 at h = 0.12; it
    agrees with the package to 5e-9 under four OpenBLAS kernels), and rounding
    (loglik noise ~eps * sum |l_i| = 3e-13, times 11 / (s_i s_j), divided by sqrt(|H_ii
    H_jj|) and amplified by the condition number 290 of the correlation-scaled information)
    is at most ~1e-6; the scores' central differences add ~1e-9. Any real mistake is far
    larger: leaving out G / (G - 1) alone moves the diagonal by 1 / 48 = 2%.
    """
    race = datasets.load("race")
    from unspoken.listexp.errors import ResponseErrorModel
    from unspoken.listexp.multi import prepare_multi
    from unspoken.options import Design

    fit = fit_response_error(race, F, "treat", 3, error="topcoded", cluster="state")
    d = prepare_multi(race, F, "treat", 3, design=Design(cluster="state"))
    m = ResponseErrorModel(d.y, d.t, d.X, 3, "topcoded")
    th = fit.params_
    rms = np.sqrt(np.mean(np.hstack([d.X, d.X, np.ones((d.n, 1))]) ** 2, axis=0))

    def row_loglik(theta):
        return m.derivs(m.etas(theta), 0)[0]

    hs = 1e-5 / rms
    S = np.column_stack(
        [(row_loglik(th + e) - row_loglik(th - e)) / (2 * e[j]) for j, e in enumerate(np.diag(hs))]
    )
    g = pd.factorize(race["state"], sort=True)[0]
    G = g.max() + 1
    Sg = np.array([S[g == j].sum(0) for j in range(G)])
    H = richardson_hessian(m.loglik, th, 0.06 / rms)
    B = np.linalg.inv(-(H + H.T) / 2)
    V = B @ (G / (G - 1) * Sg.T @ Sg) @ B
    assert fit.vcov_type == "cluster"
    sd = np.sqrt(np.diag(V))
    scaled = np.abs(fit.cov - V) / np.outer(sd, sd)
    worst = np.unravel_index(np.argmax(scaled), scaled.shape)
    assert scaled.max() < 1e-5, f"entry {worst}: |cov - V| / sqrt(V_ii V_jj) = {scaled.max():.2g}"


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
