"""Reading and validating data: from a user's file or frame to checked numpy arrays.

Everything here knows column *roles* (outcome count, treatment arm, weights, cluster ...)
and nothing about models. Every check of bad input raises :class:`~unspoken.errors.DataError`
naming the column and the first offending rows.

Row convention used in every message: **row numbers are 0-based positions in the data as
given to the function** (the first data row of a file is row 0). When the frame's index is
not the default ``0..n-1`` (for instance after :func:`drop_missing`, which keeps the index
labels of the rows it keeps), the message also shows the index labels of those rows, so a
row can be found in the original data.

The heavy readers (pyreadstat, pyarrow, narwhals) are imported inside the functions that use
them, so ``import unspoken.io`` stays light.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError

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

MissingPolicy = Literal["listwise", "error"]
UserMissing = Literal["keep", "nan"]

_MAX_SHOWN = 5
_MAX_WHOLE = 2.0**53  # the largest whole numbers a float64 holds exactly


# --------------------------------------------------------------------------- frames


def to_pandas(frame: Any, copy: bool = True) -> pd.DataFrame:
    """A pandas DataFrame from a pandas/polars/narwhals-compatible frame or a dict of arrays.

    The user's object is never modified: pandas input is deep-copied (with ``copy=False`` a
    pandas frame comes back as it is, for callers that only read it), other frames are
    converted (polars ``LazyFrame`` is collected first). Every public function takes its data
    through here, so this is where a frame with two columns of the same name is refused
    (:func:`check_unique_columns`).
    """
    if isinstance(frame, pd.DataFrame):
        check_unique_columns(frame)
        return frame.copy(deep=True) if copy else frame
    if isinstance(frame, pd.Series):
        return frame.to_frame().copy(deep=True)
    if isinstance(frame, str | bytes) or hasattr(frame, "__fspath__"):
        raise DataError(
            f"expected a data frame, got the path or text {str(frame)[:80]!r}: read a file "
            "first with unspoken.read_data(path) and pass the frame it returns"
        )
    if isinstance(frame, Mapping):
        try:
            return pd.DataFrame({k: np.array(v, copy=True) for k, v in frame.items()})
        except ValueError as exc:
            lengths = {str(k): len(np.atleast_1d(v)) for k, v in frame.items()}
            raise DataError(
                f"a dict of columns needs arrays of equal length; found lengths {lengths}"
            ) from exc
    try:
        import narwhals as nw

        nw_frame = nw.from_native(frame, pass_through=False)
    except (TypeError, ImportError) as exc:
        raise DataError(
            "expected a data frame (pandas, polars or another narwhals-supported frame), "
            f"a dict of equal-length arrays, or a file path; got {type(frame).__name__}"
        ) from exc
    if isinstance(nw_frame, nw.LazyFrame):
        nw_frame = nw_frame.collect()
    out = nw_frame.to_pandas()
    if not isinstance(out, pd.DataFrame):  # pragma: no cover - defensive
        out = pd.DataFrame(out)
    check_unique_columns(out)
    return out


def check_unique_columns(
    df: pd.DataFrame, names: Iterable[Any] | None = None, where: str = "the data"
) -> None:
    """Refuse column names that occur more than once.

    ``names`` are the names to check (default ``df.columns``; a file reader passes its raw
    header, before pandas renames a second ``age`` to ``age.1``). The :class:`DataError`
    names each duplicated name and its positions (counting from 1, as a spreadsheet's
    columns).
    """
    raw = [_py(c) for c in (df.columns if names is None else names)]
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(raw, start=1):
        if name is None or name == "" or (isinstance(name, float) and np.isnan(name)):
            continue  # a blank header cell (pandas names it 'Unnamed: k')
        seen.setdefault(str(name), []).append(i)
    dups = {name: pos for name, pos in seen.items() if len(pos) > 1}
    if not dups:
        return
    parts = []
    for name, pos in dups.items():
        cols = ", ".join(map(str, pos[:-1])) + f" and {pos[-1]}"
        parts.append(f"'{name}' {len(pos)} times (columns {cols}, counting from 1)")
    raise DataError(
        f"column names must be unique, but {where} has {'; '.join(parts)}: rename the "
        "duplicates so that it is clear which column is meant",
        column=next(iter(dups)),
    )


# --------------------------------------------------------------------------- messages


def _default_index(df: pd.DataFrame) -> bool:
    idx = df.index
    return isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1


def _rows_note(df: pd.DataFrame, positions: np.ndarray) -> str:
    """Text stating the row convention, plus index labels when the index is not 0..n-1."""
    note = "row numbers are 0-based positions"
    if len(positions) and not _default_index(df):
        labels = ", ".join(repr(_py(x)) for x in df.index[positions[:_MAX_SHOWN]])
        note += f"; index labels of those rows: {labels}"
    return note


def _role(role: str) -> str:
    return f" ({role})" if role else ""


def _py(value: Any) -> Any:
    """A numpy scalar as the matching Python value (for messages and dict keys)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fmt_values(values: Iterable[Any], limit: int = _MAX_SHOWN) -> str:
    vals = [repr(_py(v)) for v in values]
    more = f", ... ({len(vals) - limit} more)" if len(vals) > limit else ""
    return ", ".join(vals[:limit]) + more


def _raise_rows(
    df: pd.DataFrame, column: str, positions: np.ndarray, message: str, hint: str = ""
) -> None:
    positions = np.asarray(positions, dtype=np.int64)
    text = f"{message}; {_rows_note(df, positions)}"
    if hint:
        text += f". {hint}"
    raise DataError(text, column=column, rows=positions, n_bad=len(positions))


def _series(df: pd.DataFrame, col: str, role: str) -> pd.Series:
    require_columns(df, [col], role=role)
    s = df[col]
    if isinstance(s, pd.DataFrame):
        raise DataError(
            f"column name '{col}'{_role(role)} occurs {s.shape[1]} times in the data; "
            "rename the duplicates",
            column=col,
        )
    return s


def _check_no_missing(df: pd.DataFrame, col: str, s: pd.Series, role: str) -> None:
    miss = s.isna().to_numpy()
    if miss.any():
        pos = np.flatnonzero(miss)
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} has {len(pos)} missing value"
            f"{'s' if len(pos) > 1 else ''}",
            "Drop incomplete rows first (drop_missing / missing='listwise') or fill them in",
        )


# --------------------------------------------------------------------------- columns


def blank_to_missing(s: pd.Series) -> pd.Series:
    """``s`` with text that is empty or only whitespace (spaces, tabs, non-breaking spaces)
    made missing: a cell holding a space is an empty cell, not an answer. Other values and
    non-text columns come back unchanged (a new Series; ``s`` is not modified)."""
    if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
        return s
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s
    # checked once per distinct value (survey answers repeat), then matched with isin
    blanks = [v for v in pd.unique(s.dropna()) if isinstance(v, str) and not v.strip()]
    if not blanks:
        return s
    blank = s.isin(blanks).to_numpy(dtype=bool)
    out = s.copy()
    out[blank] = None
    return out


def require_columns(df: pd.DataFrame, columns: str | Iterable[str], role: str = "") -> None:
    """Raise :class:`DataError` unless every name in ``columns`` is a column of ``df``.

    The message names the missing column(s) and their role and suggests close matches
    (``difflib``, case-insensitive) among the available columns.
    """
    cols = [columns] if isinstance(columns, str) else list(columns)
    available = [str(c) for c in df.columns]
    missing = [c for c in cols if c not in df.columns]
    if not missing:
        return
    not_text = [c for c in df.columns if not isinstance(c, str)]
    if not_text and any(str(m) in {str(c) for c in not_text} for m in missing):
        raise DataError(
            f"column {str(missing[0])!r} is named by a number ({not_text[0]!r}), not by text; "
            "name the columns with text first, e.g. df.columns = df.columns.astype(str)",
            column=str(missing[0]),
        )
    lower = {a.lower(): a for a in available}
    hints = []
    for name in missing:
        close = []
        if str(name).lower() in lower:
            close.append(lower[str(name).lower()])
        close += difflib.get_close_matches(str(name), available, n=3, cutoff=0.6)
        close += [
            lower[m]
            for m in difflib.get_close_matches(str(name).lower(), list(lower), n=3, cutoff=0.6)
        ]
        close = list(dict.fromkeys(close))[:3]
        if close:
            hints.append(f"for '{name}' did you mean {' or '.join(repr(c) for c in close)}?")
    what = "column" if len(missing) == 1 else "columns"
    names = ", ".join(f"'{m}'" for m in missing)
    role_txt = f"{role} " if role else ""
    shown = ", ".join(repr(a) for a in available[:30])
    if len(available) > 30:
        shown += f", ... ({len(available) - 30} more)"
    message = f"{role_txt}{what} {names} not found in the data"
    if hints:
        message += "; " + "; ".join(hints)
    message += f"{'' if hints else '.'} Available columns: {shown}"
    raise DataError(message, column=str(missing[0]))


def drop_missing(
    df: pd.DataFrame,
    columns: str | Iterable[str],
    policy: MissingPolicy = "listwise",
    weights: str | None = None,
) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """Complete cases on ``columns``: ``(frame, notes, kept_positions)``.

    Missing means NaN, None, ``pd.NA`` or NaT. ``kept_positions`` are the 0-based positions
    (in ``df``) of the rows kept; the returned frame is a copy that keeps ``df``'s index
    labels. ``notes`` is a list of human-readable sentences (empty when nothing was dropped),
    written by :func:`missing_rows`. With ``policy="error"`` any missing value raises
    :class:`DataError` naming column and rows.

    ``weights`` names the survey-weight column: rows whose weight is 0 are not counted
    either (the survey convention for dropping a case), whatever ``policy`` says, and a note
    says how many (:func:`zero_weight_rows`). Every estimator that takes weights drops them
    here, so the rule is the same everywhere.
    """
    if policy not in ("listwise", "error"):
        raise DataError(f"missing-data policy must be 'listwise' or 'error', not {policy!r}")
    cols = [columns] if isinstance(columns, str) else list(dict.fromkeys(columns))
    if policy == "error":
        for col in cols:
            require_columns(df, [col])
            s = _series(df, col, "")
            miss = s.isna().to_numpy(dtype=bool)
            if miss.any():
                pos = np.flatnonzero(miss)
                _raise_rows(
                    df,
                    col,
                    pos,
                    f"column '{col}' has {len(pos)} missing value{'s' if len(pos) > 1 else ''}",
                    "Use missing='listwise' to drop incomplete rows, or fill them in",
                )
    any_missing, notes = missing_rows(df, cols)
    n = len(df)
    if n and any_missing.all():
        per_column = [c for c in cols if _series(df, c, "").isna().any()]
        raise DataError(
            f"no complete rows left: every one of the {n} rows has a missing value in "
            f"{', '.join(repr(c) for c in per_column)}",
            column=per_column[0],
        )
    if weights is not None:
        zero, zero_notes = zero_weight_rows(df, weights, exclude=any_missing)
        any_missing = any_missing | zero
        notes = notes + zero_notes
    kept = np.flatnonzero(~any_missing)
    out = df.iloc[kept].copy(deep=True)
    return out, notes, kept


def zero_weight_rows(
    df: pd.DataFrame, col: str, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Rows of ``df`` whose weight (column ``col``) is 0, and the note that reports them.

    A weight of 0 is how surveys drop a case: such rows are not counted (not in ``n``, not
    in any subgroup, not in the variance). Returns ``(mask, notes)``; ``notes`` is empty
    when no weight is 0, else ``"weights: k of n rows have weight 0 and are not counted
    (column 'w': first r1, r2, r3, ...; rows are 0-based positions)"``. Rows in ``exclude``
    (already dropped, e.g. for a missing value) are neither counted nor reported. Weights
    that are all 0 raise :class:`DataError`; other bad weights (text, negative, infinite)
    are left to the caller's checks, which name them.
    """
    require_columns(df, [col], role="weights")
    w = _to_float(_series(df, col, "weights"), _codes_map(df, col))
    zero = w == 0
    if exclude is not None:
        zero &= ~np.asarray(exclude, dtype=bool)
    if not zero.any():
        return zero, []
    counted = ~zero if exclude is None else ~zero & ~np.asarray(exclude, dtype=bool)
    if not (w[counted] > 0).any():
        raise DataError(
            f"column '{col}' (weights) is zero in every row: a weight of 0 drops a respondent, "
            "so nobody would be counted",
            column=col,
        )
    pos = np.flatnonzero(zero)
    first = ", ".join(str(p) for p in pos[:3]) + (", ..." if len(pos) > 3 else "")
    k = len(pos)
    note = (
        f"weights: {k} of {len(df)} rows {'have' if k > 1 else 'has'} weight 0 and "
        f"{'are' if k > 1 else 'is'} not counted (column '{col}': first {first}; rows are "
        "0-based positions)"
    )
    return zero, [note]


def missing_rows(
    df: pd.DataFrame,
    columns: str | Iterable[str],
    what: str = "listwise deletion",
    action: str = "dropped for missing values",
    positions: np.ndarray | None = None,
    n_total: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Rows of ``df`` with a missing value in any of ``columns`` and the note that reports them.

    Returns ``(mask, notes)``: ``mask`` is true for those rows; ``notes`` is empty when there
    are none, else one sentence ``"<what>: k of n rows <action> (column 'c': m rows, first
    r1, r2, r3, ...; ...; rows are 0-based positions)"``. This is the one way every analysis
    reports rows it leaves out. ``positions`` maps the rows of ``df`` to positions in the data
    as the user gave it (when ``df`` is already a subset; ``n_total`` is then that data's
    length).
    """
    cols = [columns] if isinstance(columns, str) else list(dict.fromkeys(columns))
    require_columns(df, cols)
    n = len(df) if n_total is None else int(n_total)
    where = np.arange(len(df)) if positions is None else np.asarray(positions, dtype=np.int64)
    any_missing = np.zeros(len(df), dtype=bool)
    parts = []
    for col in cols:
        miss = _series(df, col, "").isna().to_numpy(dtype=bool)
        if not miss.any():
            continue
        any_missing |= miss
        pos = where[np.flatnonzero(miss)]
        first = ", ".join(str(p) for p in pos[:3]) + (", ..." if len(pos) > 3 else "")
        plural = "s" if len(pos) > 1 else ""
        parts.append(f"column '{col}': {len(pos)} row{plural}, first {first}")
    if not parts:
        return any_missing, []
    note = (
        f"{what}: {int(any_missing.sum())} of {n} rows {action} "
        f"({'; '.join(parts)}; rows are 0-based positions)"
    )
    return any_missing, [note]


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
        pos = np.flatnonzero(bad)
        raw = list(dict.fromkeys(s.iloc[pos].tolist()))
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} must be numeric but {len(pos)} value"
            f"{'s are' if len(pos) > 1 else ' is'} not a number (e.g. {_fmt_values(raw)})",
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
    import re

    comma_number = re.compile(r"^\s*[-+]?\d[\d\s\u00a0.]*,\d+\s*$")
    for col in columns:
        s = _series(df, col, role)
        dtype = s.dtype
        if isinstance(dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
        ):
            continue
        present = s.notna().to_numpy(dtype=bool)
        number = ~np.isnan(_to_float(s)) & present
        text = present & ~number
        commas = text & s.map(
            lambda v: isinstance(v, str) and bool(comma_number.match(v)), na_action="ignore"
        ).fillna(False).to_numpy(dtype=bool)
        if commas.any() and commas.sum() > (text & ~commas).sum():
            pos = np.flatnonzero(commas)
            raw = list(dict.fromkeys(s.iloc[pos].tolist()))
            _raise_rows(
                df,
                col,
                pos,
                f"column '{col}'{_role(role)} holds numbers written with a comma (e.g. "
                f"{_fmt_values(raw)}), which a model would read as {len(raw)} categories (a "
                "decimal comma, or a thousands separator)",
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
            pos = np.flatnonzero(text)
            raw = list(dict.fromkeys(s.iloc[pos].tolist()))
            _raise_rows(
                df,
                col,
                pos,
                f"column '{col}'{_role(role)} holds numbers, but {len(pos)} value"
                f"{'s are' if len(pos) > 1 else ' is'} not a number (e.g. {_fmt_values(raw)})",
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


# --------------------------------------------------------------------------- arms


_DEFAULT_CONTROLS = (0, False, "control", "0", "false", "no")


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


def _matches(value: Any, wanted: Any) -> bool:
    """Does a column value equal a user-given label? Exact, then text (case-insensitive),
    then numeric (so ``control="0"`` from a command line matches a numeric 0)."""
    value, wanted = _py(value), _py(wanted)
    try:
        if value == wanted and type(value) is not bool and type(wanted) is not bool:
            return True
        if isinstance(value, bool) and isinstance(wanted, bool):
            return value == wanted
    except (TypeError, ValueError):  # pragma: no cover - exotic types
        pass
    if str(value).strip().lower() == str(wanted).strip().lower():
        return True
    try:
        return float(value) == float(wanted) and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def _find_control(
    levels: list,
    control: Any,
    col: str,
    role: str,
    counts_txt: str,
    codes_map: dict | None = None,
) -> int:
    """Position in ``levels`` of the control group: the value ``control`` names, else a
    default (0, False, "control", "no", ...). For value labels read from an SPSS/Stata file
    (``codes_map``: label -> numeric code) the code counts too: ``control=0`` finds the
    label coded 0, and without ``control`` the label coded 0 is the control group."""
    code_of = {} if codes_map is None else codes_map
    if control is not None:
        hits = [i for i, v in enumerate(levels) if _matches(v, control)]
        exact = [i for i in hits if _py(levels[i]) == _py(control)]
        if len(hits) > 1 and len(exact) == 1:
            hits = exact
        if not hits and code_of:
            hits = [
                i for i, v in enumerate(levels) if v in code_of and _matches(code_of[v], control)
            ]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise DataError(
                f"control value {control!r} does not occur in column '{col}'{_role(role)}; "
                f"values found: {counts_txt}",
                column=col,
                param="control",
            )
        raise DataError(
            f"control value {control!r} matches several values of column '{col}'"
            f"{_role(role)} ({_fmt_values(levels[i] for i in hits)}); give it exactly",
            column=col,
            param="control",
        )
    for default in _DEFAULT_CONTROLS:
        for i, v in enumerate(levels):
            v = _py(v)
            if isinstance(default, str):
                if isinstance(v, str) and v.strip().lower() == default:
                    return i
            elif isinstance(default, bool):
                if isinstance(v, bool) and v is default:
                    return i
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and v == default:
                return i
    coded_zero = [i for i, v in enumerate(levels) if v in code_of and code_of[v] == 0]
    if len(coded_zero) == 1:
        return coded_zero[0]
    raise DataError(
        f"cannot tell which value of column '{col}'{_role(role)} is the control group "
        f"(values found: {counts_txt}); pass control=<value> (on the command line "
        "--control VALUE)",
        column=col,
        param="control",
    )


def _counts_text(s: pd.Series, levels: list) -> tuple[str, list[int]]:
    codes = _codes_for(s, levels)
    counts = np.bincount(codes[codes >= 0], minlength=len(levels)).tolist()
    txt = ", ".join(f"{_py(v)!r} ({c} rows)" for v, c in zip(levels, counts, strict=True))
    return txt, counts


def binary_column(
    df: pd.DataFrame, col: str, control: Any = None, role: str = "treatment"
) -> tuple[np.ndarray, dict]:
    """A two-valued column as 0/1, with ``control`` the value coded 0.

    Without ``control`` the control value is 0, False, "control", "0", "false" or "no"
    (case-insensitive for text) if one of them occurs, else :class:`DataError` asks for
    ``control=``. Returns ``(codes, info)`` with ``info = {"column", "control", "treated",
    "counts"}``. A column with one value (an empty arm) or more than two values raises,
    listing the values found with their counts.
    """
    s = _series(df, col, role)
    _check_no_missing(df, col, s, role)
    levels = _ordered_levels(s)
    counts_txt, counts = _counts_text(s, levels)
    if len(levels) == 0:
        raise DataError(f"column '{col}'{_role(role)} has no rows", column=col)
    if len(levels) == 1:
        raise DataError(
            f"column '{col}'{_role(role)} has a single value, {counts_txt}: the other arm "
            "is empty, so there is nothing to compare",
            column=col,
        )
    if len(levels) > 2:
        codes = _codes_for(s, levels)
        order = np.argsort(counts, kind="stable")[::-1]
        rare = np.isin(codes, order[2:])
        _raise_rows(
            df,
            col,
            np.flatnonzero(rare),
            f"column '{col}'{_role(role)} must have exactly two values but has "
            f"{len(levels)}: {counts_txt} (the rows shown hold the rarer values)",
            "For several sensitive items use a multi-arm design (arm_column)",
        )
    c = _find_control(levels, control, col, role, counts_txt, _codes_map(df, col))
    t = 1 - c
    codes = (_codes_for(s, levels) == t).astype(np.int64)
    info = {
        "column": col,
        "control": _py(levels[c]),
        "treated": _py(levels[t]),
        "counts": {"control": counts[c], "treated": counts[t]},
    }
    return codes, info


def arm_column(df: pd.DataFrame, col: str, control: Any = None) -> tuple[np.ndarray, list]:
    """A multi-arm treatment (control plus one arm per sensitive item) as codes ``0..K``.

    Returns ``(codes, labels)`` with ``labels[0]`` the control value and ``labels[k]`` the
    value coded ``k``. Order of the treated arms: the category order for a Categorical
    column (what R's factor levels give), otherwise sorted (numerically when all values are
    numbers, else by text). R ``list`` lower-cases factor levels; we keep labels as given.
    The control default is as in :func:`binary_column`.
    """
    role = "treatment"
    s = _series(df, col, role)
    _check_no_missing(df, col, s, role)
    levels = _ordered_levels(s)
    counts_txt, _ = _counts_text(s, levels)
    if len(levels) < 2:
        raise DataError(
            f"column '{col}'{_role(role)} has {'a single value, ' if levels else 'no rows'}"
            f"{counts_txt}: the treated arms are empty, so there is nothing to compare",
            column=col,
        )
    c = _find_control(levels, control, col, role, counts_txt, _codes_map(df, col))
    labels = [levels[c], *[v for i, v in enumerate(levels) if i != c]]
    codes = _codes_for(s, labels)
    return codes, [_py(v) for v in labels]


# --------------------------------------------------------------------------- reading

FileFormat = Literal["csv", "tsv", "txt", "parquet", "dta", "sav", "zsav", "xlsx"]

_EXT_FORMAT = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".dat": "txt",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".dta": "dta",
    ".sav": "sav",
    ".zsav": "zsav",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_FORMAT_ALIASES = {
    "stata": "dta",
    "spss": "sav",
    "excel": "xlsx",
    "text": "txt",
    "pq": "parquet",
    "tab": "tsv",
}
_KIND_TEXT = {
    "parquet": "a Parquet file",
    "sav": "an SPSS .sav file",
    "zsav": "a compressed SPSS .zsav file",
    "dta": "a Stata .dta file",
    "zip": "a zip archive (an Excel .xlsx file is one)",
    "gzip": "a gzip-compressed file",
    "pdf": "a PDF document",
    "xls": "an old Excel .xls / OLE2 document",
    "text": "plain text (such as CSV)",
    "empty": "an empty file",
    "binary": "binary data of an unknown kind",
}
_EXPECTED_TEXT = {
    "csv": "comma-separated text (CSV)",
    "tsv": "tab-separated text",
    "txt": "delimited text",
    "parquet": "a Parquet file",
    "dta": "a Stata .dta file",
    "sav": "an SPSS .sav file",
    "zsav": "an SPSS .zsav file",
    "xlsx": "an Excel .xlsx workbook",
}


def read_data(
    source: Any,
    *,
    encoding: str | None = None,
    format: str | None = None,
    user_missing: UserMissing = "keep",
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a data file, or copy a data frame (see :func:`to_pandas`).

    Formats, from the file extension or ``format=``: delimited text ``csv``/``tsv``/``txt``
    (delimiter sniffed among ``, ; tab |``; a ``;``-separated file with decimal commas is
    read as such; ``.gz`` compression allowed; blank lines are skipped, as R's ``read.csv``
    does, so in a one-column file an empty or blank value is no row at all; a cell holding
    only spaces, tabs or non-breaking spaces is missing, like an empty one;
    other markers such as ``.`` or ``-`` are kept as written, so a count column holding
    them is refused naming the rows, and an answer column reports them), ``parquet``,
    Stata ``dta``, SPSS ``sav``/``zsav`` and Excel ``xlsx`` (needs the optional
    ``openpyxl``). An unknown extension is recognised from the file's first bytes.

    SPSS/Stata files: columns with value labels become pandas ``Categorical`` columns whose
    values are the labels (an unlabelled value shows as its code, e.g. ``"3"``), so answers
    such as "Don't know" stay visible. With ``user_missing="keep"`` (default) user-defined
    missing codes (SPSS missing values/ranges, Stata ``.a``-``.z``) are kept as values of
    their own (their label, else e.g. ``"99 (user-missing)"`` or ``".a"``) and such a column is
    made Categorical too, so a code like 99 never counts as a number; with ``"nan"`` they
    become missing (``user_missing`` has no effect on other formats). :func:`numeric_column`
    turns labels back into their codes, and rejects user-missing answers naming their rows.

    ``df.attrs["unspoken"]`` records ``source``, ``format``, ``variable_labels``,
    ``value_labels`` (code -> label), ``user_missing`` (per column) and ``codes`` (label
    shown -> numeric code, for the non-missing labelled values).

    Every failure (no such file, a file that is not what its extension says, undecodable
    text, malformed rows) raises :class:`DataError` saying what was expected and found.
    """
    if isinstance(source, bytes):
        source = source.decode()
    if not isinstance(source, str) and not hasattr(source, "__fspath__"):
        return to_pandas(source)
    if user_missing not in ("keep", "nan"):
        raise DataError(f"user_missing must be 'keep' or 'nan', not {user_missing!r}")
    from pathlib import Path

    path = Path(source).expanduser()
    _check_path(path)
    fmt = _resolve_format(path, format)
    head = _head_bytes(path)
    kind = _sniff_kind(head)
    if fmt is None:
        if kind in ("text",):
            fmt = "csv"
        elif kind in ("parquet", "sav", "zsav", "dta"):
            fmt = kind
        elif kind == "zip":
            fmt = "xlsx"
        elif kind == "empty":
            raise DataError(f"file '{path}' is empty")
        else:
            raise DataError(
                f"cannot tell the format of '{path}': it is {_KIND_TEXT[kind]}; pass format= "
                "(csv, tsv, parquet, dta, sav, zsav or xlsx)"
            )
    _check_kind(path, fmt, kind, head)
    if sheet is not None and fmt != "xlsx":
        raise UnsupportedError(f"sheet= applies to Excel workbooks, not to a {fmt} file")
    if encoding is not None and fmt in ("parquet", "xlsx"):
        raise UnsupportedError(
            f"encoding= applies to text, SPSS and Stata files; a {fmt} file stores its own "
            "text encoding, so leave encoding out"
        )
    if fmt in ("csv", "tsv", "txt"):
        df = _read_text(path, fmt, encoding)
    elif fmt == "parquet":
        df = _read_parquet(path)
    elif fmt in ("sav", "zsav", "dta"):
        df = _read_stat(path, fmt, encoding, user_missing)
    else:
        df = _read_excel(path, sheet)
    check_unique_columns(df, where=f"'{path.name}'")
    if len(df) == 0:
        names = ", ".join(repr(str(c)) for c in list(df.columns)[:10])
        what = f"a header ({names}) but no data rows" if names else "no data"
        raise DataError(f"file '{path.name}' has {what}")
    meta = df.attrs.setdefault("unspoken", {})
    meta.setdefault("variable_labels", {})
    meta.setdefault("value_labels", {})
    meta.setdefault("user_missing", {})
    meta.setdefault("codes", {})
    meta["source"] = str(path)
    meta["format"] = fmt
    return df


def _check_path(path: Any) -> None:
    if path.is_dir():
        raise DataError(f"'{path}' is a folder, not a data file")
    if not path.exists():
        hint = ""
        parent = path.parent if str(path.parent) else None
        if parent is not None and parent.is_dir():
            names = [p.name for p in parent.iterdir()]
            close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
            if close:
                hint = f"; did you mean {' or '.join(repr(c) for c in close)}?"
            if not close:
                hint = f" (no file of that name in '{parent.resolve()}')"
        raise DataError(f"file not found: '{path}'{hint}")


def _resolve_format(path: Any, format: str | None) -> str | None:
    if format is not None:
        f = str(format).lower().lstrip(".")
        f = _FORMAT_ALIASES.get(f, f)
        if f not in _EXPECTED_TEXT:
            raise DataError(
                f"unknown format {format!r}; use one of "
                f"{', '.join(sorted(_EXPECTED_TEXT))} (or stata, spss, excel)"
            )
        return f
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip") and len(suffixes) > 1:
        inner = _EXT_FORMAT.get(suffixes[-2])
        if inner in ("csv", "tsv", "txt"):
            return inner
    return _EXT_FORMAT.get(path.suffix.lower())


def _head_bytes(path: Any, n: int = 65536) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise DataError(f"cannot open '{path}': {exc.strerror or exc}") from exc


#: the first bytes ("magic numbers") of the file kinds recognised by :func:`_sniff_kind`
_MAGIC = (
    (b"PAR1", "parquet"),
    (b"$FL2", "sav"),
    (b"$FL3", "zsav"),
    (b"<stata_dta>", "dta"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"%PDF", "pdf"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"\xff\xfe", "text"),  # UTF-16 with a byte-order mark
    (b"\xfe\xff", "text"),
)


def _sniff_kind(head: bytes) -> str:
    """What the first bytes of a file say it is."""
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # Stata formats 104-115: the release byte, then 1 or 2 (byte order), a NUL soon after
    if len(head) > 1 and 104 <= head[0] <= 115 and head[1] in (1, 2) and b"\x00" in head[:4]:
        return "dta"
    if b"\x00" in head:
        return "binary"
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return "binary" if control > 0.01 * len(head) else "text"


#: (claimed format, sniffed kind) pairs that agree although the names differ
_COMPATIBLE = {("xlsx", "zip"), ("sav", "zsav"), ("zsav", "sav")}


def _check_kind(path: Any, fmt: str, kind: str, head: bytes) -> None:
    """Refuse a file whose bytes (``head``, of kind ``kind``) do not match the format
    claimed by extension/format=."""
    text_fmt = fmt in ("csv", "tsv", "txt")
    gz = path.suffix.lower() in (".gz", ".bz2", ".xz", ".zip")
    if kind == "empty":
        raise DataError(f"file '{path}' is empty: expected {_EXPECTED_TEXT[fmt]}")
    if text_fmt and (kind == "text" or gz):
        return
    if fmt == kind or (fmt, kind) in _COMPATIBLE:
        return
    found = _KIND_TEXT[kind]
    if kind == "text":
        first_line = head.partition(b"\n")[0][:80]
        found += f", beginning {_preview(first_line)}"
    suggest = ""
    if kind in ("parquet", "sav", "zsav", "dta"):
        suggest = f"; read it with format='{kind}' (or give it a .{kind} name)"
    elif kind == "text" and not text_fmt:
        suggest = "; if it is delimited text, rename it to .csv or pass format='csv'"
    elif kind == "zip" and text_fmt:
        suggest = "; an Excel workbook needs format='xlsx' (or save it as CSV)"
    raise DataError(f"'{path.name}' should be {_EXPECTED_TEXT[fmt]} but it is {found}{suggest}")


def _preview(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


# ---- delimited text


def _read_text(path: Any, fmt: str, encoding: str | None) -> pd.DataFrame:
    import csv
    import io as _io

    enc = encoding or "utf-8-sig"
    _check_encoding(enc)
    sample = _text_sample(path, enc, explicit=encoding is not None)
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    if not lines:
        raise DataError(f"file '{path}' has no data (only blank lines)")
    sep = _sniff_delimiter(lines, prefer="\t" if fmt == "tsv" else ",")
    decimal = "."
    if sep == ";":
        import re

        body = "\n".join(lines[1:])
        if re.search(r"(^|;)\s*-?\d+,\d+\s*(;|$)", body, re.M) and not re.search(
            r"(^|;)\s*-?\d+\.\d+\s*(;|$)", body, re.M
        ):
            decimal = ","
    try:
        df = pd.read_csv(
            path,
            sep=sep,
            encoding=enc,
            decimal=decimal,
            quotechar='"',
            skipinitialspace=False,
            compression="infer",
            low_memory=False,
        )
    except UnicodeDecodeError as exc:
        raise DataError(_decode_message(path, enc, exc, None)) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"file '{path}' has no columns to read") from exc
    except (pd.errors.ParserError, csv.Error, _io.UnsupportedOperation, ValueError) as exc:
        raise DataError(
            f"could not parse '{path.name}' as {_EXPECTED_TEXT[fmt]} with delimiter "
            f"{sep!r}: {_pandas_parse_message(exc)} (file lines count from 1, the header "
            "being line 1)"
        ) from exc
    if df.columns.astype(str).str.contains(".", regex=False).any():
        # pandas renames a repeated name ('age', 'age' -> 'age', 'age.1'): read the header
        # as written to tell a renamed duplicate from a column really called 'age.1'
        header = pd.read_csv(
            path,
            sep=sep,
            encoding=enc,
            header=None,
            nrows=1,
            dtype=str,
            na_filter=False,
            quotechar='"',
            compression="infer",
        )
        check_unique_columns(df, header.iloc[0].tolist(), where=f"the header of '{path.name}'")
    for col in df.columns:  # cells of tabs or non-breaking spaces are empty cells too
        orig = df[col]
        s = blank_to_missing(orig)
        if s is not orig:  # a column read as text only because of such a cell
            df[col] = _numbers_if_all(s, decimal)
    df.attrs["unspoken"] = {
        "encoding": enc if encoding else "utf-8",
        "delimiter": sep,
        "decimal": decimal,
    }
    return df


def _numbers_if_all(s: pd.Series, decimal: str) -> pd.Series:
    """``s`` as floats when every present value is a number (as pandas would have read the
    column without its blank cells), else ``s`` unchanged."""
    present = s.dropna().astype(str).str.strip()
    if decimal == ",":
        present = present.str.replace(",", ".", regex=False)
    try:
        numbers = pd.to_numeric(present)
    except (ValueError, TypeError):
        return s
    out = pd.Series(np.nan, index=s.index, dtype=float, name=s.name)
    out[present.index] = numbers.astype(float)
    return out


def _check_encoding(enc: str) -> None:
    import codecs

    try:
        codecs.lookup(enc)
    except LookupError as exc:
        raise DataError(
            f"unknown text encoding {enc!r}; examples: 'utf-8', 'cp1251', 'latin-1', 'cp1252'"
        ) from exc


def _text_sample(path: Any, enc: str, explicit: bool, n: int = 65536) -> str:
    import codecs
    import gzip

    opener: Any = open
    if path.suffix.lower() == ".gz":
        opener = gzip.open
    with opener(path, "rb") as fh:
        raw = fh.read(n)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) and not explicit:
        raise DataError(
            f"'{path.name}' is UTF-16 text (it starts with a byte-order mark); pass "
            "encoding='utf-16'"
        )
    decoder = codecs.getincrementaldecoder(enc)()
    try:
        return decoder.decode(raw, final=len(raw) < n)
    except UnicodeDecodeError as exc:
        raise DataError(_decode_message(path, enc, exc, raw)) from exc


def _decode_message(path: Any, enc: str, exc: UnicodeDecodeError, raw: bytes | None) -> str:
    name = "UTF-8" if enc.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") else enc
    where = ""
    guess = "encoding='cp1251' (Cyrillic, Windows) or encoding='latin-1'"
    if raw is not None:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 1]
        where = f" (byte 0x{bad.hex()} on line {line} of the file)"
        guess = _guess_encoding(raw) or guess
    return (
        f"cannot read '{path.name}' as {name} text{where}: the file uses another encoding. "
        f"Try {guess} (command line: --encoding)"
    )


def _guess_encoding(raw: bytes) -> str | None:
    """A likely single-byte encoding for text that is not UTF-8 (a hint only)."""
    high = [b for b in raw if b >= 0x80]
    if not high:
        return None
    # cp1251 Cyrillic letters occupy 0xC0-0xFF (and 0xA8/0xB8 for Yo/yo)
    cyr = sum(1 for b in high if b >= 0xC0 or b in (0xA8, 0xB8))
    if cyr / len(high) > 0.9:
        text = raw.decode("cp1251", errors="replace")
        letters = [c for c in text if ord(c) >= 0x80]
        if letters and sum("\u0400" <= c <= "\u04ff" for c in letters) / len(letters) > 0.9:
            return "encoding='cp1251' (the bytes read as Cyrillic in Windows cp1251)"
    return "encoding='cp1252' or encoding='latin-1' (Western European), or 'cp1251' (Cyrillic)"


def _sniff_delimiter(lines: list[str], prefer: str = ",") -> str:
    """The delimiter among , ; tab | that splits the sample into the most consistent fields."""
    import csv

    best = (prefer, (-1.0, 0))
    sample = lines[:-1] if len(lines) > 2 else lines  # the last line may be cut short
    for d in dict.fromkeys([prefer, ",", ";", "\t", "|"]):
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=d, quotechar='"')]
        except csv.Error:
            continue
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        share = counts.count(mode) / len(counts)
        score = (share, mode)
        if score > best[1]:
            best = (d, score)
    return best[0]


def _pandas_parse_message(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return msg.replace("Error tokenizing data. C error: ", "")


# ---- parquet / excel


def _read_parquet(path: Any) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
        check_unique_columns(pd.DataFrame(), names, where=f"'{path.name}'")
        table = pq.read_table(path)
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise DataError("reading Parquet needs pyarrow (pip install pyarrow)") from exc
    except DataError:
        raise
    except (OSError, ValueError) as exc:
        raise DataError(f"could not read Parquet file '{path.name}': {exc}") from exc
    df = table.to_pandas()
    df.attrs["unspoken"] = {}
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0):
        df = df.reset_index(drop=not any(df.index.names))
        df.attrs["unspoken"] = {}
    return df


def _read_excel(path: Any, sheet: str | int | None) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise DataError(
            f"reading the Excel file '{path.name}' needs the optional package openpyxl "
            "(pip install openpyxl), or save the sheet as CSV"
        ) from exc
    try:
        df = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, engine="openpyxl")
        # pandas renames a repeated name ('age' -> 'age.1'): check the header as written
        header = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, engine="openpyxl", header=None,
            nrows=1,
        )  # fmt: skip
    except (ValueError, KeyError, OSError) as exc:
        raise DataError(f"could not read Excel file '{path.name}': {exc}") from exc
    if len(header):
        check_unique_columns(df, header.iloc[0].tolist(), where=f"the header of '{path.name}'")
    df.attrs["unspoken"] = {"sheet": 0 if sheet is None else sheet}
    return df


# ---- SPSS / Stata


def _read_stat(
    path: Any, fmt: str, encoding: str | None, user_missing: UserMissing
) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
    kwargs: dict[str, Any] = {"user_missing": user_missing == "keep"}
    if encoding:
        _check_encoding(encoding)
        kwargs["encoding"] = encoding
    try:
        df, meta = reader(str(path), **kwargs)
    except Exception as exc:  # pyreadstat raises its own ReadstatError / PyreadstatError
        hint = ""
        if "encoding" in str(exc).lower() or "iconv" in str(exc).lower():
            hint = "; the file's text encoding may be wrong: try encoding='cp1251' or 'latin-1'"
        raise DataError(
            f"could not read '{path.name}' as {_EXPECTED_TEXT[fmt]}: {exc}{hint}"
        ) from exc
    variable_labels = {
        str(k): v for k, v in (meta.column_names_to_labels or {}).items() if v not in (None, "")
    }
    value_labels = {str(k): dict(v) for k, v in (meta.variable_value_labels or {}).items() if v}
    missing: dict[str, list] = {}
    if fmt == "dta":
        for col, letters in (getattr(meta, "missing_user_values", None) or {}).items():
            missing[str(col)] = [f".{x}" if len(str(x)) == 1 else str(x) for x in letters]
    else:
        for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
            missing[str(col)] = [dict(r) for r in ranges]
    codes: dict[str, dict] = {}
    new_cols = {}
    for col in df.columns:
        labels = value_labels.get(str(col))
        s = df[col]
        keep = user_missing == "keep"
        is_string = (getattr(meta, "readstat_variable_types", None) or {}).get(col) == "string"
        is_missing_code = (
            _user_missing_mask(s, fmt, missing.get(str(col)), is_string) if keep else None
        )
        has_user_missing = is_missing_code is not None and bool(is_missing_code.any())
        if not labels and not has_user_missing:
            continue
        new_cols[col], codes[str(col)] = _labelled_categorical(
            s, labels or {}, is_missing_code, fmt, missing.get(str(col))
        )
    if new_cols:
        df = df.assign(**{str(k): v for k, v in new_cols.items()})
    df.attrs["unspoken"] = {
        "variable_labels": variable_labels,
        "value_labels": {c: {_py(k): v for k, v in d.items()} for c, d in value_labels.items()},
        "user_missing": missing,
        "codes": codes,
        "user_missing_policy": user_missing,
        "encoding": getattr(meta, "file_encoding", None) or encoding,
    }
    return df


def _user_missing_mask(
    s: pd.Series, fmt: str, spec: list | None, is_string: bool = False
) -> np.ndarray:
    """Rows holding a user-defined missing code (SPSS values/ranges, Stata .a-.z)."""
    n = len(s)
    if fmt == "dta":
        # pyreadstat delivers Stata extended missing values as the letters 'a'..'z' in an
        # otherwise numeric column
        if is_string or not pd.api.types.is_object_dtype(s.dtype):
            return np.zeros(n, bool)
        letters = s.astype(object).str.fullmatch(r"[A-Za-z]")
        return letters.fillna(False).to_numpy(dtype=bool)
    if not spec:
        return np.zeros(n, bool)
    mask = np.zeros(n, bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        for r in spec:
            lo, hi = r.get("lo"), r.get("hi")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
                mask |= (x >= lo) & (x <= hi)
    else:
        discrete = list({r.get("lo") for r in spec} | {r.get("hi") for r in spec})
        mask = s.astype(object).isin(discrete).to_numpy(dtype=bool)
    return mask


def _code_text(v: Any, fmt: str) -> str:
    v = _py(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if fmt == "dta" and isinstance(v, str) and len(v) == 1 and v.isalpha():
        return f".{v}"
    return str(v)


def _code_key(v: Any) -> Any:
    v = _py(v)
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    return v


def _labelled_categorical(
    s: pd.Series, labels: dict, is_missing: np.ndarray | None, fmt: str, spec: list | None
) -> tuple[pd.Categorical, dict]:
    """Values -> their labels (codes shown as text when unlabelled) as an ordered-by-code
    Categorical, plus the map label -> numeric code for the non-missing values."""
    lab = {_code_key(k): str(v) for k, v in labels.items()}
    obj = s.astype(object).to_numpy()
    present = pd.unique(pd.Series(obj[~pd.isna(obj)], dtype=object))
    miss_vals = set()
    if is_missing is not None and is_missing.any():
        miss_vals = {_code_key(v) for v in pd.unique(pd.Series(obj[is_missing], dtype=object))}
    keys = list(dict.fromkeys([*lab, *(_code_key(v) for v in present)]))
    # sort: numbers by value, then text codes (Stata .a-.z come after every number)
    keys.sort(key=lambda k: (0, k, "") if isinstance(k, float) else (1, 0.0, str(k)))
    display: dict[Any, str] = {}
    for k in keys:
        text = lab.get(k)
        if text is None:
            text = _code_text(k, fmt)
            if k in miss_vals and fmt != "dta":
                text = f"{text} (user-missing)"
        display[k] = text
    # labels shared by several codes: make them distinct by adding the code
    counts: dict[str, int] = {}
    for t in display.values():
        counts[t] = counts.get(t, 0) + 1
    for k, t in display.items():
        if counts[t] > 1:
            display[k] = f"{t} [{_code_text(k, fmt)}]"
    # map each distinct raw value (as stored: float, int or text) to its display text
    by_raw = {v: display[_code_key(v)] for v in present}
    mapped = pd.Series(obj, dtype=object).map(by_raw)
    cats = list(dict.fromkeys(display[k] for k in keys))
    cat = pd.Categorical(mapped.to_numpy(dtype=object), categories=cats)
    code_map = {
        display[k]: k
        for k in keys
        if isinstance(k, float) and k not in miss_vals and not _in_spec(k, spec, fmt)
    }
    return cat, code_map


def _in_spec(k: float, spec: list | None, fmt: str) -> bool:
    if fmt == "dta" or not spec:
        return False
    for r in spec:
        lo, hi = r.get("lo"), r.get("hi")
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo <= k <= hi:
            return True
    return False
