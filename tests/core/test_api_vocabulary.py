"""One API vocabulary (issue 11, item 8): the same argument names, the same ``tidy()`` columns,
one error class for a bad ``level``, ``.plot()`` where the report draws, and no module
whose name clashes with a function.

Each case builds a real result from a bundled data set with the public API, the way a user
would; the checks read only the public surface (signatures, ``tidy()``, ``to_dict()``).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken.errors import UnsupportedError
from unspoken.results import TIDY_COLUMNS


@cache
def _data(name: str) -> pd.DataFrame:
    return unspoken.datasets.load(name)


def _race_ml() -> Any:
    return unspoken.list_experiment(
        _data("race"), "y ~ south + age", treat="treat", J=3, method="ml", by="south"
    )


def _gap() -> Any:
    return unspoken.gap(
        _data("mexico"),
        outcome="mex.y.all",
        treat="mex.t",
        J=3,
        direct="mex.direct",
        by="mex.urban",
    )


def _polls() -> Any:
    return unspoken.fit_polls(
        _data("putin_approval"),  # the catalogue's three pollsters
        share="approve",
        pollster="pollster",
        date="date",
        period="week",
        default_n=1600,
        since="2018-01-01",
    )


def _regions_fit() -> Any:
    """The multilevel list fit of the synthetic regions (a protest indicator per region)."""
    survey = _data("synthetic_regions_survey")
    return unspoken.multilevel_list(
        survey, "y ~ female", "treat", J=3, area="region", area_formula="~ protest"
    )


#: name -> a function returning a real result of that kind
RESULTS: dict[str, Callable[[], Any]] = {
    "list_ml": _race_ml,
    "list_dim": lambda: unspoken.list_experiment(
        _data("race"), "y ~ 1", treat="treat", J=3, method="dim"
    ),
    "list_aux": lambda: unspoken.list_experiment(
        _data("race"),
        "y ~ age + south",
        treat="treat",
        J=3,
        method="nls",
        aux={"group": "south", "shares": {0: 0.10, 1: 0.30}},
    ),
    "list_variant": lambda: unspoken.list_experiment(
        _data("race"), "y ~ 1", treat="treat", J=3, error="topcode"
    ),
    "design_test": lambda: unspoken.design_test(_data("race"), outcome="y", treat="treat", J=3),
    "double_list": lambda: unspoken.double_list_experiment(
        _data("double_list"), "y1", "y2", "long1"
    ),
    "combined": lambda: unspoken.combined_list_direct(
        _data("combinedListExps").dropna(), "list1N", "list1treat", "direct1"
    ),
    "direct": lambda: unspoken.direct_poll(_data("mexico"), "mex.direct", by="mex.urban"),
    "gap": _gap,
    "rr_regression": lambda: unspoken.rr_regression(
        _data("nigeria"),
        "rr.q1 ~ cov.age",
        design="forced-known",
        p=2 / 3,
        p0=1 / 6,
        p1=1 / 6,
    ),
    "rr_prevalence": lambda: unspoken.rr_prevalence(
        _data("nigeria"), "rr.q1", design="forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6
    ),
    "rr_power": lambda: unspoken.rr_power(
        design="forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6, presp=0.2, n=1000
    ),
    "rr_power_unknown": lambda: unspoken.rr_power(
        design="unrelated-unknown", p=2 / 3, q=1 / 3, r=0.5, presp=0.2, n=200
    ),
    "list_power": lambda: unspoken.list_power(J=4, prevalence=0.2, null=0.1, power=0.8),
    "gap_power": lambda: unspoken.gap_power(J=4, gap=-0.10, direct_share=0.71, n=3000),
    "simulate_power": lambda: unspoken.simulate_power("dim", n=500, reps=50, J=3, seed=1),
    "diagnose": lambda: unspoken.diagnose(
        {"n": [300, 600], "direct": True, "falsification": 0.2}, ["dim", "gap"], reps=50, seed=1
    ),
    "polls": _polls,
    "list_joint": lambda: unspoken.list_joint(
        _data("mexico"), "mex.y.all ~ mex.male", treat="mex.t", J=3, outcome="mex.epnapprove"
    ),
    "multilevel_list": lambda: unspoken.multilevel_list(
        _data("race"), "y ~ age", "treat", J=3, area="state", area_formula="~ south"
    ),
    "poststratified": lambda: unspoken.poststratify(
        _regions_fit(), _data("synthetic_regions_population")
    ),
    "mrp": lambda: unspoken.mrp(
        _data("synthetic_regions_survey"),
        "y ~ female",
        "treat",
        J=3,
        area="region",
        area_formula="~ protest",
        population=_data("synthetic_regions_population"),
        count="count",
        nodes=3,
    ),
    "indicator": lambda: unspoken.indicator_correlation(_regions_fit(), "protest", draws=500),
    "table_list": lambda: unspoken.list_from_counts([8, 132, 222, 227], [19, 123, 229, 219, 34]),
    "table_direct": lambda: unspoken.direct_from_topline(
        {"definitely": 43, "rather": 33, "other": 24}, 1600, support="definitely,rather"
    ),
    "table_gap": lambda: unspoken.gap_from_estimates(
        60, 76, hidden_se=3, direct_se=1, same_respondents=True
    ),
}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_tidy_has_the_same_columns_everywhere(name: str) -> None:
    res = RESULTS[name]()
    sig = inspect.signature(res.tidy)
    assert "level" in sig.parameters, f"{type(res).__name__}.tidy has no level="
    t = res.tidy()
    cols = list(t.columns)
    start = 1 if cols and cols[0] == "group" else 0
    assert tuple(cols[start : start + len(TIDY_COLUMNS)]) == TIDY_COLUMNS, cols
    assert set(cols) <= {"group", *TIDY_COLUMNS, "n", "note"}, cols
    assert len(t) > 0


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_tidy_level_changes_the_intervals_only(name: str) -> None:
    res = RESULTS[name]()
    a, b = res.tidy(), res.tidy(level=0.5)
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_series_equal(a["estimate"], b["estimate"])
    ok = a["std_error"].notna() & (a["std_error"] > 0) & a["ci_low"].notna()
    if ok.any():
        # a 50% interval lies strictly inside the 95% one
        assert (
            b.loc[ok, "ci_high"] - b.loc[ok, "ci_low"] < a.loc[ok, "ci_high"] - a.loc[ok, "ci_low"]
        ).all()
    with pytest.raises(UnsupportedError):
        res.tidy(level=95)


#: the public functions, the arguments they must spell the one way, and the old spellings
#: that are gone from their signatures (still accepted for one release, with a warning)
VOCABULARY = {
    "vcov": [
        "list_experiment",
        "list_joint",
        "double_list_experiment",
        "direct_poll",
        "direct_from_topline",
        "gap",
        "rr_regression",
        "rr_prevalence",
        "rr_predictor",
    ],
    "level": [
        "poststratify",
        "list_experiment",
        "list_joint",
        "double_list_experiment",
        "direct_poll",
        "gap",
        "combined_list_direct",
        "rr_regression",
        "rr_prevalence",
        "rr_predictor",
        "fit_polls",
        "list_from_counts",
        "direct_from_topline",
        "gap_from_estimates",
        "diagnose",
        "multilevel_list",
        "mrp",
        "indicator_correlation",
    ],
    "bootstrap_reps": ["list_experiment", "double_list_experiment", "rr_regression", "list_joint"],
    "by": ["list_experiment", "direct_poll", "gap", "rr_regression", "rr_prevalence", "list_joint"],
    "min_n": [
        "list_experiment",
        "direct_poll",
        "gap",
        "rr_regression",
        "rr_prevalence",
        "list_joint",
        "multilevel_list",
        "mrp",
    ],
    "missing": [
        "list_experiment",
        "list_joint",
        "double_list_experiment",
        "design_test",
        "direct_poll",
        "gap",
        "rr_regression",
        "rr_prevalence",
        "rr_predictor",
        "multilevel_list",
        "mrp",
    ],
    "seed": [
        "list_experiment",
        "list_joint",
        "double_list_experiment",
        "design_test",
        "rr_regression",
        "simulate_power",
        "list_from_counts",
        "diagnose",
        "mrp",
        "indicator_correlation",
    ],
}
OLD_NAMES = {"variance", "reps_bootstrap", "sig_level"}


def _params(name: str) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(getattr(unspoken, name)).parameters)


@pytest.mark.parametrize(
    ("arg", "name"), [(a, n) for a, names in VOCABULARY.items() for n in names]
)
def test_one_name_for_one_idea(arg: str, name: str) -> None:
    params = _params(name)
    assert arg in params, f"{name} has no {arg}="
    assert params[arg].kind == inspect.Parameter.KEYWORD_ONLY or params[arg].default is not (
        inspect.Parameter.empty
    )


def test_bootstrap_replications_are_not_called_reps() -> None:
    for name in ("rr_regression", "list_experiment", "double_list_experiment"):
        assert "reps" not in _params(name), name


def test_no_function_shares_its_name_with_a_module() -> None:
    assert inspect.isfunction(unspoken.gap)
    with pytest.raises(ImportError):
        __import__("unspoken.gap")


def test_old_names_still_work_with_a_warning() -> None:
    mexico = _data("mexico")
    new = unspoken.direct_poll(mexico, "mex.direct", vcov="hc0")
    with pytest.warns(DeprecationWarning, match="vcov"):
        old = unspoken.direct_poll(mexico, "mex.direct", variance="hc0")
    assert old.to_dict() == new.to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unspoken.direct_poll(mexico, "mex.direct", vcov="hc0")


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_json_speaks_vcov_not_variance(name: str) -> None:
    d = RESULTS[name]().to_dict()
    assert "variance" not in d, f"{name}: JSON key 'variance' should be 'vcov'"


@pytest.mark.parametrize(
    "name",
    [
        "list_ml",
        "gap",
        "polls",
        "rr_regression",
        "direct",
        "list_power",
        "simulate_power",
        "diagnose",
        "multilevel_list",
        "poststratified",
        "mrp",
        "indicator",
    ],
)
def test_results_the_report_draws_have_plot(name: str, tmp_path) -> None:
    res = RESULTS[name]()
    view = res.view()
    if getattr(view, "plot", None) is None:
        pytest.skip(f"the report draws no plot for {name}")
    assert callable(getattr(res, "plot", None)), f"{type(res).__name__} has no .plot()"
    res.plot(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_bad_level_is_one_error_class() -> None:
    race = _data("race")
    calls = [
        lambda: unspoken.list_experiment(race, "y ~ 1", treat="treat", J=3, level=95),
        lambda: unspoken.direct_poll(_data("mexico"), "mex.direct", level=95),
        lambda: unspoken.rr_prevalence(
            _data("nigeria"), "rr.q1", design="forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6, level=95
        ),
        lambda: _race_ml().conf_int(level=95),
    ]
    for call in calls:
        with pytest.raises(UnsupportedError):
            call()


def test_tidy_rows_match_the_printed_estimates() -> None:
    fit = _race_ml()
    t = fit.tidy()
    np.testing.assert_allclose(t["estimate"], fit.params.to_numpy(), rtol=0, atol=0)


def test_public_functions_annotate_their_return_type() -> None:
    missing = [
        name
        for name in unspoken.__all__
        if inspect.isfunction(f := getattr(unspoken, name))
        and inspect.signature(f).return_annotation is inspect.Signature.empty
    ]
    assert missing == []
