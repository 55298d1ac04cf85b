"""The list family's options objects (validated once) and its results' tidy()/plot()."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import unspoken
from unspoken import datasets
from unspoken.errors import UnsupportedError
from unspoken.listexp.options import ListVariant, list_inference
from unspoken.options import DEFAULT_BOOTSTRAP_REPS
from unspoken.results import TIDY_COLUMNS


def test_list_variant_is_checked_once_and_normalised():
    v = ListVariant(error="topcode")
    assert v.error == "topcoded" and v.requested and not v.liars
    assert not ListVariant().requested
    assert ListVariant(floor=True, ceiling=True).liar_formulas() == {
        "floor": "~ 1",
        "ceiling": "~ 1",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.robust = True  # type: ignore[misc]
    for bad in (dict(liar_fit="arm"), dict(error="gaussian"), dict(multi_condition="all")):
        with pytest.raises(UnsupportedError) as e:
            ListVariant(**bad)
        assert e.value.param == next(iter(bad))


def test_list_inference_keeps_the_list_messages():
    assert list_inference("HC1", supported=("hc1",)).vcov == "hc1"
    assert list_inference().bootstrap_reps == DEFAULT_BOOTSTRAP_REPS
    with pytest.raises(UnsupportedError, match="unknown vcov 'robust'.*hc0, hc1"):
        list_inference("robust", supported=("hc0", "hc1"))
    with pytest.raises(UnsupportedError, match="whole number from 2 to"):
        list_inference(bootstrap_reps=1)


def test_one_bootstrap_default_for_every_list_fitter():
    """The variant fitters called through list_experiment use the shared default (500)."""
    race = datasets.load("race")
    fit = unspoken.list_experiment(race, "y ~ 1", J=3, method="dim", vcov="bootstrap", seed=1)
    assert f"from {DEFAULT_BOOTSTRAP_REPS} resamples" in " ".join(fit.notes)


def test_tidy_of_the_list_results():
    race = datasets.load("race")
    dt = unspoken.design_test(race, outcome="y", treat="treat", J=3)
    t = dt.tidy()
    assert tuple(t.columns) == TIDY_COLUMNS and set(t["part"]) == {"design_test"}
    np.testing.assert_allclose(t["std_error"], [p.std_error for p in dt.pi])
    comb = unspoken.combined_list_direct(
        datasets.load("combinedListExps").dropna(), "list1N", "list1treat", "direct1"
    )
    c = comb.tidy()
    assert list(c["term"]) == ["combined", "direct", "list"]
    assert c["estimate"].iloc[0] == comb.combined.estimate
    ml = unspoken.list_experiment(race, "y ~ age", J=3)
    nls = unspoken.list_experiment(race, "y ~ age", J=3, method="nls")
    h = unspoken.hausman_test(ml, nls, abs=True).tidy()
    assert tuple(h.columns) == (*TIDY_COLUMNS, "note") and np.isnan(h["std_error"].iloc[0])


def test_list_fit_plot_is_the_report_plot(tmp_path):
    fit = unspoken.list_experiment(datasets.load("race"), "y ~ south", J=3, by="south")
    assert fit.view().plot is not None
    fig = fit.plot(tmp_path / "p.svg")
    assert (tmp_path / "p.svg").stat().st_size > 1000
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0].startswith("All respondents") and len(labels) == 3
