"""From the user's object to a pandas frame, and the checks every column role shares.

:func:`to_pandas` takes pandas, polars (or any narwhals-supported) frames and dicts of
arrays; :func:`check_unique_columns` and :func:`require_columns` refuse duplicated and
missing names. The message helpers here (``_raise_rows`` and friends) write every
:class:`~unspoken.errors.DataError` of :mod:`unspoken.io` with the row convention stated in
the package docstring.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError

__all__ = ["check_unique_columns", "require_columns", "to_pandas"]

_MAX_SHOWN = 5


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


def _raise_values(
    df: pd.DataFrame,
    col: str,
    s: pd.Series,
    bad: np.ndarray,
    message: Callable[[int, list], str],
    hint: str = "",
) -> None:
    """Raise for the rows where ``bad`` is true: ``message(k, values)`` is given their number
    and their distinct values as written (first seen first)."""
    pos = np.flatnonzero(bad)
    raw = list(dict.fromkeys(s.iloc[pos].tolist()))
    _raise_rows(df, col, pos, message(len(pos), raw), hint)


def _not_numbers(k: int, raw: list) -> str:
    """``"k values are not a number (e.g. ...)"`` (singular for one)."""
    return f"{k} value{'s are' if k > 1 else ' is'} not a number (e.g. {_fmt_values(raw)})"


def _check_no_missing(
    df: pd.DataFrame,
    col: str,
    s: pd.Series,
    role: str,
    hint: str = "Drop incomplete rows first (drop_missing / missing='listwise') or fill them in",
) -> None:
    miss = s.isna().to_numpy(dtype=bool)
    if miss.any():
        pos = np.flatnonzero(miss)
        _raise_rows(
            df,
            col,
            pos,
            f"column '{col}'{_role(role)} has {len(pos)} missing value"
            f"{'s' if len(pos) > 1 else ''}",
            hint,
        )
