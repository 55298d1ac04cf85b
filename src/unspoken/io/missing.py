"""Missing values: blank text made missing, listwise deletion that always says which rows
it dropped and why (:func:`missing_rows`, the one note every analysis uses), and survey
weights of 0 (rows not counted)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from unspoken.errors import DataError
from unspoken.io.columns import _codes_map, _to_float
from unspoken.io.frames import _check_no_missing, _series, require_columns

__all__ = ["blank_to_missing", "drop_missing", "missing_rows", "zero_weight_rows"]

MissingPolicy = Literal["listwise", "error"]


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
            _check_no_missing(
                df,
                col,
                _series(df, col, ""),
                "",
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
