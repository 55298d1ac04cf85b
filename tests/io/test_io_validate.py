"""Validation helpers of unspoken.io: every error names the column and the rows at fault."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from unspoken.errors import DataError
from unspoken.io import (
    arm_column,
    binary_column,
    drop_missing,
    factor_column,
    integer_column,
    numeric_column,
    require_columns,
    to_pandas,
    weight_column,
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [0, 1, 2, 3, np.nan, 2, 1, 0],
            "age": [30.0, None, 41.0, 52.0, 23.0, np.nan, 35.0, 60.0],
            "treat": ["control", "tx", "tx", "control", "tx", "control", "tx", "control"],
            "w": [1.0, 2.0, 1.5, 1.0, 0.5, 1.0, 1.0, 1.0],
        }
    )


@pytest.fixture
def df() -> pd.DataFrame:
    return _frame()


@pytest.fixture(autouse=True)
def _unchanged(df):
    """The user's frame is never modified by any call."""
    yield
    pd.testing.assert_frame_equal(df, _frame())


# ----------------------------------------------------------------------------- to_pandas


def test_to_pandas_copies_pandas(df):
    out = to_pandas(df)
    out.loc[0, "y"] = 99
    assert df.loc[0, "y"] == 0
    assert out is not df


def test_to_pandas_polars_eager_and_lazy():
    import polars as pl

    p = pl.DataFrame({"y": [1, 2, 3], "treat": [0, 1, 1], "g": ["a", None, "b"]})
    before = p.clone()
    for frame in (p, p.lazy()):
        out = to_pandas(frame)
        assert isinstance(out, pd.DataFrame)
        assert list(out.columns) == ["y", "treat", "g"]
        np.testing.assert_array_equal(out["y"].to_numpy(), [1, 2, 3])
        assert out["g"].isna().tolist() == [False, True, False]
    assert p.equals(before)


def test_to_pandas_dict_copies_arrays():
    y = np.array([1.0, 2.0, 3.0])
    out = to_pandas({"y": y, "t": [0, 1, 0]})
    out.loc[0, "y"] = -1
    assert y[0] == 1.0


def test_to_pandas_dict_unequal_lengths():
    with pytest.raises(DataError, match=r"equal length.*'y': 3.*'t': 2"):
        to_pandas({"y": [1, 2, 3], "t": [0, 1]})


def test_to_pandas_rejects_other_types():
    with pytest.raises(DataError, match=r"expected a data frame.*got int"):
        to_pandas(3)


# ----------------------------------------------------------------------------- columns


def test_require_columns_suggests_close_match(df):
    with pytest.raises(DataError) as info:
        require_columns(df, ["y", "tret"], role="treatment")
    msg = str(info.value)
    assert "treatment column 'tret' not found" in msg
    assert "did you mean 'treat'" in msg
    assert "Available columns: 'y', 'age', 'treat', 'w'" in msg
    assert info.value.column == "tret"


def test_require_columns_case_insensitive_hint(df):
    with pytest.raises(DataError, match="did you mean 'age'"):
        require_columns(df, "AGE", role="covariate")


def test_require_columns_several_missing(df):
    with pytest.raises(DataError, match=r"columns 'a', 'b' not found"):
        require_columns(df, ["a", "b"])
    require_columns(df, ["y", "treat"])  # fine: no error


def test_duplicate_column_names():
    dup = pd.DataFrame([[1, 2], [3, 4]], columns=["y", "y"])
    with pytest.raises(DataError, match=r"'y'.*occurs 2 times"):
        numeric_column(dup, "y")


# ----------------------------------------------------------------------------- missing


def test_drop_missing_listwise(df):
    out, notes, kept = drop_missing(df, ["y", "age"])
    np.testing.assert_array_equal(kept, [0, 2, 3, 6, 7])
    assert list(out.index) == [0, 2, 3, 6, 7]
    assert len(notes) == 1
    note = notes[0]
    assert note.startswith("listwise deletion: 3 of 8 rows dropped for missing values")
    assert "column 'y': 1 row, first 4" in note
    assert "column 'age': 2 rows, first 1, 5" in note
    out.loc[0, "y"] = 100  # a copy: the user's frame is untouched (autouse fixture)


def test_drop_missing_nothing_to_drop(df):
    out, notes, kept = drop_missing(df, ["treat", "w"])
    assert notes == []
    np.testing.assert_array_equal(kept, np.arange(8))
    pd.testing.assert_frame_equal(out, df)


def test_drop_missing_recognises_none_and_pd_na():
    frame = pd.DataFrame(
        {
            "a": pd.array([1, pd.NA, 3, 4], dtype="Int64"),
            "b": pd.Series(["x", None, "z", pd.NA], dtype=object),
        }
    )
    _, _, kept = drop_missing(frame, ["a", "b"])
    np.testing.assert_array_equal(kept, [0, 2])


def test_drop_missing_error_policy(df):
    with pytest.raises(DataError) as info:
        drop_missing(df, ["y", "age"], policy="error")
    msg = str(info.value)
    assert info.value.column == "y"
    assert info.value.rows == [4]
    assert "column 'y' has 1 missing value" in msg and "row 4" in msg
    assert "0-based" in msg


def test_drop_missing_bad_policy(df):
    with pytest.raises(DataError, match="'listwise' or 'error'"):
        drop_missing(df, ["y"], policy="pairwise")  # type: ignore[arg-type]


def test_drop_missing_all_rows():
    frame = pd.DataFrame({"y": [np.nan, np.nan], "x": [1, 2]})
    with pytest.raises(DataError, match="no complete rows left"):
        drop_missing(frame, ["y", "x"])


def test_rows_after_deletion_show_index_labels(df):
    """After listwise deletion, positions shift; messages also show the index labels."""
    out, _, _ = drop_missing(df, ["y", "age"])  # keeps rows 0, 2, 3, 6, 7
    out.loc[6, "treat"] = "other"
    with pytest.raises(DataError) as info:
        binary_column(out, "treat")
    msg = str(info.value)
    assert "row 3" in msg  # position within `out`
    assert "index labels of those rows: 6" in msg


# ----------------------------------------------------------------------------- numeric


def test_numeric_column_parses_strings_and_bools():
    frame = pd.DataFrame({"s": ["1", " 2.5", "-3e1"], "b": [True, False, True]})
    np.testing.assert_array_equal(numeric_column(frame, "s"), [1.0, 2.5, -30.0])
    np.testing.assert_array_equal(numeric_column(frame, "b"), [1.0, 0.0, 1.0])
    mixed = pd.DataFrame({"m": pd.Series([True, 2, "3"], dtype=object)})
    np.testing.assert_array_equal(numeric_column(mixed, "m"), [1.0, 2.0, 3.0])


def test_numeric_column_names_bad_rows():
    frame = pd.DataFrame({"age": ["34", "35", "refused", "40", "n/a", "41"]})
    with pytest.raises(DataError) as info:
        numeric_column(frame, "age", role="covariate")
    msg = str(info.value)
    assert info.value.column == "age"
    assert info.value.rows == [2, 4]
    assert "column 'age' (covariate) must be numeric" in msg
    assert "'refused'" in msg and "'n/a'" in msg
    assert re.search(r"rows 2, 4\)$", msg)


def test_numeric_column_missing_and_inf(df):
    with pytest.raises(DataError, match=r"'age'.*2 missing values.*rows 1, 5"):
        numeric_column(df, "age")
    out = numeric_column(df, "age", allow_missing=True)
    assert np.isnan(out[[1, 5]]).all() and out[0] == 30.0
    frame = pd.DataFrame({"x": [1.0, np.inf, 2.0]})
    with pytest.raises(DataError, match=r"infinite.*row 1"):
        numeric_column(frame, "x")


def test_numeric_column_dates_are_not_numbers():
    frame = pd.DataFrame({"d": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    with pytest.raises(DataError, match=r"'d'.*not a number.*rows 0, 1"):
        numeric_column(frame, "d")


def test_numeric_column_categorical_labels():
    frame = pd.DataFrame({"q": pd.Categorical(["1", "2", "Don't know", "2"])})
    with pytest.raises(DataError) as info:
        numeric_column(frame, "q")
    assert info.value.rows == [2]
    assert "Don't know" in str(info.value) and "value labels" in str(info.value)
    numeric_cats = pd.DataFrame({"q": pd.Categorical([3, 1, 3])})
    np.testing.assert_array_equal(numeric_column(numeric_cats, "q"), [3.0, 1.0, 3.0])


def test_numeric_column_nullable_dtypes():
    frame = pd.DataFrame({"a": pd.array([1, 2, None], dtype="Int64")})
    out = numeric_column(frame, "a", allow_missing=True)
    assert out.dtype == float and np.isnan(out[2]) and out[1] == 2.0


# ----------------------------------------------------------------------------- integer


def test_integer_column_non_integer(df):
    frame = pd.DataFrame({"y": [0, 1, 2.5, 3, 1.25]})
    with pytest.raises(DataError) as info:
        integer_column(frame, "y", role="outcome")
    msg = str(info.value)
    assert info.value.rows == [2, 4]
    assert "column 'y' (outcome) must hold whole numbers" in msg
    assert "2.5" in msg and "1.25" in msg


def test_integer_column_range():
    frame = pd.DataFrame({"y": [0, 1, 5, 3, -1, 2]})
    with pytest.raises(DataError) as info:
        integer_column(frame, "y", low=0, high=4, role="outcome")
    msg = str(info.value)
    assert info.value.rows == [2, 4]
    assert "must lie in [0, 4]" in msg and "5, -1" in msg
    out = integer_column(frame, "y", low=-1, high=5)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [0, 1, 5, 3, -1, 2])


def test_integer_column_from_text():
    frame = pd.DataFrame({"y": ["0", "3", "2"]})
    np.testing.assert_array_equal(integer_column(frame, "y", 0, 3), [0, 3, 2])


def test_weight_column():
    frame = pd.DataFrame({"w": [1.0, -0.5, 2.0], "z": [0.0, 0.0, 0.0]})
    with pytest.raises(DataError, match=r"non-negative.*-0\.5.*row 1"):
        weight_column(frame, "w")
    with pytest.raises(DataError, match="zero in every row"):
        weight_column(frame, "z")


def test_factor_column():
    frame = pd.DataFrame({"state": ["ny", "ca", "ny", "tx"]})
    codes, labels = factor_column(frame, "state", role="cluster")
    assert labels == ["ca", "ny", "tx"]
    np.testing.assert_array_equal(codes, [1, 0, 1, 2])
    with pytest.raises(DataError, match=r"'g' \(cluster\) has 1 missing value.*row 1"):
        factor_column(pd.DataFrame({"g": ["a", None]}), "g", role="cluster")


# ----------------------------------------------------------------------------- binary


def test_binary_column_default_controls(df):
    codes, info = binary_column(df, "treat")
    np.testing.assert_array_equal(codes, [0, 1, 1, 0, 1, 0, 1, 0])
    assert info == {
        "column": "treat",
        "control": "control",
        "treated": "tx",
        "counts": {"control": 4, "treated": 4},
    }
    numeric = pd.DataFrame({"t": [1, 0, 1]})
    np.testing.assert_array_equal(binary_column(numeric, "t")[0], [1, 0, 1])
    logical = pd.DataFrame({"t": [True, False, False]})
    codes, info = binary_column(logical, "t")
    np.testing.assert_array_equal(codes, [1, 0, 0])
    assert info["control"] is False and info["treated"] is True


def test_binary_column_explicit_control_from_text():
    frame = pd.DataFrame({"t": [1.0, 2.0, 2.0, 1.0]})
    codes, info = binary_column(frame, "t", control="2")  # as a command line would give it
    np.testing.assert_array_equal(codes, [1, 0, 0, 1])
    assert info["control"] == 2.0
    frame = pd.DataFrame({"t": ["A", "B", "b"]})
    with pytest.raises(DataError, match="exactly two values"):
        binary_column(frame, "t", control="B")
    codes, _ = binary_column(pd.DataFrame({"t": ["A", "B"]}), "t", control="b")
    np.testing.assert_array_equal(codes, [1, 0])


def _binary_column_error(frame: pd.DataFrame, column: str) -> DataError:
    with pytest.raises(DataError) as info:
        binary_column(frame, column)
    return info.value


def test_binary_column_needs_control():
    frame = pd.DataFrame({"t": [1, 2, 2]})
    msg = str(_binary_column_error(frame, "t"))
    assert "control=" in msg and "1 (1 rows)" in msg and "2 (2 rows)" in msg
    with pytest.raises(DataError, match=r"control value 7 does not occur.*1 \(1 rows\)"):
        binary_column(frame, "t", control=7)


def test_binary_column_one_value_is_empty_arm():
    error = _binary_column_error(pd.DataFrame({"t": [1, 1, 1]}), "t")
    msg = str(error)
    assert "single value" in msg and "1 (3 rows)" in msg and "empty" in msg
    assert error.column == "t"


def test_binary_column_three_values_names_rows():
    error = _binary_column_error(pd.DataFrame({"treat": [0, 1, 0, 1, 2, 0, 1]}), "treat")
    msg = str(error)
    assert "exactly two values but has 3" in msg
    assert "0 (3 rows), 1 (3 rows), 2 (1 rows)" in msg
    assert error.rows == [4]


def test_binary_column_missing_rows():
    frame = pd.DataFrame({"treat": [0, 1, None, 1]})
    with pytest.raises(DataError, match=r"'treat' \(treatment\) has 1 missing value.*row 2"):
        binary_column(frame, "treat")


# ----------------------------------------------------------------------------- arms


def test_arm_column_sorted_after_control():
    frame = pd.DataFrame({"treat": ["race", "control", "affirm", "race", "control"]})
    codes, labels = arm_column(frame, "treat")
    assert labels == ["control", "affirm", "race"]
    np.testing.assert_array_equal(codes, [2, 0, 1, 2, 0])


def test_arm_column_numeric_and_categorical():
    codes, labels = arm_column(pd.DataFrame({"t": [2, 0, 10, 1]}), "t")
    assert labels == [0, 1, 2, 10]
    np.testing.assert_array_equal(codes, [2, 0, 3, 1])
    cat = pd.Categorical(["b", "ctl", "a"], categories=["ctl", "b", "a"])
    codes, labels = arm_column(pd.DataFrame({"t": cat}), "t", control="ctl")
    assert labels == ["ctl", "b", "a"]
    np.testing.assert_array_equal(codes, [1, 0, 2])


def test_arm_column_errors():
    with pytest.raises(DataError, match=r"single value.*empty"):
        arm_column(pd.DataFrame({"t": ["control", "control"]}), "t")
    with pytest.raises(DataError, match="control="):
        arm_column(pd.DataFrame({"t": ["x", "y", "z"]}), "t")
    with pytest.raises(DataError, match=r"missing value.*row 1"):
        arm_column(pd.DataFrame({"t": ["control", None, "x"]}), "t")
