"""Model-based gap (list ML vs logistic regression of the direct answer) against R list
``predict(fit, direct.glm = ...)`` on mis (reference: mis_direct_predict.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

import unspoken
from unspoken.simulate.gap import simulate_gap

REF = json.loads((Path(__file__).parents[1] / "reference" / "mis_direct_predict.json").read_text())
COVS = "age + college + male + south"


@pytest.fixture(scope="module")
def mis_ml():
    mis = unspoken.datasets.load("mis")
    return unspoken.gap(mis, "y", "treat", 4, "sensitive", method="ml", covariates=COVS)


def test_point_estimates_match_r_plug_in(mis_ml):
    """R's reported fit is a Monte Carlo mean; the deterministic plug-in means it stores
    are what the delta method estimates (list mean within 1e-5: R's EM stops short of the
    maximum, observed 1.4e-6; direct to 1e-8)."""
    plug = REF["plug_in"]
    r = mis_ml.extra["r_predict"]
    assert r["list"]["estimate"] == pytest.approx(plug["list_mean"], abs=1e-5)
    assert r["direct"]["estimate"] == pytest.approx(plug["direct_mean"], rel=1e-8)
    assert mis_ml.overall.hidden.estimate == pytest.approx(plug["list_mean"], abs=1e-5)
    assert mis_ml.overall.direct.estimate == pytest.approx(plug["direct_mean"], rel=1e-8)
    diff = plug["list_mean"] - plug["direct_mean"]
    assert mis_ml.overall.gap.estimate == pytest.approx(diff, abs=1e-5)
    # R's Monte Carlo means lie within a few Monte Carlo s.e. of the plug-in
    for seed in ("predict_seed1", "predict_seed2"):
        fit = REF[seed]["result"]["fit"]
        assert fit[1] == pytest.approx(plug["direct_mean"], abs=0.005)


def test_direct_glm_matches_r(mis_ml):
    g = REF["direct_glm"]
    fit = mis_ml.extra["direct_fit"]
    np.testing.assert_allclose(fit["coef"], g["estimates"], rtol=1e-7)
    np.testing.assert_allclose(fit["std_error"], g["se"], rtol=1e-6)


def test_r_monte_carlo_se_reproduced_from_our_fit(mis_ml):
    """Drawing 20000 coefficient vectors from N(our estimate, our covariance) reproduces R's
    Monte Carlo s.e. (so the fits agree); the delta-method s.e. is smaller for the list
    part because expit is far from linear over the spread of the large sensitive-item
    coefficients here."""
    mis = unspoken.datasets.load("mis")
    lst = mis[mis["list.data"] == 1]
    fit = unspoken.list_experiment(lst, f"y ~ {COVS}", "treat", J=4, method="ml")
    b = fit.params_[:5]
    V = np.asarray(fit.cov)[:5, :5]
    np.testing.assert_allclose(b, mis_ml.extra["list_fit"]["sensitive"], rtol=1e-6)
    rng = np.random.default_rng(20)
    draws = expit(fit.X_ @ rng.multivariate_normal(b, V, 20000).T).mean(axis=0)
    r_se = [REF[s]["result"]["se_fit"][0] for s in ("predict_seed1", "predict_seed2")]
    assert np.std(draws, ddof=1) == pytest.approx(np.mean(r_se), rel=0.03)
    delta_se = mis_ml.extra["r_predict"]["list"]["std_error"]
    assert delta_se == pytest.approx(np.mean(r_se), rel=0.15)
    r_direct = np.mean([REF[s]["result"]["se_fit"][1] for s in ("predict_seed1", "predict_seed2")])
    assert mis_ml.extra["r_predict"]["direct"]["std_error"] == pytest.approx(r_direct, rel=0.03)


def test_separate_layout_has_no_covariance(mis_ml):
    r = mis_ml.overall
    assert mis_ml.layout == "separate"
    assert r.gap.std_error == pytest.approx(r.gap_se_independent, rel=1e-8)
    # the population (covariates random) variance exceeds the covariates-fixed one
    assert r.hidden.std_error > mis_ml.extra["r_predict"]["list"]["std_error"]


def test_intercept_only_direct_is_raw_share_and_by_groups():
    df, _ = simulate_gap(1500, control_probs=[0.4] * 4, groups=["a", "b"], seed=9)
    df["x"] = np.random.default_rng(0).normal(size=len(df))
    res = unspoken.gap(df, "y", "treat", 4, "direct", method="ml", by="group")
    assert res.overall.direct.estimate == pytest.approx(df["direct"].astype(float).mean())
    assert res.overall.correlation > 0  # same respondents: the covariance is used
    cov = unspoken.gap(df, "y", "treat", 4, "direct", method="ml", covariates="x + group",
                       by="group")  # fmt: skip
    for g, row in cov.by:
        sub = df[df.group == g["group"]]
        # with the group as a covariate, the logistic fit reproduces each group's share
        assert row.direct.estimate == pytest.approx(sub["direct"].astype(float).mean(), abs=2e-3)
    assert cov.to_dict()["method"] == "ml"


@pytest.mark.slow
def test_ml_gap_coverage_same_respondents():
    hits, reps = 0, 300
    for r in range(reps):
        df, truth = simulate_gap(1000, control_probs=[0.4] * 4, seed=7000 + r)
        g = unspoken.gap(df, "y", "treat", 4, "direct", method="ml").overall.gap
        hits += g.ci_low <= truth.gap <= g.ci_high
    assert 0.93 <= hits / reps <= 0.97, hits / reps


def test_list_ml_fit_as_hidden_share_equals_method_ml():
    """A ListFit from list_experiment(method='ml') is adapted to the HiddenShare protocol
    (scores recomputed from the likelihood) and gives the same gap as method='ml'."""
    mexico = unspoken.datasets.load("mexico")
    fit = unspoken.list_experiment(
        mexico, "mex.y.all ~ mex.male + mex.urban", "mex.t", J=3, method="ml"
    )
    via_fit = unspoken.gap(mexico, "mex.y.all", direct="mex.direct", hidden=fit, by="mex.male")
    direct = unspoken.gap(mexico, "mex.y.all", "mex.t", 3, "mex.direct", method="ml",
                          covariates="mex.male + mex.urban", by="mex.male")  # fmt: skip
    assert via_fit.overall.hidden.estimate == pytest.approx(fit.prevalence.estimate, rel=1e-10)
    for a, b in [(via_fit.overall, direct.overall)] + [
        (x[1], y[1]) for x, y in zip(via_fit.by, direct.by, strict=True)
    ]:
        # the same fit reached by two paths: equal to rounding (observed 2e-14)
        assert a.gap.estimate == pytest.approx(b.gap.estimate, rel=1e-10)
        assert a.gap.std_error == pytest.approx(b.gap.std_error, rel=1e-10)
    with pytest.raises(unspoken.DataError, match="outcome"):
        unspoken.gap(mexico, direct="mex.direct", hidden=fit)


def test_direct_logit_collinear_and_separated_covariates_are_refused():
    """The direct logistic regression names a collinear covariate and refuses separation."""
    df, _ = simulate_gap(800, control_probs=[0.4] * 4, seed=3)
    df["x"] = np.random.default_rng(1).normal(size=len(df))
    df["x2"] = 2 * df["x"]
    with pytest.raises(unspoken.DataError, match="x2"):
        unspoken.gap(df, "y", "treat", 4, "direct", method="ml", covariates="x + x2")
    df["sep"] = df["direct"].astype(float) + 0.01 * df["x"]
    with pytest.raises(unspoken.ConvergenceError, match="separated"):
        unspoken.gap(df, "y", "treat", 4, "direct", method="ml", covariates="sep")
