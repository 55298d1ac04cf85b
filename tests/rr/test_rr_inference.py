"""Weights, clusters, strata, bootstrap, subgroups and the influence values used by the gap."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unspoken.errors import DataError
from unspoken.rr import rr_prevalence, rr_regression
from unspoken.simulate.rr import simulate_rr

BETA = [-0.8, 0.7, -0.4]
KW = dict(design="crosswise", p=0.2)


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(7)
    df = simulate_rr(3000, "crosswise", BETA, seed=rng, p=0.2)
    df["wt"] = rng.uniform(0.5, 2.0, len(df))
    df["psu"] = rng.integers(0, 60, len(df))
    df["stratum"] = df["psu"] % 5
    df["region"] = np.where(df["x2"] > 0, "north", "south")
    df.loc[[4, 9], "region"] = None  # missing subgroup: excluded from groups, not the fit
    return df


def test_influence_values_are_derivatives_with_respect_to_weights(survey):
    """psi_j = w_j dP/dw_j: refit with one weight perturbed (an independent check of both
    the covariate-sampling and the coefficient part of the influence values)."""
    fit = rr_regression(survey, "y ~ x1 + x2", weights="wt", **KW)
    P, psi = fit.prevalence_influence()
    assert pytest.approx(fit.prevalence.estimate, rel=1e-12) == P
    assert psi.shape == (fit.n,)
    assert abs(psi.sum()) < 1e-10  # influence values of an M-estimator sum to zero
    h = 1e-4
    for j in (0, 17, 2999):
        df = survey.copy()
        df.loc[j, "wt"] *= 1 + h
        Pj = rr_regression(df, "y ~ x1 + x2", weights="wt", **KW).prevalence.estimate
        assert (Pj - P) / h == pytest.approx(psi[j], rel=2e-3, abs=1e-9)
    # and for a subgroup mask
    mask = survey["x1"].to_numpy() > 0.5
    Pm, psim = fit.prevalence_influence(mask)
    j = int(np.flatnonzero(~mask)[0])  # outside the mask: only the coefficient part
    df = survey.copy()
    df.loc[j, "wt"] *= 1 + h
    refit = rr_regression(df, "y ~ x1 + x2", weights="wt", **KW)
    Pmj, _ = refit.prevalence_influence(mask)
    assert (Pmj - Pm) / h == pytest.approx(psim[j], rel=2e-3, abs=1e-9)


def test_hc0_variance_is_sum_of_squared_influence(survey):
    fit = rr_regression(survey, "y ~ x1 + x2", vcov="hc0", **KW)
    _, psi = fit.prevalence_influence()
    assert fit.prevalence.std_error == pytest.approx(np.sqrt(psi @ psi), rel=1e-10)
    # model-based and robust variances agree when the model is right
    model = rr_regression(survey, "y ~ x1 + x2", **KW)
    np.testing.assert_allclose(fit.std_errors, model.std_errors, rtol=0.1)
    assert fit.prevalence.std_error == pytest.approx(model.prevalence.std_error, rel=0.1)


def test_bootstrap_agrees_with_sandwich(survey):
    boot = rr_regression(survey, "y ~ x1 + x2", vcov="bootstrap", reps=300, seed=1, **KW)
    hc = rr_regression(survey, "y ~ x1 + x2", vcov="hc0", **KW)
    np.testing.assert_allclose(boot.std_errors, hc.std_errors, rtol=0.15)
    assert boot.vcov_type == "bootstrap"


def test_survey_defaults_and_cluster_variance(survey):
    w = rr_regression(survey, "y ~ x1 + x2", weights="wt", **KW)
    assert w.vcov_type == "survey"
    c = rr_regression(survey, "y ~ x1 + x2", cluster="psu", **KW)
    assert c.vcov_type == "cluster"
    s = rr_regression(survey, "y ~ x1 + x2", weights="wt", cluster="psu", strata="stratum", **KW)
    assert s.vcov_type == "survey"
    # weights change the estimate; clusters and strata only the variance
    assert not np.allclose(w.params_, c.params_)
    np.testing.assert_allclose(s.params_, w.params_, rtol=1e-12)
    # clusters are formed at random here, so the cluster variance is close to the robust one
    hc = rr_regression(survey, "y ~ x1 + x2", vcov="hc0", **KW)
    np.testing.assert_allclose(c.std_errors, hc.std_errors, rtol=0.35)
    # the closed form with the same design
    cf = rr_prevalence(survey, "y", weights="wt", cluster="psu", strata="stratum", **KW)
    assert cf.vcov_type == "survey"
    ybar = np.average(survey["y"], weights=survey["wt"])
    assert cf.prevalence.estimate == pytest.approx((ybar - 0.8) / (0.2 * 2 - 1), rel=1e-12)


def test_weights_equal_to_frequency_replication(survey):
    """Integer weights give the same estimates as replicating rows."""
    df = survey.iloc[:400].copy()
    df["k"] = np.arange(400) % 3 + 1
    wfit = rr_regression(df, "y ~ x1 + x2", weights="k", vcov="model", **KW)
    rep = df.loc[df.index.repeat(df["k"])].reset_index(drop=True)
    rfit = rr_regression(rep, "y ~ x1 + x2", vcov="model", **KW)
    np.testing.assert_allclose(wfit.params_, rfit.params_, rtol=1e-8)
    np.testing.assert_allclose(wfit.std_errors, rfit.std_errors, rtol=1e-8)
    assert wfit.loglik == pytest.approx(rfit.loglik, rel=1e-10)
    wcf = rr_prevalence(df, "y", weights="k", vcov="model", **KW)
    rcf = rr_prevalence(rep, "y", vcov="model", **KW)
    assert wcf.prevalence.std_error == pytest.approx(rcf.prevalence.std_error, rel=1e-12)
    wopg = rr_regression(df, "y ~ x1 + x2", weights="k", vcov="opg", **KW)
    ropg = rr_regression(rep, "y ~ x1 + x2", vcov="opg", **KW)
    np.testing.assert_allclose(wopg.std_errors, ropg.std_errors, rtol=1e-8)


def test_by_groups(survey):
    fit = rr_regression(survey, "y ~ x1 + x2", by="region", vcov="hc0", **KW)
    groups = {g.group["region"]: g.estimate for g in fit.by}
    assert set(groups) == {"north", "south"}
    assert fit.n == len(survey)  # missing region does not drop rows from the fit
    region = survey["region"].to_numpy()
    for name, est in groups.items():
        P, psi = fit.prevalence_influence(region == name)
        assert est.estimate == pytest.approx(P, rel=1e-12)
        assert est.std_error == pytest.approx(np.sqrt(psi @ psi), rel=1e-10)
        assert est.n == int((region == name).sum())
    # x2 > 0 has a lower prevalence (negative coefficient)
    assert groups["north"].estimate < groups["south"].estimate
    d = fit.to_dict()
    assert d["by"][0]["group"] == {"region": "north"}
    cf = rr_prevalence(survey, "y", by="region", **KW)
    assert len(cf.by) == 2
    # closed form per group: (ybar_g - a) / b with the binomial (model) standard error
    y, b = survey["y"].to_numpy(), 2 * 0.2 - 1
    for g in cf.by:
        yg = y[region == g.group["region"]]
        yb = yg.mean()
        assert g.estimate.estimate == pytest.approx((yb - 0.8) / b, rel=1e-12)
        se = np.sqrt(yb * (1 - yb) / len(yg)) / abs(b)
        assert g.estimate.std_error == pytest.approx(se, rel=1e-12)
        assert g.estimate.n == len(yg)


def test_row_positions_after_listwise_deletion():
    df = simulate_rr(300, "mirrored", BETA, seed=2, p=0.8)
    df.loc[[3, 50], "x1"] = np.nan
    df.loc[7, "y"] = np.nan
    df.index = df.index + 1000  # labels are not positions
    fit = rr_regression(df, "y ~ x1 + x2", design="mirrored", p=0.8)
    assert fit.n == 297
    np.testing.assert_array_equal(fit.row_positions, np.setdiff1d(np.arange(300), [3, 7, 50]))
    assert any("listwise deletion" in n for n in fit.notes)
    with pytest.raises(Exception, match="boolean"):
        fit.prevalence_influence(np.ones(300, bool))
    cf = rr_prevalence(df, "y", design="mirrored", p=0.8)
    for hidden in (fit, cf):
        with pytest.raises(DataError, match="boolean"):
            hidden.prevalence_influence(np.ones(300, bool))
        with pytest.raises(DataError, match="selects no respondent"):
            hidden.prevalence_influence(np.zeros(hidden.n, bool))


def test_satisfies_the_gap_protocol():
    import unspoken.gap as gap

    rng = np.random.default_rng(4)
    df = simulate_rr(2000, "crosswise", BETA, seed=rng, p=0.2)
    df["direct"] = ((df["z"] == 1) & (rng.random(len(df)) < 0.5)).astype(int)
    fit = rr_regression(df, "y ~ x1 + x2", **KW)
    cf = rr_prevalence(df, "y", **KW)
    for hidden in (fit, cf):
        assert isinstance(hidden, gap.HiddenShare)
        res = gap.gap(df, direct="direct", hidden=hidden).to_dict()
        P, psi = hidden.prevalence_influence()
        n = len(psi)
        # the gap's hidden share and its (survey, n/(n-1)) variance come from our psi
        assert any(abs(v - P) < 1e-12 for v in _numbers(res))
        se = np.sqrt(psi @ psi * n / (n - 1))
        assert any(abs(v - se) < 1e-10 for v in _numbers(res))
    # subgroups: the gap's hidden share per group is the fit's prevalence in that group
    df["grp"] = np.where(df["x2"] > 0, "a", "b")
    fit = rr_regression(df, "y ~ x1 + x2", by="grp", **KW)
    res = gap.gap(df, direct="direct", hidden=fit, by="grp").to_dict()
    found = list(_numbers(res))
    for g in fit.by:
        assert any(abs(v - g.estimate.estimate) < 1e-12 for v in found)


def _numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, float):
        yield obj


def test_json_shape(survey):
    fit = rr_regression(survey, "y ~ x1 + x2", **KW)
    d = fit.to_dict()
    assert d["model"] == "rr.crosswise"
    assert {p["part"] for p in d["params"]} == {"sensitive"}
    assert set(d["prevalence"]) >= {"estimate", "std_error", "ci_low", "ci_high"}
    assert d["design"]["design"] == "crosswise"
    again = json.loads(fit.to_json())
    assert again["prevalence"]["estimate"] == pytest.approx(fit.prevalence.estimate)
