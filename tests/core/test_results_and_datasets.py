"""The results protocol and the bundled data sets."""

import json

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.errors import UnspokenError
from unspoken.results import Estimate, FitResult, GroupEstimate


def make_fit():
    return FitResult(
        model="list.test",
        parts=["sensitive", "sensitive", "control"],
        terms=["Intercept", "age", "Intercept"],
        params_=np.array([0.1, -0.2, 1.0]),
        cov=np.diag([0.01, 0.04, np.nan]),
        n=100,
        loglik=-12.5,
        prevalence=Estimate.from_se(0.2, 0.05, n=100),
        by=[GroupEstimate({"south": 1}, None, note="too small")],
    )


def test_fit_result_tables_and_json():
    fit = make_fit()
    tidy = fit.tidy()
    assert list(tidy.columns) == ["part", "term", "estimate", "std_error", "ci_low", "ci_high"]
    assert tidy["std_error"].iloc[1] == pytest.approx(0.2)
    assert tidy["ci_low"].iloc[0] == pytest.approx(0.1 - 1.959963984540054 * 0.1)
    assert fit.params[("sensitive", "age")] == -0.2
    d = json.loads(fit.to_json())
    assert d["model"] == "list.test" and d["n"] == 100
    assert d["params"][2]["std_error"] is None  # NaN becomes null, never a fake number
    assert d["prevalence"]["ci_high"] == pytest.approx(0.2 + 1.959963984540054 * 0.05)
    assert d["by"] == [{"group": {"south": 1}, "prevalence": None, "note": "too small"}]
    assert "Prevalence" in fit.summary() and "20.0%" in fit.summary()
    html = fit._repr_html_()  # the report's section: headline and tables, no <pre> of text
    assert "<table>" in html and "20.0%" in html and "<html" not in html
    assert list(fit.part("sensitive").index) == ["Intercept", "age"]


def test_every_bundled_dataset_loads_with_documented_size():
    sizes = {
        "race": 1213,
        "affirm": 1171,
        "multi": 1795,
        "mis": 661,
        "mexico": 1004,
        "combinedListExps": 1023,
        "combinedListExps_long": 5115,
        "nigeria": 2457,
    }
    for name, n in sizes.items():
        df = datasets.load(name)
        assert isinstance(df, pd.DataFrame) and len(df) == n, name
    assert datasets.load("race").columns.tolist() == [
        "y",
        "treat",
        "age",
        "south",
        "male",
        "college",
        "state",
    ]
    assert "Nigeria" in datasets.documentation()


def test_unknown_dataset_lists_the_names():
    with pytest.raises(UnspokenError, match="available: .*race"):
        datasets.load("rase")
