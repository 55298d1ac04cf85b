"""Reading and validating data: from a user's file or frame to checked numpy arrays.

Everything here knows column *roles* (outcome count, treatment arm, weights, cluster ...)
and nothing about models. Every check of bad input raises :class:`~unspoken.errors.DataError`
naming the column and the first offending rows.

Row convention used in every message: **row numbers are 0-based positions in the data as
given to the function** (the first data row of a file is row 0). When the frame's index is
not the default ``0..n-1`` (for instance after :func:`drop_missing`, which keeps the index
labels of the rows it keeps), the message also shows the index labels of those rows, so a
row can be found in the original data.

The modules, by job: :mod:`~unspoken.io.frames` (to a pandas frame, duplicate and missing
column names, the message helpers), :mod:`~unspoken.io.columns` (numbers, whole numbers,
weights, group codes), :mod:`~unspoken.io.arms` (treatment arms and the control value),
:mod:`~unspoken.io.missing` (blank cells, listwise deletion and its note, zero weights),
:mod:`~unspoken.io.readers` (:func:`read_data`) with :mod:`~unspoken.io.formats` (which
format a file is), :mod:`~unspoken.io.text` (delimited text) and
:mod:`~unspoken.io.labels` (SPSS/Stata value labels and user-missing codes).

The heavy readers (pyreadstat, pyarrow, narwhals) are imported inside the functions that use
them, so ``import unspoken.io`` stays light.
"""

from __future__ import annotations

from unspoken.io.arms import arm_column, binary_column
from unspoken.io.columns import (
    check_numeric_text,
    factor_column,
    integer_column,
    numeric_column,
    weight_column,
)
from unspoken.io.frames import check_unique_columns, require_columns, to_pandas
from unspoken.io.missing import blank_to_missing, drop_missing, missing_rows, zero_weight_rows
from unspoken.io.readers import read_data

__all__ = [
    "arm_column",
    "binary_column",
    "blank_to_missing",
    "check_numeric_text",
    "check_unique_columns",
    "drop_missing",
    "factor_column",
    "integer_column",
    "missing_rows",
    "numeric_column",
    "read_data",
    "require_columns",
    "to_pandas",
    "weight_column",
    "zero_weight_rows",
]
