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

from unspoken.errors import DataError

__all__ = [
    "arm_column",
    "binary_column",
    "drop_missing",
    "factor_column",
    "integer_column",
    "numeric_column",
    "read_data",
    "require_columns",
    "to_pandas",
    "weight_column",
]

MissingPolicy = Literal["listwise", "error"]
UserMissing = Literal["keep", "nan"]

_MAX_SHOWN = 5


# --------------------------------------------------------------------------- frames


def to_pandas(frame: Any) -> pd.DataFrame:
    """A new pandas DataFrame from a pandas/polars/narwhals-compatible frame or a dict of arrays.

    The user's object is never modified: pandas input is deep-copied, other frames are
    converted (polars ``LazyFrame`` is collected first).
    """
    if isinstance(frame, pd.DataFrame):
        return frame.copy(deep=True)
    if isinstance(frame, pd.Series):
        return frame.to_frame().copy(deep=True)
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
    return out


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
    df: pd.DataFrame, columns: str | Iterable[str], policy: MissingPolicy = "listwise"
) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """Complete cases on ``columns``: ``(frame, notes, kept_positions)``.

    Missing means NaN, None, ``pd.NA`` or NaT. ``kept_positions`` are the 0-based positions
    (in ``df``) of the rows kept; the returned frame is a copy that keeps ``df``'s index
    labels. ``notes`` is a list of human-readable sentences (empty when nothing was dropped).
    With ``policy="error"`` any missing value raises :class:`DataError` naming column and rows.
    """
    if policy not in ("listwise", "error"):
        raise DataError(f"missing-data policy must be 'listwise' or 'error', not {policy!r}")
    cols = [columns] if isinstance(columns, str) else list(dict.fromkeys(columns))
    require_columns(df, cols)
    n = len(df)
    any_missing = np.zeros(n, dtype=bool)
    per_column: list[tuple[str, np.ndarray]] = []
    for col in cols:
        s = _series(df, col, "")
        miss = s.isna().to_numpy(dtype=bool)
        if miss.any():
            pos = np.flatnonzero(miss)
            if policy == "error":
                _raise_rows(
                    df,
                    col,
                    pos,
                    f"column '{col}' has {len(pos)} missing value{'s' if len(pos) > 1 else ''}",
                    "Use missing='listwise' to drop incomplete rows, or fill them in",
                )
            per_column.append((col, pos))
            any_missing |= miss
    kept = np.flatnonzero(~any_missing)
    out = df.iloc[kept].copy(deep=True)
    notes: list[str] = []
    n_drop = int(any_missing.sum())
    if n_drop:
        parts = []
        for col, pos in per_column:
            first = ", ".join(str(p) for p in pos[:3])
            more = ", ..." if len(pos) > 3 else ""
            parts.append(
                f"column '{col}': {len(pos)} row{'s' if len(pos) > 1 else ''}, first {first}{more}"
            )
        notes.append(
            f"listwise deletion: {n_drop} of {n} rows dropped for missing values "
            f"({'; '.join(parts)}; rows are 0-based positions)"
        )
        if n_drop == n:
            raise DataError(
                f"no complete rows left: every one of the {n} rows has a missing value in "
                f"{', '.join(repr(c) for c, _ in per_column)}",
                column=per_column[0][0],
            )
    return out, notes, kept


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
    values = _to_float(s)
    bad = np.isnan(values) & ~miss
    if bad.any():
        pos = np.flatnonzero(bad)
        raw = s.iloc[pos[:_MAX_SHOWN]].tolist()
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} must be numeric but {len(pos)} value"
            f"{'s are' if len(pos) > 1 else ' is'} not a number (e.g. {_fmt_values(raw)})",
            _label_hint(s),
        )
    inf = np.isinf(values)
    if inf.any():
        pos = np.flatnonzero(inf)
        _raise_rows(df, col, pos, f"column '{col}'{_role(role)} has {len(pos)} infinite value(s)")
    return values


def _label_hint(s: pd.Series) -> str:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return (
            "The column holds value labels (e.g. from an SPSS/Stata file); recode answers "
            'such as "Don\'t know" to missing or to a number before the analysis'
        )
    return ""


def _to_float(s: pd.Series) -> np.ndarray:
    """Float values of ``s``; NaN where missing or not a number (caller tells them apart)."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        cat_vals = (
            cats.to_numpy(dtype=float, na_value=np.nan)
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
    # object / string: Python bools -> 0/1, numbers as they are, strings parsed
    obj = s.astype(object).to_numpy()
    out = np.full(len(obj), np.nan)
    for kind in (bool, np.bool_):
        is_kind = np.fromiter((isinstance(v, kind) for v in obj), bool, len(obj))
        out[is_kind] = [float(v) for v in obj[is_kind]]
    rest = np.isnan(out)
    if rest.any():
        sub = pd.Series(obj[rest], dtype=object)
        sub = sub.map(lambda v: v.strip() if isinstance(v, str) else v)
        sub = sub.map(lambda v: v if isinstance(v, (str, int, float, np.number)) else None)
        with np.errstate(all="ignore"):
            parsed = pd.to_numeric(sub, errors="coerce")
        out[rest] = np.asarray(parsed, dtype=float)
    return out


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
    if frac.any():
        pos = np.flatnonzero(frac)
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} must hold whole numbers but has "
            f"{len(pos)} non-integer value{'s' if len(pos) > 1 else ''} "
            f"(e.g. {_fmt_values(x[pos[:_MAX_SHOWN]])})",
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

    Labels are sorted (categories order for a Categorical column); missing values raise.
    """
    s = _series(df, col, role)
    _check_no_missing(df, col, s, role)
    labels = _ordered_levels(s)
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


def _find_control(levels: list, control: Any, col: str, role: str, counts_txt: str) -> int:
    if control is not None:
        hits = [i for i, v in enumerate(levels) if _matches(v, control)]
        exact = [i for i in hits if _py(levels[i]) == _py(control)]
        if len(hits) > 1 and len(exact) == 1:
            hits = exact
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise DataError(
                f"control value {control!r} does not occur in column '{col}'{_role(role)}; "
                f"values found: {counts_txt}",
                column=col,
            )
        raise DataError(
            f"control value {control!r} matches several values of column '{col}'"
            f"{_role(role)} ({_fmt_values(levels[i] for i in hits)}); give it exactly",
            column=col,
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
    raise DataError(
        f"cannot tell which value of column '{col}'{_role(role)} is the control group "
        f"(values found: {counts_txt}); pass control=<value> (on the command line "
        "--control VALUE)",
        column=col,
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
    c = _find_control(levels, control, col, role, counts_txt)
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
    c = _find_control(levels, control, col, role, counts_txt)
    labels = [levels[c], *[v for i, v in enumerate(levels) if i != c]]
    codes = _codes_for(s, labels)
    return codes, [_py(v) for v in labels]


# --------------------------------------------------------------------------- reading


def read_data(
    source: Any,
    *,
    encoding: str | None = None,
    format: str | None = None,
    user_missing: UserMissing = "keep",
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a data file (csv/tsv/txt, parquet, Stata .dta, SPSS .sav/.zsav) or copy a frame."""
    if not isinstance(source, (str, bytes)) and not hasattr(source, "__fspath__"):
        return to_pandas(source)
    raise NotImplementedError("file reading is being written")  # replaced below
