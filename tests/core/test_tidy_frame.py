"""results.tidy_frame: the one tidy() table every result builds."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from unspoken.results import TIDY_COLUMNS, Estimate, tidy_frame


def test_columns_order_and_optional_ones() -> None:
    e = Estimate(0.3, 0.1, 0.05, 0.6, n=100)  # an asymmetric (e.g. logit) interval
    t = tidy_frame([{"part": "p", "term": "t", "estimate": e}], None, 0.95)
    assert list(t.columns) == [*TIDY_COLUMNS, "n"]
    assert t.loc[0, "ci_low"] == 0.05 and t.loc[0, "ci_high"] == 0.6  # own interval kept
    t = tidy_frame(
        [
            {"part": "p", "term": "t", "estimate": e, "group": {"region": "N", "sex": 1}},
            {
                "part": "p",
                "term": "t",
                "estimate": None,
                "group": {"region": "S"},
                "note": "suppressed (n < 30)",
            },
        ],
        None,
        0.95,
    )
    assert list(t.columns) == ["group", *TIDY_COLUMNS, "n", "note"]
    assert t["group"].tolist() == ["region = N, sex = 1", "region = S"]
    assert np.isnan(t.loc[1, "estimate"]) and t["n"].isna().tolist() == [False, True]


def test_other_level_gives_wald_intervals() -> None:
    e = Estimate(0.3, 0.1, 0.05, 0.6)
    t = tidy_frame([{"part": "p", "term": "t", "estimate": e}], 0.8, 0.95)
    z = norm.ppf(0.9)
    assert t.loc[0, "ci_low"] == pytest.approx(0.3 - z * 0.1, abs=1e-15)
    assert t.loc[0, "ci_high"] == pytest.approx(0.3 + z * 0.1, abs=1e-15)
    same = tidy_frame([{"part": "p", "term": "t", "estimate": e}], 0.95, 0.95)
    assert same.loc[0, "ci_low"] == 0.05
