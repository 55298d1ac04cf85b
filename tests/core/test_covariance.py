"""Covariance estimators against closed forms written out independently."""

import numpy as np
import pandas as pd
import pytest

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.bootstrap import bootstrap_cov
from unspoken.inference.covariance import SurveyDesign, survey_design, vcov_from_influence


def weighted_mean_psi(y, w):
    return w * (y - np.sum(w * y) / np.sum(w)) / np.sum(w)


def test_survey_variance_of_weighted_mean_matches_textbook_formula():
    # Stratified cluster sample: textbook with-replacement variance of the ratio mean
    # (Lumley 2010, sec. 2.3 / R survey svymean), written out with explicit loops.
    rng = np.random.default_rng(1)
    n = 300
    strata = rng.integers(0, 3, n)
    psu = rng.integers(0, 8, n)  # PSU ids reused across strata on purpose
    w = rng.uniform(0.5, 3, n)
    y = rng.normal(size=n) + strata
    design = SurveyDesign(n, w, psu, strata)
    v = vcov_from_influence(weighted_mean_psi(y, w), "survey", design)

    ybar = np.sum(w * y) / np.sum(w)
    total = 0.0
    for h in np.unique(strata):
        totals = []
        for c in np.unique(psu[strata == h]):
            m = (strata == h) & (psu == c)
            totals.append(np.sum(w[m] * (y[m] - ybar)) / np.sum(w))
        totals = np.array(totals)
        nh = len(totals)
        total += nh / (nh - 1) * np.sum((totals - totals.mean()) ** 2)
    assert v == pytest.approx(total, rel=1e-12)


def test_unclustered_survey_variance_is_n_over_n_minus_1_times_hc0():
    rng = np.random.default_rng(2)
    n = 50
    y, w = rng.normal(size=n), rng.uniform(1, 2, n)
    psi = weighted_mean_psi(y, w)
    hc0 = vcov_from_influence(psi, "hc0")
    sv = vcov_from_influence(psi, "survey", SurveyDesign(n, w))
    assert sv == pytest.approx(hc0 * n / (n - 1), rel=1e-12)
    assert hc0 == pytest.approx(np.sum(psi**2), rel=1e-12)


def test_cluster_variance_and_hc_family():
    rng = np.random.default_rng(3)
    n = 40
    psi = rng.normal(size=(n, 2))
    cl = np.repeat(np.arange(10), 4)
    v = vcov_from_influence(psi, "cluster", SurveyDesign(n, cluster=cl))
    Z = psi.reshape(10, 4, 2).sum(axis=1)
    np.testing.assert_allclose(v, 10 / 9 * Z.T @ Z)
    np.testing.assert_allclose(vcov_from_influence(psi, "hc1"), n / (n - 2) * psi.T @ psi)
    h = rng.uniform(0.01, 0.3, n)
    np.testing.assert_allclose(
        vcov_from_influence(psi, "hc3", leverage=h),
        (psi / (1 - h)[:, None]).T @ (psi / (1 - h)[:, None]),
    )


def test_bad_requests_are_refused():
    psi = np.ones((5, 1))
    with pytest.raises(UnsupportedError):
        vcov_from_influence(psi, "cluster")
    with pytest.raises(UnsupportedError):
        vcov_from_influence(psi, "hc3")
    with pytest.raises(UnsupportedError):
        vcov_from_influence(psi, "sandwich")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="single PSU"):
        vcov_from_influence(
            psi[:, 0],
            "survey",
            SurveyDesign(5, None, np.array([0, 1, 2, 3, 3]), np.array([0, 0, 1, 1, 2])),
        )


def test_survey_design_reads_columns_and_rejects_bad_weights():
    df = pd.DataFrame({"w": [1.0, 2.0, -1.0], "c": ["a", "b", "a"]})
    with pytest.raises(DataError, match="column 'w'.*row 2"):
        survey_design(df, weights="w")
    d = survey_design(df.iloc[:2], weights="w", cluster="c")
    assert d.default_kind() == "cluster"
    np.testing.assert_array_equal(d.cluster, [0, 1])


def test_bootstrap_of_a_mean_is_close_to_analytic():
    rng = np.random.default_rng(4)
    y = rng.normal(size=400)
    cov, draws = bootstrap_cov(lambda rows: np.array([y[rows].mean()]), len(y), reps=400, seed=5)
    assert draws.shape == (400, 1)
    assert cov[0, 0] == pytest.approx(y.var() / len(y), rel=0.2)
