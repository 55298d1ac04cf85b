"""Columns as checked numpy arrays: numbers, whole numbers, weights and group codes.

Each conversion raises :class:`~unspoken.errors.DataError` naming the column, its role and
the first offending rows. Value labels read from SPSS/Stata files turn back into their
numeric codes here (``df.attrs["unspoken"]["codes"]``, see :mod:`unspoken.io.labels`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from unspoken.errors import DataError
from unspoken.io.frames import (
    _MAX_SHOWN,
    _check_no_missing,
    _fmt_values,
    _not_numbers,
    _py,
    _raise_rows,
    _raise_values,
    _role,
    _series,
)

__all__ = [
    "check_numeric_text",
    "factor_column",
    "integer_column",
    "numeric_column",
    "weight_column",
]

_MAX_WHOLE = 2.0**53  # the largest whole numbers a float64 holds exactly


def numeric_column(
    df: pd.DataFrame, col: str, role: str = "", allow_missing: bool = False
) -> np.ndarray:
    """Column ``col`` as a float array; booleans map to 0/1, numeric strings are parsed.

    Raises :class:`DataError` naming the rows holding values that are not numbers (text,
    dates, infinities) and, unless ``allow_missing``, rows with missing values (which come
    back as NaN when ``allow_missing=True``).
    """
    s = _series(df, col, role)
    if not allow_missing:
        _check_no_missing(df, col, s, role)
    miss = s.isna().to_numpy(dtype=bool)
    codes_map = _codes_map(df, col)
    values = _to_float(s, codes_map)
    bad = np.isnan(values) & ~miss
    if bad.any():
        _raise_values(
            df,
            col,
            s,
            bad,
            lambda k, raw: (
                f"column '{col}'{_role(role)} must be numeric but {_not_numbers(k, raw)}"
            ),
            _label_hint(s, codes_map),
        )
    inf = np.isinf(values)
    if inf.any():
        pos = np.flatnonzero(inf)
        _raise_rows(df, col, pos, f"column '{col}'{_role(role)} has {len(pos)} infinite value(s)")
    return values


def check_numeric_text(df: pd.DataFrame, columns: Iterable[str], role: str = "covariate") -> None:
    """Refuse a text column that mostly holds numbers (such as an age column with one "old").

    A model would read such a column as categories because of a few words, so the
    :class:`DataError` names the column and the rows holding text. So is a column of numbers
    written with a comma ("7,2" from a comma-separated file whose numbers use decimal commas,
    or "1,600" with a thousands separator): every one of them would be a category; and so is a
    column of numbers stored as text ("7.2", "2.5", ... in a frame read with ``dtype=str``)
    with more than two distinct values, whose reading (numbers or categories) is a choice
    the user makes (two values fit the same either way). A column whose values are mostly
    text, a Categorical column and a numeric column pass: they are what they look like.
    """
    for col in columns:
        _check_numeric_text_column(df, col, role)


_COMMA_NUMBER = re.compile(r"^\s*[-+]?\d[\d\s\u00a0.]*,\d+\s*$")


def _check_numeric_text_column(df: pd.DataFrame, col: str, role: str) -> None:
    """:func:`check_numeric_text` for one column."""
    s = _series(df, col, role)
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
    ):
        return
    present = s.notna().to_numpy(dtype=bool)
    number = ~np.isnan(_to_float(s)) & present
    text = present & ~number
    commas = text & s.map(
        lambda v: isinstance(v, str) and bool(_COMMA_NUMBER.match(v)), na_action="ignore"
    ).fillna(False).to_numpy(dtype=bool)
    if commas.any() and commas.sum() > (text & ~commas).sum():
        _raise_values(
            df,
            col,
            s,
            commas,
            lambda _, raw: (
                f"column '{col}'{_role(role)} holds numbers written with a comma "
                f"(e.g. {_fmt_values(raw)}), which a model would read as {len(raw)} categories "
                "(a decimal comma, or a thousands separator)"
            ),
            "Write them with a decimal point and no separators (a ';'-separated file with "
            "decimal commas is read as such); if the column is meant as categories, write "
            f"C({col}) in the formula",
        )
    if not text.any() and number.any():
        distinct = pd.unique(s[number])
        if len(distinct) > 2:
            raise DataError(
                f"column '{col}'{_role(role)} holds numbers stored as text (e.g. "
                f"{_fmt_values(distinct)}), which a model would read as {len(distinct)} "
                "categories: convert the column to numbers (pandas.to_numeric), or write "
                f"C({col}) in the formula if they are categories",
                column=col,
            )
    if text.any() and number.sum() > text.sum():
        _raise_values(
            df,
            col,
            s,
            text,
            lambda k, raw: f"column '{col}'{_role(role)} holds numbers, but {_not_numbers(k, raw)}",
            "Recode them to numbers or to missing; if the column is meant as categories, "
            f"write C({col}) in the formula",
        )


def _codes_map(df: pd.DataFrame, col: str) -> dict | None:
    """label -> numeric code for a labelled column read by :func:`read_data` (if known)."""
    meta = df.attrs.get("unspoken")
    if not isinstance(meta, dict) or not isinstance(meta.get("codes"), dict):
        return None
    m = meta["codes"].get(str(col))
    return m if isinstance(m, dict) else None


def _label_hint(s: pd.Series, codes_map: dict | None = None) -> str:
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return ""
    if codes_map is not None:
        return (
            'These are answers the data file marks as user-missing (such as "Don\'t know" or '
            "a refusal), kept by read_data(user_missing='keep'): read the file with "
            "user_missing='nan' to treat them as missing, or recode them"
        )
    return (
        "The column holds value labels (e.g. from an SPSS/Stata file); recode answers "
        'such as "Don\'t know" to missing or to a number before the analysis'
    )


def _to_float(s: pd.Series, codes_map: dict | None = None) -> np.ndarray:
    """Float values of ``s``; NaN where missing or not a number (caller tells them apart).

    For a Categorical of value labels, ``codes_map`` (label -> code) gives the numbers.
    """
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        cat_vals = (
            np.array([float(codes_map.get(c, np.nan)) for c in cats], dtype=float)
            if codes_map is not None
            else cats.to_numpy(dtype=float, na_value=np.nan)
            if pd.api.types.is_numeric_dtype(cats.dtype) or pd.api.types.is_bool_dtype(cats)
            else _to_float(pd.Series(np.asarray(cats, dtype=object)))
        )
        codes = s.cat.codes.to_numpy()
        out = np.full(len(s), np.nan)
        ok = codes >= 0
        out[ok] = cat_vals[codes[ok]]
        return out
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_complex_dtype(dtype):
            return np.full(len(s), np.nan)
        return s.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return np.full(len(s), np.nan)
    # text / object: numbers as they are, Python bools -> 0/1, numeric text parsed
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        text = s.str.strip()
    else:
        obj = pd.Series(s.to_numpy(dtype=object), dtype=object)
        kinds = obj.map(type)
        usable = {
            t: issubclass(t, (str, int, float, np.number, np.bool_))
            and not issubclass(t, (complex, np.complexfloating))
            for t in set(kinds)
        }
        text = obj.where(kinds.map(usable).to_numpy(dtype=bool), None)
        is_str = kinds.map({t: issubclass(t, str) for t in usable}).to_numpy(dtype=bool)
        if is_str.any():
            text[is_str] = text[is_str].str.strip()
    with np.errstate(all="ignore"):
        parsed = pd.to_numeric(text, errors="coerce")
    return np.asarray(parsed, dtype=float)


def integer_column(
    df: pd.DataFrame,
    col: str,
    low: int | None = None,
    high: int | None = None,
    role: str = "",
) -> np.ndarray:
    """Column ``col`` as an int64 array of whole numbers in ``[low, high]`` (bounds optional).

    Raises :class:`DataError` naming the rows and values that are not whole numbers (e.g. 2.5)
    or fall outside the bounds.
    """
    x = numeric_column(df, col, role=role)
    frac = x != np.round(x)
    if frac.any():  # values out of bounds are named in the same message
        pos = np.flatnonzero(frac)
        whole = np.round(x)
        out = (whole < low if low is not None else False) | (
            whole > high if high is not None else False
        )
        out = np.asarray(out, dtype=bool) & ~frac
        also = ""
        if out.any():
            lo = "-inf" if low is None else str(low)
            hi = "inf" if high is None else str(high)
            also = (
                f", and {int(out.sum())} value{'s' if out.sum() > 1 else ''} outside "
                f"[{lo}, {hi}] (e.g. {_fmt_values(x[np.flatnonzero(out)[:_MAX_SHOWN]])})"
            )
        _raise_rows(
            df,
            col,
            np.flatnonzero(frac | out),
            f"column '{col}'{_role(role)} must hold whole numbers but has "
            f"{len(pos)} non-integer value{'s' if len(pos) > 1 else ''} "
            f"(e.g. {_fmt_values(x[pos[:_MAX_SHOWN]])}){also}",
        )
    huge = np.abs(x) > _MAX_WHOLE
    if huge.any():  # beyond what an int64 (and a float) holds exactly
        pos = np.flatnonzero(huge)
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} has {len(pos)} value{'s' if len(pos) > 1 else ''} "
            f"too large to be a whole number here (e.g. {_fmt_values(x[pos[:_MAX_SHOWN]])})",
        )
    out_low = x < low if low is not None else np.zeros(len(x), bool)
    out_high = x > high if high is not None else np.zeros(len(x), bool)
    outside = out_low | out_high
    if outside.any():
        pos = np.flatnonzero(outside)
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} must lie in [{lo}, {hi}] but {len(pos)} value"
            f"{'s lie' if len(pos) > 1 else ' lies'} outside "
            f"(e.g. {_fmt_values(x[pos[:_MAX_SHOWN]].astype(np.int64))})",
        )
    return x.astype(np.int64)


def weight_column(df: pd.DataFrame, col: str, role: str = "weights") -> np.ndarray:
    """Survey weights: finite, non-negative numbers, not all zero (float array)."""
    w = numeric_column(df, col, role=role)
    neg = w < 0
    if neg.any():
        pos = np.flatnonzero(neg)
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} must be non-negative but has {len(pos)} negative "
            f"value{'s' if len(pos) > 1 else ''} (e.g. {_fmt_values(w[pos[:_MAX_SHOWN]])})",
        )
    if len(w) and not (w > 0).any():
        raise DataError(f"column '{col}'{_role(role)} is zero in every row", column=col)
    return w


def factor_column(df: pd.DataFrame, col: str, role: str = "") -> tuple[np.ndarray, list]:
    """Group identifiers (cluster, strata, subgroup) as codes ``0..G-1`` and their labels.

    Labels are sorted (categories order for a Categorical column); missing values raise, and
    so does a cluster column (``role="cluster"``) holding a single cluster, since no variance
    between clusters can be estimated from it.
    """
    s = _series(df, col, role)
    _check_no_missing(df, col, s, role)
    labels = _ordered_levels(s)
    if role == "cluster" and len(labels) == 1:
        from unspoken.inference.covariance import _SINGLE_CLUSTER

        raise DataError(_SINGLE_CLUSTER.format(col=col), column=col)
    codes = _codes_for(s, labels)
    return codes, [_py(v) for v in labels]


def _ordered_levels(s: pd.Series) -> list:
    """Distinct non-missing values: category order for a Categorical, else sorted.

    Sorting is numeric when every value is a number, else by the values' text.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.cat.codes[s.cat.codes >= 0].unique().tolist())
        return [c for i, c in enumerate(s.cat.categories) if i in present]
    vals = [_py(v) for v in pd.unique(s.dropna())]
    if all(isinstance(v, (int, float, bool)) for v in vals):
        return sorted(vals, key=float)
    return sorted(vals, key=lambda v: (str(v), type(v).__name__))


def _codes_for(s: pd.Series, levels: list) -> np.ndarray:
    index = pd.Index(levels, dtype=object)
    codes = index.get_indexer(pd.Index(s.astype(object).to_numpy(), dtype=object))
    return codes.astype(np.int64)
