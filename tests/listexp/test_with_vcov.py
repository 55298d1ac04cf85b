"""ListFit.with_vcov: another variance for a fitted list experiment without refitting,
equal to a refit that asks for that variance (issue 11, item 3B)."""

from __future__ import annotations

import numpy as np
import pytest

import unspoken
from unspoken import datasets
from unspoken.errors import DataError
from unspoken.listexp import standard

FORMULA = {"dim": "y ~ 1", "lm": "y ~ age + south", "ml": "y ~ age + south"}


@pytest.fixture(scope="module")
def race():
    d = datasets.load("race")
    d["w"] = np.linspace(0.5, 1.5, len(d))
    d["region"] = d["state"].astype("category").cat.codes % 4  # strata: 4 groups of states
    return d


def _same(a, b):
    np.testing.assert_array_equal(a.params_, b.params_)
    np.testing.assert_allclose(a.cov, b.cov, rtol=0, atol=1e-12)
    assert a.vcov_type == b.vcov_type
    assert a.prevalence.std_error == pytest.approx(b.prevalence.std_error, abs=1e-12)
    assert a.prevalence.ci_low == pytest.approx(b.prevalence.ci_low, abs=1e-12)
    for x, y in zip(a.by, b.by, strict=True):
        if x.estimate is not None:
            assert x.estimate.std_error == pytest.approx(y.estimate.std_error, abs=1e-12)
    assert a.notes == b.notes


@pytest.mark.parametrize("method", ["dim", "lm", "ml"])
def test_cluster_without_refitting_equals_a_refit(race, method, monkeypatch):
    fit = unspoken.list_experiment(race, FORMULA[method], J=3, method=method, by="south")
    got = fit.with_vcov("cluster", cluster="state", data=race)
    ref = unspoken.list_experiment(
        race, FORMULA[method], J=3, method=method, by="south", cluster="state", vcov="cluster"
    )
    _same(got, ref)
    assert not np.allclose(got.cov, fit.cov)  # the variance did change
    np.testing.assert_array_equal(fit.cov, fit.with_vcov(fit.vcov_type).cov)

    # no refitting (the difference in means by group is each group's own estimate, so
    # this is checked without by=)
    whole = unspoken.list_experiment(race, FORMULA[method], J=3, method=method)

    def no_refit(*a, **k):
        raise AssertionError("with_vcov refitted the model")

    monkeypatch.setattr(standard, "_core_for", no_refit)
    got = whole.with_vcov("cluster", cluster="state", data=race)
    monkeypatch.undo()
    np.testing.assert_array_equal(got.params_, whole.params_)
    assert got.vcov_type == "cluster"


@pytest.mark.parametrize("method", ["lm", "ml"])
def test_survey_and_hc_kinds_equal_a_refit(race, method):
    fit = unspoken.list_experiment(race, FORMULA[method], J=3, method=method, weights="w")
    got = fit.with_vcov("survey", cluster="state", strata="region", data=race)
    ref = unspoken.list_experiment(
        race,
        FORMULA[method],
        J=3,
        method=method,
        weights="w",
        cluster="state",
        strata="region",
        vcov="survey",
    )
    _same(got, ref)
    _same(
        fit.with_vcov("hc1"),
        unspoken.list_experiment(
            race, FORMULA[method], J=3, method=method, weights="w", vcov="hc1"
        ),
    )


def test_refusals(race):
    fit = unspoken.list_experiment(race, "y ~ age", J=3, method="lm")
    with pytest.raises(DataError, match="pass data=") as ei:
        fit.with_vcov("cluster", cluster="state")  # not a column the fit used
    assert ei.value.param == "cluster"
    with pytest.raises(DataError, match="rows but the fit was given"):
        fit.with_vcov("cluster", cluster="state", data=race.iloc[:100])
    holes = race.assign(state=race["state"].where(race.index != 7))
    with pytest.raises(DataError, match="missing values") as ei:
        fit.with_vcov("cluster", cluster="state", data=holes)
    assert ei.value.rows == [7]
    with pytest.raises(unspoken.errors.UnsupportedError, match="needs a cluster column"):
        fit.with_vcov("cluster")
