"""Double list experiment: closed forms, Taylor linearisation, simulation."""

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.errors import DataError, UnsupportedError
from unspoken.listexp.double import double_list_experiment
from unspoken.simulate.double_list import simulate_double_list


@pytest.fixture(scope="module")
def sample():
    return simulate_double_list(800, seed=5)[0]


def _means(df, w=None):
    w = np.ones(len(df)) if w is None else w
    t1 = df["long1"].to_numpy() == 1
    m = lambda col, mask: np.average(df[col].to_numpy()[mask], weights=w[mask])  # noqa: E731
    tau1 = m("y1", t1) - m("y1", ~t1)
    tau2 = m("y2", ~t1) - m("y2", t1)
    return tau1, tau2, t1


def test_intercept_only_estimates_are_differences_in_means(sample):
    tau1, tau2, t1 = _means(sample)
    n1, n0 = t1.sum(), (~t1).sum()
    fit = double_list_experiment(sample, "y1", "y2", "long1", method="average")
    assert fit.part("list1").iloc[0] == pytest.approx(tau1, rel=1e-12)
    assert fit.part("list2").iloc[0] == pytest.approx(tau2, rel=1e-12)
    assert fit.prevalence.estimate == pytest.approx((tau1 + tau2) / 2, rel=1e-12)
    # the averaged estimator is the difference in means of D = (y1 - y2) / 2 between groups;
    # its HC0 variance is the sum of the groups' (1/n) variances over their sizes
    D = (sample["y1"] - sample["y2"]).to_numpy() / 2
    v = D[t1].var() / n1 + D[~t1].var() / n0
    assert fit.prevalence.std_error == pytest.approx(np.sqrt(v), rel=1e-10)
    pooled = double_list_experiment(sample, "y1", "y2", "long1")
    assert pooled.prevalence.estimate == pytest.approx((n1 * tau1 + n0 * tau2) / (n1 + n0), 1e-12)
    # single lists: the ordinary difference-in-means variance
    y1 = sample["y1"].to_numpy()
    v1 = y1[t1].var() / n1 + y1[~t1].var() / n0
    assert fit.extra["single_list"][0]["std_error"] == pytest.approx(np.sqrt(v1), rel=1e-10)


def _survey_closed_form(z, w, psu, strata):
    """R survey's with-replacement Taylor variance of sum_i w_i z_i, by explicit loops."""
    total = 0.0
    for h in np.unique(strata):
        in_h = strata == h
        tots = np.array(
            [np.sum(w[in_h & (psu == c)] * z[in_h & (psu == c)]) for c in np.unique(psu[in_h])]
        )
        nh = len(tots)
        total += nh / (nh - 1) * np.sum((tots - tots.mean()) ** 2)
    return total


def test_weighted_survey_variance_matches_taylor_linearisation(sample):
    """The pooled estimate is a smooth function f of six weighted totals; linearise it by
    numerical differentiation of f (as R survey's svycontrast does) and compare."""
    w = sample["weight"].to_numpy()
    t1 = sample["long1"].to_numpy() == 1
    y1, y2 = sample["y1"].to_numpy(float), sample["y2"].to_numpy(float)
    U = np.column_stack([t1, ~t1, t1 * y1, ~t1 * y1, t1 * y2, ~t1 * y2]).astype(float)

    def pooled(T):
        W1, W0, a1, a0, b1, b0 = T
        tau1 = a1 / W1 - a0 / W0
        tau2 = b0 / W0 - b1 / W1
        return (W1 * tau1 + W0 * tau2) / (W1 + W0)

    T = (U * w[:, None]).sum(0)
    grad = np.array(
        [(pooled(T + e) - pooled(T - e)) / (2 * e.sum()) for e in np.eye(6) * 1e-3 * np.abs(T)]
    )
    z = U @ grad
    fit = double_list_experiment(
        sample, "y1", "y2", "long1", weights="weight", cluster="psu", strata="stratum"
    )
    assert fit.vcov_type == "survey"
    assert fit.prevalence.estimate == pytest.approx(pooled(T), rel=1e-12)
    v = _survey_closed_form(z, w, sample["psu"].to_numpy(), sample["stratum"].to_numpy())
    assert fit.prevalence.std_error**2 == pytest.approx(v, rel=1e-6)


def test_covariates_influence_variance_matches_bootstrap(sample):
    fit = double_list_experiment(sample, "y1", "y2", "long1", formula="~ age + female")
    boot = double_list_experiment(
        sample,
        "y1",
        "y2",
        "long1",
        formula="~ age + female",
        vcov="bootstrap",
        bootstrap_reps=400,
        seed=1,
    )
    np.testing.assert_allclose(boot.params_, fit.params_)
    ratio = boot.std_errors.to_numpy() / fit.std_errors.to_numpy()
    assert np.all((ratio > 0.85) & (ratio < 1.15))


def test_consistency_test_detects_a_list_that_misbehaves(sample):
    ok = double_list_experiment(sample, "y1", "y2", "long1")
    assert ok.extra["consistency_test"]["p_value"] > 0.01
    bad = sample.copy()
    # a design effect in list 2: the sensitive item makes respondents drop a control item
    m = bad["long1"] == 0
    bad.loc[m, "y2"] = np.maximum(bad.loc[m, "y2"] - 1, 0)
    res = double_list_experiment(bad, "y1", "y2", "long1")
    assert res.extra["consistency_test"]["p_value"] < 1e-4


@pytest.mark.slow
def test_simulation_pooled_beats_single_lists_and_covers():
    rng = np.random.default_rng(2024)
    est, ses, covered = [], [], []
    for _ in range(1000):
        df, truth = simulate_double_list(600, psu_sd=0.0, seed=rng)
        fit = double_list_experiment(df, "y1", "y2", "long1")
        e = [fit.prevalence.estimate] + [s["estimate"] for s in fit.extra["single_list"]]
        est.append(e)
        p = fit.prevalence
        covered.append(p.ci_low <= truth["population_prevalence"] <= p.ci_high)
        ses.append(p.std_error)
    est = np.array(est)
    sd = est.std(axis=0)
    # pooled is clearly more precise than either single list (positively correlated lists)
    assert sd[0] < 0.75 * sd[1] and sd[0] < 0.75 * sd[2]
    assert 0.93 <= np.mean(covered) <= 0.97
    assert np.mean(ses) == pytest.approx(sd[0], rel=0.1)


def test_bundled_example_and_errors():
    df = datasets.load("double_list")
    fit = double_list_experiment(df, "y1", "y2", "long1", weights="weight", cluster="psu")
    assert fit.vcov_type == "cluster" and 0 < fit.prevalence.estimate < 1
    with pytest.raises(UnsupportedError, match="ignore"):
        double_list_experiment(df, "y1", "y2", "long1", cluster="psu", vcov="hc1")
    with pytest.raises(UnsupportedError):
        double_list_experiment(df, "y1", "y2", "long1", method="stacked")
    with pytest.raises(DataError, match="right-hand side"):
        double_list_experiment(df, "y1", "y2", "long1", formula="y1 ~ age")
    bad = pd.DataFrame({"y1": [1, 2, 3], "y2": [1, 2, 3], "g": [0, 1, 2]})
    with pytest.raises(DataError) as e:
        double_list_experiment(bad, "y1", "y2", "g")
    assert e.value.column == "g"


def test_long1_names_the_group_of_a_text_column():
    """long1 picks the group whose list 1 is long, also when neither value looks like a
    control value (no control= needed); the estimate is the same as with the 0/1 coding."""
    df = datasets.load("double_list")
    ref = double_list_experiment(df, "y1", "y2", "long1")
    df["g"] = df["long1"].map({1: "A", 0: "B"})
    fit = double_list_experiment(df, "y1", "y2", "g", long1="a")
    assert fit.prevalence.estimate == pytest.approx(ref.prevalence.estimate, rel=1e-12)
    assert fit.extra["list1_long_value"] == "A"
    flipped = double_list_experiment(df, "y1", "y2", "g", long1="B")
    assert flipped.part("list1").iloc[0] == pytest.approx(-ref.part("list1").iloc[0], rel=1e-12)
    with pytest.raises(DataError) as e:
        double_list_experiment(df, "y1", "y2", "g", long1="C")
    assert e.value.column == "g"
