"""Weights, clusters and strata of the list estimators.

* against R ``survey`` 4.1.1 ``svyglm`` (golden ``tests/reference/survey/survey_race.json``,
  made by ``tests/reference/scripts/50_survey_race.R``; the R calls are listed in
  ``tests/listexp/test_survey_golden.py``, which checks ``list_experiment`` against it): the
  several-item code path ``fit_multi`` with a two-arm treatment, coefficients and standard
  errors under weights, weights + clusters and weights + clusters + strata;
* against the textbook formulas of Taylor linearisation (the stratified with-replacement
  variance of PSU totals, written out with loops here), for the whole covariance matrix
  (the golden holds standard errors only) with other weights and formulas;
* numerical derivatives of the weighted objective for the ML and NLS sandwiches;
* a clustered simulation where cluster-robust intervals cover and naive ones do not.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from listexp_fitters import fit_multi
from scipy.special import expit

from unspoken import datasets
from unspoken.errors import UnsupportedError


def stratified_psu_variance(scores, psu, strata):
    """sum_h n_h/(n_h-1) sum_j (z_hj - zbar_h)(z_hj - zbar_h)' with z_hj the PSU totals of the
    rows of ``scores`` (each row already multiplied by its weight)."""
    k = scores.shape[1]
    B = np.zeros((k, k))
    for h in np.unique(strata):
        in_h = strata == h
        Z = np.array([scores[in_h & (psu == c)].sum(0) for c in np.unique(psu[in_h])])
        nh = len(Z)
        D = Z - Z.mean(0)
        B += nh / (nh - 1) * D.T @ D
    return B


SURVEY = Path(__file__).resolve().parents[1] / "reference" / "survey"
GOLDEN = json.loads((SURVEY / "survey_race.json").read_text())
DESIGNS = {
    "weights": {"weights": "w", "vcov": "survey"},
    "cluster": {"weights": "w", "cluster": "state", "vcov": "survey"},
    "strata": {"weights": "w", "cluster": "state", "strata": "south", "vcov": "survey"},
}


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["name"])
def test_fit_multi_with_two_arms_matches_svyglm_golden(case):
    """fit_multi (the several-item code) on a two-arm design is R's svyglm fit; 'dim' is its
    intercept-only lm. Tolerance: weighted least squares with cond(X'WX) = 2.2e3, so both
    sides carry relative errors up to about cond * eps = 5e-13 (see test_survey_golden.py);
    1e-11 leaves a factor of 20. R's treat terms are the part 'sensitive.1' here."""
    df = pd.read_csv(SURVEY / "survey_race.csv")
    design = DESIGNS[case["name"].rsplit("_", 1)[0]]
    fit = fit_multi(df, case["formula"], "treat", 3, method="lm", **design)
    assert fit.vcov_type == "survey"
    got = {
        (p.replace("sensitive.1", "sensitive"), t): (e, s)
        for p, t, e, s in zip(fit.parts, fit.terms, fit.params_, fit.std_errors, strict=True)
    }
    want = {(r["part"], r["term"]): (r["estimate"], r["std_error"]) for r in case["rows"]}
    assert set(got) == set(want)
    for key, (est, se) in want.items():
        assert got[key][0] == pytest.approx(est, rel=1e-11), key
        assert got[key][1] == pytest.approx(se, rel=1e-11), key
    if case["method"] == "dim":
        est, se = want[("sensitive", "Intercept")]
        assert fit.prevalence[0].estimate == pytest.approx(est, rel=1e-11)
        assert fit.prevalence[0].std_error == pytest.approx(se, rel=1e-11)


@pytest.fixture(scope="module")
def race_design():
    race = datasets.load("race")
    rng = np.random.default_rng(7)
    race = race.assign(
        wt=rng.uniform(0.5, 2.5, len(race)).round(3),
        stratum=np.where(race["south"] == 1, "S", "N"),
    )
    return race


def test_weighted_lm_with_clusters_and_strata_matches_the_textbook_sandwich(race_design):
    """The whole covariance of the weighted lm: A^-1 B A^-1 with B the stratified
    with-replacement variance of the PSU totals of the weighted scores (textbook formula;
    the R svyglm golden above checks the standard errors)."""
    df = race_design
    f = "y ~ age + male"
    y = df["y"].to_numpy(float)
    t = df["treat"].to_numpy()
    X0 = np.column_stack([np.ones(len(df)), df["age"], df["male"]])
    X = np.hstack([X0 * t[:, None], X0])  # sensitive (T x X) block first, then control
    w = df["wt"].to_numpy()
    A = (X * w[:, None]).T @ X
    b = np.linalg.solve(A, X.T @ (w * y))
    e = y - X @ b
    S = X * (w * e)[:, None]
    Ainv = np.linalg.inv(A)
    psu = pd.factorize(df["state"])[0]
    strata = pd.factorize(df["stratum"])[0]

    fit = fit_multi(df, f, "treat", 3, method="lm", weights="wt", cluster="state", strata="stratum")
    assert fit.vcov_type == "survey"
    np.testing.assert_allclose(fit.params_, b, rtol=1e-10)
    V = Ainv @ stratified_psu_variance(S, psu, strata) @ Ainv
    np.testing.assert_allclose(fit.cov, V, rtol=1e-8)

    # clusters alone: G/(G-1) sum_g s_g s_g'
    fit = fit_multi(df, f, "treat", 3, method="lm", weights="wt", cluster="state")
    assert fit.vcov_type == "cluster"
    G = psu.max() + 1
    Sg = np.array([S[psu == g].sum(0) for g in range(G)])
    np.testing.assert_allclose(fit.cov, Ainv @ (G / (G - 1) * Sg.T @ Sg) @ Ainv, rtol=1e-8)


def test_weighted_difference_in_means_matches_the_linearised_contrast(race_design):
    """Intercept-only lm = weighted difference in means; its survey variance is (textbook
    formula) that of the contrast of two domain (ratio) means, linearised as
    z_i = T_i w_i (y_i - ybar_1)/W_1 - (1-T_i) w_i (y_i - ybar_0)/W_0 and summed over PSUs
    within strata."""
    df = race_design
    y, t, w = df["y"].to_numpy(float), df["treat"].to_numpy(), df["wt"].to_numpy()
    W1, W0 = w[t == 1].sum(), w[t == 0].sum()
    m1, m0 = np.sum((w * y)[t == 1]) / W1, np.sum((w * y)[t == 0]) / W0
    z = np.where(t == 1, (y - m1) / W1, -(y - m0) / W0)
    psu = pd.factorize(df["state"])[0]
    strata = pd.factorize(df["stratum"])[0]
    v = stratified_psu_variance((w * z)[:, None], psu, strata)[0, 0]
    fit = fit_multi(
        df, "y ~ 1", "treat", 3, method="lm", weights="wt", cluster="state", strata="stratum"
    )
    assert fit.prevalence[0].estimate == pytest.approx(m1 - m0, rel=1e-12)
    assert fit.prevalence[0].std_error ** 2 == pytest.approx(v, rel=1e-8)


@pytest.mark.parametrize("method", ["ml", "nls"])
def test_weighted_clustered_ml_and_nls_sandwich(race_design, method):
    """ML and NLS with weights and clusters: bread^-1 (G/(G-1) sum_g s_g s_g') bread^-1 with
    the weighted scores/estimating functions, checked against numerical derivatives of the
    weighted objective (independent of the analytic Hessian used inside)."""
    df = race_design
    fit = fit_multi(df, "y ~ age + male", "treat", 3, method=method, weights="wt", cluster="state")
    assert fit.vcov_type == "cluster"
    unw = fit_multi(df, "y ~ age + male", "treat", 3, method=method)
    assert not np.allclose(fit.params_, unw.params_)  # the weights are used
    if method == "ml":
        from unspoken.listexp.multi import _MLModel, prepare_multi
        from unspoken.options import Design

        d = prepare_multi(df, "y ~ age + male", "treat", 3, design=Design("wt", "state"))
        m = _MLModel(d, level=False)
        th = fit.params_
        h = 1e-5
        P = len(th)
        grad = lambda x: np.array(  # noqa: E731
            [(m.loglik(x + h * e) - m.loglik(x - h * e)) / (2 * h) for e in np.eye(P)]
        )
        assert np.max(np.abs(grad(th))) < 1e-4
        H = np.array([(grad(th + 1e-4 * e) - grad(th - 1e-4 * e)) / 2e-4 for e in np.eye(P)])
        _, S, _ = m.derivatives(th)
        S = S * d.w[:, None]
        psu = d.design.cluster
        G = psu.max() + 1
        Sg = np.array([S[psu == g].sum(0) for g in range(G)])
        Hinv = np.linalg.inv(-(H + H.T) / 2)
        V = Hinv @ (G / (G - 1) * Sg.T @ Sg) @ Hinv
        np.testing.assert_allclose(fit.cov, V, rtol=2e-3)


def test_unsupported_combinations_are_refused(race_design):
    with pytest.raises(UnsupportedError, match="strata"):
        fit_multi(race_design, "y ~ 1", "treat", 3, method="lm", strata="stratum", vcov="hc1")
    with pytest.raises(UnsupportedError, match="cluster"):
        fit_multi(race_design, "y ~ 1", "treat", 3, method="ml", cluster="state", vcov="model")
    with pytest.raises(UnsupportedError, match="leverage"):
        fit_multi(race_design, "y ~ 1", "treat", 3, method="ml", vcov="hc3")


def _clustered_sample(rng, G=80, m=15, J=3):
    g = np.repeat(np.arange(G), m)
    t = rng.integers(0, 2, G)[g]  # whole clusters are assigned (cluster randomisation)
    u = rng.normal(0, 1.0, G)[g]
    y0 = rng.binomial(J, expit(-0.2 + u))
    z = rng.random(G * m) < expit(-1.0 + 0.8 * u)
    y = y0 + t * z
    return pd.DataFrame({"y": y, "t": t, "g": g})


def _true_prevalence():
    """E[expit(-1 + 0.8 u)], u ~ N(0, 1), by Gauss-Hermite quadrature."""
    x, wq = np.polynomial.hermite_e.hermegauss(80)
    return float(np.sum(wq * expit(-1.0 + 0.8 * x)) / np.sqrt(2 * np.pi))


def _coverage(prevalence, reps: int, seed: int) -> tuple[float, float]:
    """How often the cluster-robust and the naive (HC0) intervals of ``reps`` clustered
    samples cover the true prevalence; ``prevalence(df, **vcov)`` is an estimate with
    ``ci_low`` and ``ci_high``."""
    rng = np.random.default_rng(seed)
    truth = _true_prevalence()
    cover_cl, cover_naive = [], []
    for _ in range(reps):
        df = _clustered_sample(rng)
        cl = prevalence(df, cluster="g")
        nv = prevalence(df, vcov="hc0")
        cover_cl.append(cl.ci_low <= truth <= cl.ci_high)
        cover_naive.append(nv.ci_low <= truth <= nv.ci_high)
    return float(np.mean(cover_cl)), float(np.mean(cover_naive))


@pytest.mark.slow
def test_cluster_robust_intervals_cover_where_naive_ones_do_not():
    cover_cl, cover_naive = _coverage(
        lambda df, **vcov: fit_multi(df, "y ~ 1", "t", 3, method="lm", **vcov).prevalence[0],
        reps=1000,
        seed=99,
    )
    assert 0.93 <= cover_cl <= 0.97
    assert cover_naive < 0.85


# ----------------------------------------------------------- the standard design's estimators


def test_standard_dim_and_lm_match_the_textbook_formulas(race_design):
    """unspoken.list_experiment(method='dim'/'lm') with weights, clusters and strata against
    the same textbook formulas (linearised contrast of two ratio means; the stratified
    sandwich), for the whole covariance; tests/listexp/test_survey_golden.py compares the
    standard errors with R svyglm."""
    import unspoken

    df = race_design
    y, t, w = df["y"].to_numpy(float), df["treat"].to_numpy(), df["wt"].to_numpy()
    psu = pd.factorize(df["state"])[0]
    strata = pd.factorize(df["stratum"])[0]
    W1, W0 = w[t == 1].sum(), w[t == 0].sum()
    m1, m0 = np.sum((w * y)[t == 1]) / W1, np.sum((w * y)[t == 0]) / W0
    z = np.where(t == 1, (y - m1) / W1, -(y - m0) / W0)
    v = stratified_psu_variance((w * z)[:, None], psu, strata)[0, 0]
    fit = unspoken.list_experiment(
        df, "y ~ 1", J=3, method="dim", weights="wt", cluster="state", strata="stratum"
    )
    assert fit.vcov_type == "survey"
    assert fit.prevalence.estimate == pytest.approx(m1 - m0, rel=1e-12)
    assert fit.prevalence.std_error**2 == pytest.approx(v, rel=1e-8)

    X0 = np.column_stack([np.ones(len(df)), df["age"], df["male"]])
    X = np.hstack([X0 * t[:, None], X0])
    A = (X * w[:, None]).T @ X
    b = np.linalg.solve(A, X.T @ (w * y))
    S = X * (w * (y - X @ b))[:, None]
    Ainv = np.linalg.inv(A)
    fit = unspoken.list_experiment(
        df, "y ~ age + male", J=3, method="lm", weights="wt", cluster="state", strata="stratum"
    )
    np.testing.assert_allclose(fit.params_, b, rtol=1e-10)
    V = Ainv @ stratified_psu_variance(S, psu, strata) @ Ainv
    np.testing.assert_allclose(fit.cov, V, rtol=1e-8)


@pytest.mark.slow
def test_standard_dim_cluster_intervals_cover():
    import unspoken

    cover_cl, cover_naive = _coverage(
        lambda df, **vcov: (
            unspoken.list_experiment(df, "y ~ 1", "t", 3, method="dim", **vcov).prevalence
        ),
        reps=400,
        seed=5,
    )
    assert 0.93 <= cover_cl <= 0.97
    assert cover_naive < 0.85
