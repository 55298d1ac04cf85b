"""Weights, clusters, strata and the variance estimators of the standard estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.errors import ConvergenceError
from unspoken.listexp import list_experiment
from unspoken.listexp.ml import ml_core
from unspoken.simulate.listexp import simulate_list

F = "y ~ south + age + male + college"


@pytest.fixture(scope="module")
def race() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    d = datasets.load("race")
    return d.assign(
        w=rng.integers(1, 4, len(d)).astype(float),
        psu=rng.integers(0, 60, len(d)),
        stratum=rng.integers(0, 4, len(d)),
    )


@pytest.mark.parametrize("method", ["dim", "lm", "nls", "ml"])
def test_integer_weights_equal_duplicated_rows(race, method):
    # (NLS has no finite solution with all four covariates on these weights)
    f = {"dim": "y ~ 1", "nls": "y ~ south + age"}.get(method, F)
    wfit = list_experiment(race, f, J=3, method=method, weights="w")
    dup = race.loc[race.index.repeat(race["w"].astype(int))]
    dfit = list_experiment(dup, f, J=3, method=method)
    np.testing.assert_allclose(wfit.params_, dfit.params_, rtol=1e-7, atol=1e-9)
    assert wfit.prevalence.estimate == pytest.approx(dfit.prevalence.estimate, rel=1e-7)
    if method == "ml":
        assert wfit.loglik == pytest.approx(dfit.loglik, rel=1e-10)
        assert wfit.vcov_type == "hc0"
        assert any("probability weights" in n for n in wfit.notes)


def test_weighted_dim_is_difference_of_weighted_means(race):
    fit = list_experiment(race, "y ~ 1", J=3, method="dim", weights="w", vcov="hc0")
    y, t, w = race["y"].to_numpy(), race["treat"].to_numpy() == 1, race["w"].to_numpy()
    m1, m0 = np.average(y[t], weights=w[t]), np.average(y[~t], weights=w[~t])
    assert fit.prevalence.estimate == pytest.approx(m1 - m0, rel=1e-12)
    # linearisation variance of a difference of two ratio means
    v1 = np.sum((w[t] * (y[t] - m1)) ** 2) / w[t].sum() ** 2
    v0 = np.sum((w[~t] * (y[~t] - m0)) ** 2) / w[~t].sum() ** 2
    assert fit.prevalence.std_error == pytest.approx(np.sqrt(v1 + v0), rel=1e-10)


def test_cluster_and_survey_defaults(race):
    c = list_experiment(race, F, J=3, cluster="psu")
    assert c.vcov_type == "cluster"
    s = list_experiment(race, F, J=3, cluster="psu", strata="stratum", weights="w")
    assert s.vcov_type == "survey"
    # one respondent per cluster: cluster-robust = hc0 * n/(n-1)
    one = list_experiment(race.assign(id=np.arange(len(race))), F, J=3, cluster="id")
    h0 = list_experiment(race, F, J=3, vcov="hc0")
    n = len(race)
    np.testing.assert_allclose(one.cov, h0.cov * n / (n - 1), rtol=1e-10)
    # for the correctly specified-looking race model, robust and model SEs are close
    m = list_experiment(race, F, J=3)
    np.testing.assert_allclose(h0.std_errors, m.std_errors, rtol=0.35)
    note = list_experiment(race, F, J=3, cluster="psu", vcov="hc0").notes
    assert any("ignores it" in x for x in note)


def test_lm_hc_family(race):
    fits = {
        k: list_experiment(race, F, J=3, method="lm", vcov=k)
        for k in ("model", "hc0", "hc1", "hc2", "hc3")
    }
    se = {k: f.std_errors.to_numpy() for k, f in fits.items()}
    n, p = len(race), 10
    np.testing.assert_allclose(se["hc1"], se["hc0"] * np.sqrt(n / (n - p)), rtol=1e-12)
    assert np.all(se["hc0"] < se["hc2"]) and np.all(se["hc2"] < se["hc3"])


def test_bootstrap_close_to_model(race):
    m = list_experiment(race, "y ~ 1", J=3)
    b = list_experiment(race, "y ~ 1", J=3, vcov="bootstrap", bootstrap_reps=300, seed=3)
    assert b.vcov_type == "bootstrap"
    np.testing.assert_allclose(b.std_errors, m.std_errors, rtol=0.2)
    b2 = list_experiment(race, "y ~ 1", J=3, vcov="bootstrap", bootstrap_reps=300, seed=3)
    np.testing.assert_array_equal(b.cov, b2.cov)


def test_compression_is_exact():
    rng = np.random.default_rng(5)
    cov = lambda n, r: np.column_stack([r.integers(0, 2, n), r.integers(0, 4, n)])  # noqa: E731
    df = simulate_list(6000, 4, [-1, 0.8, 0.3], [0.2, -0.4, 0.1], covariates=cov, seed=rng)
    X = np.column_stack([np.ones(len(df)), df["x1"], df["x2"]])
    y, t = df["y"].to_numpy(), df["treat"].to_numpy()
    w = rng.uniform(0.5, 2, len(df))
    for weights in (None, w):
        a = ml_core(y, t, X, ["Intercept", "x1", "x2"], 4, weights, compress=True)
        b = ml_core(y, t, X, ["Intercept", "x1", "x2"], 4, weights, compress=False)
        assert a.extra["compressed_patterns"] is not None and a.extra["compressed_patterns"] < 100
        assert b.extra["compressed_patterns"] is None
        np.testing.assert_allclose(a.theta, b.theta, rtol=1e-8, atol=1e-10)
        assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
        np.testing.assert_allclose(a.model_cov, b.model_cov, rtol=1e-7)
        np.testing.assert_allclose(a.influence(), b.influence(), rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(a.posterior, b.posterior, rtol=1e-8, atol=1e-12)


def test_no_finite_maximum_is_flagged():
    df = simulate_list(800, 3, [-60.0, 0.5], [0.0, 0.3], seed=3)
    with pytest.warns(RuntimeWarning, match="no finite maximum"):
        fit = list_experiment(df, "y ~ x1", J=3)
    assert not fit.converged
    assert any("no finite maximum" in n for n in fit.notes)
    with pytest.raises(ConvergenceError):
        list_experiment(df, "y ~ x1", J=3, strict=True)


def test_subsample_start_reaches_the_same_maximum(monkeypatch):
    """Large data start from ML on a random subsample; the maximum is the same."""
    import unspoken.listexp.ml as mlmod

    df = simulate_list(12_000, 4, [-0.7, 0.5, -0.3], [0.1, 0.2, -0.2], seed=8)
    X = np.column_stack([np.ones(len(df)), df["x1"], df["x2"]])
    y, t = df["y"].to_numpy(), df["treat"].to_numpy()
    terms = ["Intercept", "x1", "x2"]
    for constrained in (True, False):
        ref = ml_core(y, t, X, terms, 4, None, constrained)
        monkeypatch.setattr(mlmod, "SUBSAMPLE_ROWS", 3000)
        sub = ml_core(y, t, X, terms, 4, None, constrained)
        monkeypatch.undo()
        assert any("subsample of 3000" in n for n in sub.notes)
        assert sub.converged and ref.converged
        np.testing.assert_allclose(sub.theta, ref.theta, rtol=1e-7, atol=1e-9)
        assert sub.loglik == pytest.approx(ref.loglik, abs=1e-8)


def test_polars_and_dict_input(race):
    import polars as pl

    a = list_experiment(race, F, J=3, method="lm")
    b = list_experiment(pl.from_pandas(race), F, J=3, method="lm")
    c = list_experiment({k: race[k].to_numpy() for k in race.columns}, F, J=3, method="lm")
    np.testing.assert_allclose(b.params_, a.params_, rtol=1e-12)
    np.testing.assert_allclose(c.params_, a.params_, rtol=1e-12)


def test_a_non_pandas_frame_is_converted_once(race, monkeypatch):
    """list_experiment converts a polars frame once (it was converted again to check for
    several sensitive items) and reads a pandas frame without copying it."""
    import polars as pl

    import unspoken.io.frames

    real, calls = unspoken.io.frames.to_pandas, []

    def counting(frame, copy=True):
        if copy or not isinstance(frame, pd.DataFrame):  # a conversion or a copy
            calls.append(type(frame).__name__)
        return real(frame, copy=copy)

    monkeypatch.setattr(unspoken.io.frames, "to_pandas", counting)
    list_experiment(pl.from_pandas(race), F, J=3, method="lm")
    assert calls == ["DataFrame"]
    calls.clear()
    list_experiment(race, F, J=3, method="lm")
    assert calls == []
