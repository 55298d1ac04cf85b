"""Bad input: every error names the column and the rows at fault (0-based positions in the
data as given, also when incomplete rows are dropped first)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.errors import DataError, UnsupportedError
from unspoken.listexp import list_experiment


@pytest.fixture(scope="module")
def race() -> pd.DataFrame:
    return datasets.load("race")


def raises(df, column, rows, **kw):
    with pytest.raises(DataError) as ei:
        list_experiment(df, **kw)
    e = ei.value
    assert e.column == column
    assert e.rows == rows
    assert f"'{column}'" in str(e)
    for r in rows:
        assert str(r) in str(e)
    return e


def test_control_count_above_J(race):
    d = race.copy()
    d.loc[[5, 9], ["y", "treat"]] = [4, 0]
    e = raises(d, "y", [5, 9], formula="y ~ 1", J=3)
    assert "exceed J = 3" in str(e)


def test_treated_count_above_J_plus_1(race):
    d = race.copy()
    d.loc[7, "y"] = 5
    d.loc[7, "treat"] = 1
    raises(d, "y", [7], formula="y ~ 1", J=3)


def test_non_integer_and_negative_and_text_counts(race):
    d = race.astype({"y": float})
    d.loc[3, "y"] = 1.5
    assert "whole numbers" in str(raises(d, "y", [3], formula="y ~ 1", J=3))
    d = race.copy()
    d.loc[11, "y"] = -1
    raises(d, "y", [11], formula="y ~ 1", J=3)
    d = race.assign(y=race["y"].astype(object))
    d.loc[6, "y"] = "two"
    raises(d, "y", [6], formula="y ~ 1", J=3)


def test_rows_refer_to_the_users_rows_after_listwise_deletion(race):
    d = race.astype({"y": float, "age": float})
    d.loc[[0, 1, 2], "age"] = np.nan  # dropped rows come before the bad one
    d.loc[10, ["y", "treat"]] = [4, 0]
    raises(d, "y", [10], formula="y ~ age", J=3)


def test_treatment_not_two_valued_or_empty_arm(race):
    d = race.copy()
    d.loc[[2, 4], "treat"] = 2
    e = raises(d, "treat", [2, 4], formula="y ~ 1", J=3)
    assert "exactly two values" in str(e)
    with pytest.raises(DataError, match="other arm is empty") as ei:
        list_experiment(race[race["treat"] == 1], "y ~ 1", J=3)
    assert ei.value.column == "treat"


def test_missing_values(race):
    d = race.astype({"y": float})
    d.loc[[3, 8], "y"] = np.nan
    raises(d, "y", [3, 8], formula="y ~ 1", J=3, missing="error")
    fit = list_experiment(d, "y ~ 1", J=3, method="dim")
    assert fit.n == len(race) - 2
    assert "listwise deletion: 2 of 1213 rows dropped" in fit.notes[0]
    assert "3, 8" in fit.notes[0]


def test_formula_and_role_columns(race):
    with pytest.raises(DataError, match="did you mean 'age'") as ei:
        list_experiment(race, "y ~ agee", J=3)
    assert ei.value.column == "agee"
    with pytest.raises(DataError) as ei:
        list_experiment(race, "yy ~ 1", J=3)
    assert ei.value.column == "yy"
    with pytest.raises(DataError) as ei:
        list_experiment(race, "y ~ 1", treat="tr", J=3)
    assert ei.value.column == "tr"
    with pytest.raises(DataError, match="rank deficient: column 'a2'"):
        list_experiment(race.assign(a2=race["age"] * 2), "y ~ age + a2", J=3)
    with pytest.raises(DataError, match="cannot be a covariate"):
        list_experiment(race, "y ~ treat", J=3)
    with pytest.raises(DataError, match="not allowed"):
        list_experiment(race, "y ~ I(__import__('os').system('echo hacked'))", J=3)


def test_weights_checked(race):
    d = race.assign(w=1.0)
    d.loc[4, "w"] = -1
    raises(d, "w", [4], formula="y ~ 1", J=3, weights="w")
    d.loc[4, "w"] = 0  # a weight of 0 drops the respondent (README), with a note
    fit = list_experiment(d, "y ~ 1", J=3, weights="w")
    assert fit.n == len(d) - 1
    assert any("1 of 1213 rows has weight 0 and is not counted" in n for n in fit.notes)


def test_J_checks(race):
    with pytest.warns(UserWarning, match="no respondent reported 6"):
        fit = list_experiment(race, "y ~ 1", J=6, method="dim")
    assert any("check that J" in n for n in fit.notes)
    fit = list_experiment(race, "y ~ 1", method="dim")
    assert fit.J == 3 and any("J = 3 taken from" in n for n in fit.notes)
    with pytest.raises(DataError, match="positive integer"):
        list_experiment(race, "y ~ 1", J=0)


def test_unsupported_combinations(race):
    w = race.assign(w=1.0, cl=race.index % 30)
    with pytest.raises(UnsupportedError, match="linear models only"):
        list_experiment(race, "y ~ 1", J=3, method="ml", vcov="hc3")
    with pytest.raises(UnsupportedError, match="wrong with weights"):
        list_experiment(w, "y ~ 1", J=3, vcov="model", weights="w")
    with pytest.raises(UnsupportedError, match="takes no covariates"):
        list_experiment(race, "y ~ age", J=3, method="dim")
    with pytest.raises(UnsupportedError, match="method must be one of"):
        list_experiment(race, "y ~ 1", J=3, method="foo")
    with pytest.raises(UnsupportedError, match="needs a cluster column"):
        list_experiment(race, "y ~ 1", J=3, vcov="cluster")
    with pytest.raises(UnsupportedError, match="applies to method='ml' only"):
        list_experiment(race, "y ~ 1", J=3, method="lm", constrained=False)
    with pytest.raises(UnsupportedError, match="no model-based variance"):
        list_experiment(race, "y ~ age", J=3, method="nls", vcov="model")
    with pytest.raises(UnsupportedError, match="unknown vcov"):
        list_experiment(race, "y ~ 1", J=3, vcov="robust")


def test_users_frame_is_not_modified(race):
    d = race.astype({"y": float})
    d.loc[3, "y"] = np.nan
    before = d.copy()
    list_experiment(d, "y ~ age", J=3, weights=None)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3", float("nan")])
def test_one_rule_for_J_across_list_functions(bad):
    """list_experiment, design_test and combined_list_direct refuse the same J values with
    the same DataError (and all accept 3.0 as 3)."""
    from unspoken.listexp.combined import combined_list_direct
    from unspoken.listexp.data import check_J
    from unspoken.listexp.design_test import design_test

    race = datasets.load("race")
    both = race.assign(direct=(race["y"] > 1).astype(int))
    with pytest.raises(DataError, match="positive integer"):
        list_experiment(race, "y ~ 1", J=bad, method="dim")
    with pytest.raises(DataError, match="positive integer"):
        design_test(race, "y", "treat", J=bad)
    with pytest.raises(DataError, match="positive integer"):
        combined_list_direct(both, "y", "treat", "direct", J=bad)
    assert check_J(3.0) == 3 and isinstance(check_J(np.int64(3)), int)
