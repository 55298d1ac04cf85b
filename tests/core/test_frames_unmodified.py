"""No public function modifies the user's DataFrame: each is called on a frame with the
features that tempt an implementation to write into it (missing values to drop, a label
index that is not 0..n-1, text and categorical columns, weights, subgroups), and the frame
is compared with a deep copy taken before the call."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken import datasets


def _messy(df: pd.DataFrame, nan_cols: dict[str, list[int]], seed: int = 0) -> pd.DataFrame:
    """A copy with missing values in some rows, a shuffled non-range index and an extra
    categorical column."""
    out = df.copy()
    for col, rows in nan_cols.items():
        out[col] = out[col].astype(float) if out[col].dtype.kind in "biu" else out[col]
        out.loc[out.index[rows], col] = np.nan
    rng = np.random.default_rng(seed)
    out.index = pd.Index(rng.permutation(len(out)) * 7 + 1000, name="resp_id")
    out["tag"] = pd.Categorical(rng.choice(["a", "b"], len(out)))
    out["w"] = rng.uniform(0.5, 2.0, len(out))
    return out


def _race():
    return _messy(datasets.load("race"), {"age": [0, 5, 9], "y": [3]})


def _nigeria():
    return _messy(datasets.load("nigeria"), {"cov.age": [1, 2]})


def _gap_placebo():
    return _messy(datasets.load("gap_placebo"), {"count": [4]})


def _combined():
    return _messy(datasets.load("combinedListExps").dropna(), {})


def _polls():
    df = datasets.load("putin_approval")
    return df[df["date"] >= "2015-01-01"].reset_index(drop=True).iloc[::-1]


CALLS = {
    "list_experiment": (
        _race,
        lambda d: unspoken.list_experiment(
            d, "y ~ age + south", J=3, method="ml", weights="w", by="tag"
        ),
    ),
    "list_experiment_nls": (
        _race,
        lambda d: unspoken.list_experiment(d, "y ~ age + C(tag)", J=3, method="nls"),
    ),
    "design_test": (_race, lambda d: unspoken.design_test(d, "y", "treat", J=3)),
    "rr_regression": (
        _nigeria,
        lambda d: unspoken.rr_regression(
            d,
            "rr.q1 ~ cov.female + I(cov.age/10)",
            "forced-known",
            p=2 / 3,
            p0=1 / 6,
            p1=1 / 6,
            weights="w",
            by="tag",
        ),
    ),
    "rr_prevalence": (
        _nigeria,
        lambda d: unspoken.rr_prevalence(
            d, "rr.q1", "forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6, by="tag"
        ),
    ),
    "direct_poll": (
        _gap_placebo,
        lambda d: unspoken.direct_poll(
            d, "support", "definitely,rather", weights="w", by="news", dk="bounds"
        ),
    ),
    "gap": (
        _gap_placebo,
        lambda d: unspoken.gap(
            d,
            "count",
            "treat",
            4,
            "support",
            "definitely,rather",
            dk="bounds",
            by="news",
            placebo_treat="placebo",
            placebo_prevalence="placebo_direct",
        ),
    ),
    "combined_list_direct": (
        _combined,
        lambda d: unspoken.combined_list_direct(
            d, "list1N", "list1treat", "direct1", covariates="gender + tag"
        ),
    ),
    "fit_polls": (
        _polls,
        lambda d: unspoken.fit_polls(
            d,
            "approve",
            "pollster",
            date="date",
            dk="hard_to_say",
            period="week",
            default_n={"Levada": 1600, "FOM": 1500, "VCIOM": 1600},
        ),
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_public_function_leaves_the_frame_unchanged(name):
    make, call = CALLS[name]
    df = make()
    before = copy.deepcopy(df)
    attrs = copy.deepcopy(df.attrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = call(df)
    assert res is not None
    pd.testing.assert_frame_equal(df, before, check_exact=True)
    pd.testing.assert_index_equal(df.index, before.index, exact=True)
    assert df.attrs == attrs
