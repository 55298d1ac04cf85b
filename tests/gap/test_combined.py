"""Aronow et al. (2015) combined estimator against R list 9.2.6 combinedListDirect."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken.errors import DataError

REF = Path(__file__).parents[1] / "reference"


def _data(subset: str):
    df = unspoken.datasets.load("combinedListExps").dropna()  # R: na.omit over all columns
    return df[df.directsfirst == 1] if subset == "directsfirst" else df


@pytest.mark.parametrize(
    ("case", "subset"),
    [("combined_list1_all_nocov", "all"), ("combined_list1_directsfirst_nocov", "directsfirst")],
)
def test_matches_r_combinedListDirect(case, subset):
    ref = json.loads((REF / f"{case}.json").read_text())["result"]
    res = unspoken.combined_list_direct(_data(subset), "list1N", "list1treat", "direct1")
    tol = {"rel": 1e-8}  # closed forms (differences in means, Welch-type SEs, t tests)
    assert res.combined.estimate == pytest.approx(ref["comb_est"], **tol)
    assert res.combined.std_error == pytest.approx(ref["comb_se"], **tol)
    assert res.direct.estimate == pytest.approx(ref["direct_est"], **tol)
    assert res.direct.std_error == pytest.approx(ref["direct_se"], **tol)
    assert res.list.estimate == pytest.approx(ref["conv_est"], **tol)
    assert res.list.std_error == pytest.approx(ref["conv_se"], **tol)
    p1, p2 = res.placebo_tests
    for mine, key in ((p1, "placebo_I"), (p2, "placebo_II")):
        assert mine.estimate == pytest.approx(ref[key]["estimate"], **tol)
        assert mine.std_error == pytest.approx(ref[key]["se"], **tol)
        assert mine.p_value == pytest.approx(ref[key]["p"], **tol)
        assert mine.n == ref[key]["n"]
    assert res.n == ref["n"] and res.n_treated == ref["n_treated"]
    assert res.n_direct_yes == ref["n_direct_yes"]
    js = res.to_dict()
    assert js["model"] == "combined" and [t["name"] for t in js["placebo_tests"]] == ["I", "II"]


def test_covariates_man_page_example_runs_and_is_close():
    df = _data("directsfirst")
    plain = unspoken.combined_list_direct(df, "list1N", "list1treat", "direct1")
    adj = unspoken.combined_list_direct(
        df, "list1N", "list1treat", "direct1", covariates="gender + ideology + education + race"
    )
    assert len(adj.covariates) == 15
    assert adj.combined.estimate == pytest.approx(plain.combined.estimate, abs=0.02)
    assert adj.direct.estimate == plain.direct.estimate


def test_combined_recovers_truth_without_false_positives():
    """Simulated: no false 'yes' directly, some deniers; the combined estimate is unbiased
    and more precise than the conventional list estimate."""
    rng = np.random.default_rng(3)
    est, se, conv_se = [], [], []
    for _ in range(200):
        n = 1000
        z = rng.random(n) < 0.4
        d = z & (rng.random(n) < 0.7)  # 30% of holders deny directly, nobody falsely claims
        t = rng.random(n) < 0.5
        y = (rng.random((n, 3)) < 0.5).sum(1) + t * z

        res = unspoken.combined_list_direct(
            pd.DataFrame({"y": y, "t": t.astype(int), "d": d.astype(int)}), "y", "t", "d"
        )
        est.append(res.combined.estimate)
        se.append(res.combined.std_error)
        conv_se.append(res.list.std_error)
    assert np.mean(est) == pytest.approx(0.4, abs=0.01)
    assert np.std(est) == pytest.approx(np.mean(se), rel=0.15)
    assert np.mean(se) < 0.9 * np.mean(conv_se)


def test_bad_direct_codes():
    df = _data("all").copy()
    df.loc[df.index[4], "direct1"] = 2
    with pytest.raises(DataError, match="direct1") as e:
        unspoken.combined_list_direct(df, "list1N", "list1treat", "direct1")
    assert 4 in e.value.rows
