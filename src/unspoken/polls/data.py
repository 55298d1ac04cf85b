"""Reading and checking poll data: dates, pollsters, shares, sample sizes, "hard to say".

Row numbers in every message and warning are 0-based positions in the data as given.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError

Scale = Literal["all", "decided"]
Units = Literal["auto", "percent", "proportion"]
Duplicates = Literal["warn", "error", "keep"]


class PollDataWarning(UserWarning):
    """Something in the poll data deserves a look (the fit goes ahead)."""


@dataclass
class Polls:
    """Validated polls, one row per poll, shares on the proportion scale of the chosen ``scale``.

    ``table`` columns: ``row`` (position in the input), ``pollster``, ``start``, ``end``
    (datetime64[ns], whole days), ``share`` (proportion), ``n`` (effective sample size on
    the chosen scale), ``dk`` (proportion "hard to say", NaN when not given).
    """

    table: pd.DataFrame
    factor: float  # 100 for percent input, 1 for proportions
    scale: Scale
    pollsters: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def units(self) -> str:
        return "percent" if self.factor == 100 else "proportion"


def _rows(pos: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(p)) for p in pos[:limit])
    return shown + (f" and {len(pos) - limit} more" if len(pos) > limit else "")


def _load(data: Any) -> pd.DataFrame:
    from unspoken.io import read_data

    if isinstance(data, str):
        from pathlib import Path

        from unspoken import datasets

        if not Path(data).exists() and data in datasets.names():
            return datasets.load(data)
    return read_data(data)


def _dates(df: pd.DataFrame, col: str, rows: np.ndarray) -> np.ndarray:
    s = df[col]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        parsed = pd.to_datetime(s)
    else:
        text = s.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        except (ValueError, TypeError):
            parsed = pd.to_datetime(text, errors="coerce")
        if parsed.isna().any() and not parsed.isna().all():
            other = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=False)
            parsed = parsed.fillna(other)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = rows[np.flatnonzero(bad)]
        ex = ", ".join(repr(v) for v in s.iloc[np.flatnonzero(bad)[:3]].tolist())
        raise DataError(
            f"column '{col}' has {len(pos)} date(s) that do not parse (e.g. {ex}); use ISO "
            "dates YYYY-MM-DD; row numbers are 0-based positions",
            column=col,
            rows=pos,
        )
    return parsed.dt.floor("D").to_numpy(dtype="datetime64[ns]")


def _bound(value: Any, name: str) -> np.datetime64:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise DataError(f"{name}={value!r} is not a date; use YYYY-MM-DD")
    return np.datetime64(ts.floor("D").to_datetime64(), "ns")


def _parse_default_n(default_n: Mapping[str, float] | None) -> dict[str, float]:
    if default_n is None:
        return {}
    out = {}
    for k, v in dict(default_n).items():
        try:
            val = float(v)
        except (TypeError, ValueError):
            raise DataError(f"default sample size for '{k}' must be a number, got {v!r}") from None
        if not np.isfinite(val) or val <= 0:
            raise DataError(f"default sample size for '{k}' must be positive, got {v!r}")
        out[str(k)] = val
    return out


def prepare_polls(
    data: Any,
    *,
    share: str,
    pollster: str,
    date: str | None = None,
    start: str | None = None,
    end: str | None = None,
    n: str | None = None,
    default_n: Mapping[str, float] | None = None,
    dk: str | None = None,
    scale: Scale = "all",
    units: Units = "auto",
    duplicates: Duplicates = "warn",
    since: Any = None,
    until: Any = None,
) -> Polls:
    """Validate poll data and put shares on the proportion scale.

    ``since`` / ``until`` (dates) keep only the polls whose fieldwork overlaps that span.
    ``scale="decided"`` uses the share of those with an opinion, ``share / (100 - dk)``, with
    effective sample size ``n (1 - dk)``; it needs ``dk``.
    """
    from unspoken.io import drop_missing, numeric_column, require_columns

    if scale not in ("all", "decided"):
        raise UnsupportedError(f"scale must be 'all' or 'decided', not {scale!r}")
    if units not in ("auto", "percent", "proportion"):
        raise UnsupportedError(f"units must be 'auto', 'percent' or 'proportion', not {units!r}")
    if duplicates not in ("warn", "error", "keep"):
        raise UnsupportedError(f"duplicates must be 'warn', 'error' or 'keep', not {duplicates!r}")
    if date is not None and (start is not None or end is not None):
        raise UnsupportedError("give either a date column or start and end columns, not both")
    if date is None and (start is None or end is None):
        raise UnsupportedError("give a date column, or both a start and an end column")
    if scale == "decided" and dk is None:
        raise UnsupportedError("scale='decided' needs the 'hard to say' column (dk)")

    raw = _load(data)
    cols = [c for c in (share, pollster, date, start, end, n, dk) if c is not None]
    require_columns(raw, cols)
    needed = [c for c in (share, pollster, date, start, end) if c is not None]
    if scale == "decided":
        needed.append(dk)
    df, notes, kept = drop_missing(raw.reset_index(drop=True), needed)
    df = df.reset_index(drop=True)
    rows = np.asarray(kept, dtype=np.int64)
    if len(df) == 0:
        raise DataError("no polls left after dropping rows with missing values")

    names = df[pollster].astype(str).str.strip().to_numpy()
    if date is not None:
        d0 = _dates(df, date, rows)
        d1 = d0.copy()
    else:
        d0 = _dates(df, start, rows)
        d1 = _dates(df, end, rows)
        bad = d1 < d0
        if bad.any():
            raise DataError(
                f"{int(bad.sum())} poll(s) end before they start; row numbers are 0-based "
                "positions",
                column=end,
                rows=rows[bad],
            )
    if since is not None or until is not None:
        keep = np.ones(len(df), bool)
        if since is not None:
            keep &= d1 >= _bound(since, "since")
        if until is not None:
            keep &= d0 <= _bound(until, "until")
        if not keep.any():
            raise DataError(f"no polls between {since or 'the start'} and {until or 'the end'}")
        if not keep.all():
            period = (
                f"from {since} to {until}"
                if since and until
                else f"from {since} on"
                if since
                else f"up to {until}"
            )
            notes.append(
                f"{int((~keep).sum())} poll(s) fielded outside the period {period} left out"
            )
        df = df.loc[keep].reset_index(drop=True)
        rows, names, d0, d1 = rows[keep], names[keep], d0[keep], d1[keep]

    y = numeric_column(df, share, role="poll share")
    if units == "auto":
        factor = 100.0 if np.nanmax(y) > 1.0 else 1.0
        if factor == 1.0:
            notes.append("shares read as proportions (all are <= 1); pass units='percent' if not")
    else:
        factor = 100.0 if units == "percent" else 1.0
    out_of_range = (y < 0) | (y > factor)
    if out_of_range.any():
        top = "100" if factor == 100 else "1"
        raise DataError(
            f"{int(out_of_range.sum())} share(s) outside 0-{top} (e.g. "
            f"{', '.join(f'{v:g}' for v in y[out_of_range][:3])}); row numbers are 0-based "
            "positions",
            column=share,
            rows=rows[out_of_range],
        )
    p = y / factor

    dkp = np.full(len(df), np.nan)
    if dk is not None:
        dkv = numeric_column(df, dk, role="hard to say", allow_missing=scale == "all")
        bad = (dkv < 0) | (dkv > factor)
        if bad.any():
            raise DataError(
                f"{int(bad.sum())} 'hard to say' share(s) outside the range of shares; row "
                "numbers are 0-based positions",
                column=dk,
                rows=rows[bad],
            )
        dkp = dkv / factor
        over = p + dkp > 1.0 + 0.03
        if over.any():
            raise DataError(
                f"share + 'hard to say' exceeds the total by more than 3 points in "
                f"{int(over.sum())} poll(s); row numbers are 0-based positions",
                column=dk,
                rows=rows[over],
            )

    # sample sizes
    defaults = _parse_default_n(default_n)
    unknown = sorted(set(defaults) - set(names))
    if unknown:
        raise DataError(
            f"default sample size given for pollster(s) not in the data: {', '.join(unknown)}; "
            f"pollsters are: {', '.join(sorted(set(names)))}",
            column=pollster,
        )
    nn = np.full(len(df), np.nan)
    if n is not None:
        nn = numeric_column(df, n, role="sample size", allow_missing=True)
        bad = np.isfinite(nn) & (nn <= 0)
        if bad.any():
            raise DataError(
                "sample sizes must be positive; row numbers are 0-based positions",
                column=n,
                rows=rows[bad],
            )
    fill = pd.Series(names).map(defaults).to_numpy(dtype=float)
    nn = np.where(np.isfinite(nn), nn, fill)
    miss = ~np.isfinite(nn)
    if miss.any():
        who = sorted(set(names[miss]))
        raise DataError(
            f"no sample size for {int(miss.sum())} poll(s) of {', '.join(who)}: give an n "
            "column or a default per pollster (default_n={'NAME': N}, CLI --default-n NAME=N); "
            "row numbers are 0-based positions",
            column=n,
            rows=rows[miss],
        )

    if scale == "decided":
        opinion = 1.0 - dkp
        if np.any(opinion <= 0):
            bad = opinion <= 0
            raise DataError(
                "'hard to say' is 100% in some polls, so there is no share of the decided",
                column=dk,
                rows=rows[bad],
            )
        p = p / opinion
        over = p > 1.0
        if over.any():
            raise DataError(
                "share exceeds the share with an opinion (100 - hard to say)",
                column=share,
                rows=rows[over],
            )
        nn = nn * opinion

    table = pd.DataFrame(
        {
            "row": rows,
            "pollster": names,
            "start": d0,
            "end": d1,
            "share": p,
            "n": nn,
            "dk": dkp,
        }
    )
    pollsters = sorted(set(names))

    counts = table["pollster"].value_counts()
    singles = [s for s in pollsters if counts[s] == 1]
    if singles:
        pos = table.loc[table["pollster"].isin(singles), "row"].to_numpy()
        msg = (
            f"pollster(s) with a single poll: {', '.join(singles)} (row(s) {_rows(pos)}); their "
            "house effect rests on one poll and their extra variance is fixed at 0"
        )
        warnings.warn(msg, PollDataWarning, stacklevel=3)
        notes.append(msg)

    key = table[["pollster", "start", "end"]]
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        pos = rows[dup]
        msg = (
            f"{int(dup.sum())} polls share pollster and fieldwork dates with another poll "
            f"(rows {_rows(pos, 8)}; 0-based positions); each is kept as a separate poll"
        )
        if duplicates == "error":
            raise DataError("duplicated polls (same pollster and dates)", column=pollster, rows=pos)
        if duplicates == "warn":
            warnings.warn(msg, PollDataWarning, stacklevel=3)
        notes.append(msg)

    return Polls(table=table, factor=factor, scale=scale, pollsters=pollsters, notes=notes)
