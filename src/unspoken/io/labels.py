"""SPSS and Stata files: value labels as ordered Categorical columns, user-missing codes
(SPSS values and ranges, Stata ``.a``-``.z``) kept as answers of their own or made missing,
and the map from each label back to its numeric code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError
from unspoken.io.formats import _EXPECTED_TEXT, UserMissing, _check_encoding
from unspoken.io.frames import _py


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
