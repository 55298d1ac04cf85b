"""Hausman test ML vs NLS against R list 9.2.6 ict.hausman.test (race_hausman.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import unspoken
from unspoken.errors import UnsupportedError
from unspoken.listexp.hausman import hausman_statistic

REF = Path(__file__).parents[1] / "reference"
FORMULA = "y ~ south + age + male + college"


def _ref(name: str) -> dict:
    return json.loads((REF / name).read_text())


def test_statistic_from_r_fits_matches_r():
    """With R's own ML and NLS estimates and covariances the statistic, df and p agree."""
    ml = _ref("race_ml_constrained.json")["result"]
    nls = _ref("race_nls.json")["result"]
    assert ml["coef_names"] == nls["coef_names"] == ml["vcov_names"] == nls["vcov_names"]
    want = _ref("race_hausman.json")
    res = hausman_statistic(ml["estimates"], ml["vcov"], nls["estimates"], nls["vcov"], abs=True)
    assert res.statistic == pytest.approx(want["abs_true"]["result"]["stat"], rel=1e-8)
    assert res.df == want["abs_true"]["result"]["df"]
    assert res.p_value == pytest.approx(want["abs_true"]["result"]["p"], rel=1e-8)
    assert res.min_eigenvalue == pytest.approx(want["psd_check_min_eigen"], rel=1e-6)
    # R stops without abs = TRUE; we report, with no p-value and a note
    plain = hausman_statistic(ml["estimates"], ml["vcov"], nls["estimates"], nls["vcov"])
    assert plain.p_value is None and any("negative" in n for n in plain.notes)


def test_from_our_fits_close_to_r():
    """Our ML is the polished maximum with the exact Hessian (R: EM stopped short, finite-
    difference Hessian), so the statistic differs from R's -7.400 in the third digit."""
    race = unspoken.datasets.load("race")
    ml = unspoken.list_experiment(race, FORMULA, "treat", J=3, method="ml")
    nls = unspoken.list_experiment(race, FORMULA, "treat", J=3, method="nls")
    res = unspoken.hausman_test(ml, nls, abs=True)
    want = _ref("race_hausman.json")["abs_true"]["result"]
    assert res.statistic == pytest.approx(want["stat"], rel=5e-3)
    assert res.p_value == pytest.approx(want["p"], abs=5e-3)
    assert res.to_dict()["df"] == 10
    with pytest.raises(UnsupportedError):
        unspoken.hausman_test(nls, ml)


def test_reported_with_model_based_gap():
    mexico = unspoken.datasets.load("mexico")
    res = unspoken.gap(
        mexico, "mex.y.all", "mex.t", 3, "mex.direct", method="ml", covariates="mex.male"
    )
    h = res.to_dict()["hausman"]
    assert h["df"] == 4 and h["statistic"] is not None
    # the same test as on separately fitted ML and NLS list models (model covariances)
    ml = unspoken.list_experiment(mexico, "mex.y.all ~ mex.male", "mex.t", J=3, method="ml")
    nls = unspoken.list_experiment(mexico, "mex.y.all ~ mex.male", "mex.t", J=3, method="nls")
    alone = unspoken.hausman_test(ml, nls, abs=True)
    assert h["statistic"] == pytest.approx(alone.statistic, rel=1e-8)
    assert h["p_value"] == pytest.approx(alone.p_value, rel=1e-8)
    assert "Hausman" in res.summary()
