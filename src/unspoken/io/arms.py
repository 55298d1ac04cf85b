"""Treatment columns: a control arm and one (``binary_column``) or several
(``arm_column``) treated arms, with the control value found by name, code or default."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError
from unspoken.io.columns import _codes_for, _codes_map, _ordered_levels
from unspoken.io.frames import _check_no_missing, _fmt_values, _py, _raise_rows, _role, _series

__all__ = ["arm_column", "binary_column"]

_DEFAULT_CONTROLS = (0, False, "control", "0", "false", "no")


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
