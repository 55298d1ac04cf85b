"""Reading and checking poll data: dates, pollsters, shares, sample sizes, "hard to say".

Row numbers in every message and warning are 0-based positions in the data as given.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError
from unspoken.keywords import old_names, spread_options
from unspoken.polls.dates import parse_date, read_dates
from unspoken.polls.options import Duplicates as Duplicates
from unspoken.polls.options import PollColumns, Scale, Units


class PollDataWarning(UserWarning):
    """Something in the poll data deserves a look (the fit goes ahead)."""


def _warn(message: str) -> None:
    """A :class:`PollDataWarning` attributed to the first caller outside the package (the
    user's call of ``fit_polls`` or ``prepare_polls``, through any wrappers)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, PollDataWarning, stacklevel=level)


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


def _load(data: Any) -> pd.DataFrame:
    from unspoken.io.readers import read_data

    if isinstance(data, str):
        from pathlib import Path

        from unspoken import datasets

        if not Path(data).exists() and data in datasets.names():
            return datasets.load(data)
    return read_data(data)


def _parse_default_n(
    default_n: Mapping[str, float] | float | None, names: np.ndarray
) -> dict[str, float]:
    """Sample sizes per pollster from ``{"NAME": N}``, or one number for every pollster."""
    if default_n is None:
        return {}
    if not isinstance(default_n, Mapping):
        if isinstance(default_n, bool) or not isinstance(default_n, int | float | np.number):
            raise DataError(
                "default_n must be a sample size per pollster ({'NAME': N}) or one number "
                f"for every pollster, got {default_n!r}",
                param="default_n",
            )
        default_n = dict.fromkeys(sorted(set(names)), default_n)
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


def _numbers(base: pd.DataFrame, col: str, rows: np.ndarray, role: str) -> np.ndarray:
    """Column ``col`` as floats at the kept ``rows`` (NaN where missing); a value that is not a
    number raises :class:`DataError` with its position in the data as given."""
    from unspoken.io.columns import numeric_column

    frame = base[[col]].copy()
    frame.attrs = base.attrs  # value labels read with the file
    left_out = np.ones(len(base), bool)
    left_out[rows] = False
    if left_out.any():
        frame[col] = frame[col].astype(object).where(~left_out, np.nan)
    return numeric_column(frame, col, role=role, allow_missing=True)[rows]


def _refuse_rows(
    bad: np.ndarray, message: str, column: str | None, rows: np.ndarray, param: str | None = None
) -> None:
    """Raise :class:`DataError` ``message`` naming the polls at ``rows[bad]`` (when any is
    ``bad``), with the reminder that row numbers are 0-based positions."""
    if bad.any():
        raise DataError(
            f"{message}; row numbers are 0-based positions", column=column, rows=rows[bad],
            param=param,
        )  # fmt: skip


def _values(y: np.ndarray, mask: np.ndarray, limit: int = 3) -> str:
    return ", ".join(f"{v:g}" for v in list(dict.fromkeys(y[mask].tolist()))[:limit])


def _units_factor(y: np.ndarray, units: Units, col: str, rows: np.ndarray) -> float:
    """100 for percent shares, 1 for proportions; see :func:`prepare_polls` for the rule."""
    ask = "pass units='percent' or units='proportion' (CLI --units)"
    if units != "auto":
        factor = 100.0 if units == "percent" else 1.0
        out = (y < 0) | (y > factor)
        if out.any():
            hint = ""
            if units == "proportion" and np.all(y[out] <= 100):
                hint = "; if the shares are percents, pass units='percent' (CLI --units)"
            raise DataError(
                f"{int(out.sum())} share(s) outside 0-{factor:g} with units='{units}' (e.g. "
                f"{_values(y, out)}){hint}; row numbers are 0-based positions",
                column=col,
                rows=rows[out],
                param="units" if hint else "share",
            )
        return factor
    for mask, what in ((y < 0, "negative"), (y > 100, "above 100")):
        _refuse_rows(
            mask,
            f"{int(mask.sum())} share(s) {what} (e.g. {_values(y, mask)}),"
            " impossible in percent or as proportions",
            col,
            rows,
            "share",
        )
    small = (y > 0) & (y <= 1)
    big = y > 1
    if small.any() and big.any():
        few, many = (small, big) if small.sum() <= big.sum() else (big, small)
        raise DataError(
            f"column '{col}' has shares on both sides of 1: {int(small.sum())} at most 1 "
            f"(e.g. {_values(y, small)}; {_rows_named(rows[small])}) and {int(big.sum())} "
            f"above 1 (e.g. {_values(y, big)}; {_rows_named(rows[big])}), so units='auto' "
            f"cannot tell proportions from percents. Check the {int(few.sum())} row(s) that "
            f"differ from the other {int(many.sum())}, then {ask}; row numbers are 0-based "
            "positions",
            column=col,
            rows=rows[few],
            param="units",
        )
    if big.any():
        return 100.0
    if small.any():
        raise DataError(
            f"all shares in column '{col}' are at most 1 (e.g. {_values(y, small)}): they may "
            "be proportions (0.45 = 45%) or percents of a small party (0.45%), and the values "
            f"cannot tell which; {ask}",
            column=col,
            param="units",
        )
    raise DataError(
        f"all shares in column '{col}' are 0: the units cannot be told; {ask}",
        column=col,
        param="units",
    )


def _one_spelling(names: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Pollster names that differ only in upper/lower case (after trimming spaces) as one
    pollster, under its most common spelling; returns the names and a note (empty if none
    were merged). 'FOM', 'fom' and ' FOM ' are one pollster, not three with house effects
    of their own."""
    key = np.array([s.casefold() for s in names], dtype=object)
    out = names.copy()
    merged = []
    for k in dict.fromkeys(key):
        spellings = pd.Series(names[key == k]).value_counts()
        if len(spellings) < 2:
            continue
        top = str(spellings.index[0])
        out[key == k] = top
        others = ", ".join(f"'{s}' ({c} polls)" for s, c in spellings.iloc[1:].items())
        merged.append(f"{others} as '{top}'")
    if not merged:
        return out, []
    return out, [
        "pollster names that differ only in upper/lower case are taken as one pollster: "
        + "; ".join(merged)
    ]


def _rows(pos: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(p)) for p in pos[:limit])
    return shown + (f" and {len(pos) - limit} more" if len(pos) > limit else "")


def _rows_named(pos: np.ndarray) -> str:
    return f"row{'s' if len(pos) > 1 else ''} {_rows(pos)}"


@old_names(dk="dk_share")
@spread_options(c=PollColumns)
def prepare_polls(data: Any, *, c: PollColumns) -> Polls:
    """Validate poll data and put shares on the proportion scale.

    ``units="auto"`` reads the shares as percent only when every non-zero share is above 1
    (and none is above 100); 0 is the same in both units. Shares on both sides of 1 (some at
    most 1, some above: a proportion typed into a percent column, or the reverse) and shares
    that are all at most 1 (proportions, or percents of a small party: the values cannot tell)
    raise :class:`DataError`, naming the rows that differ from the rest; pass
    ``units="percent"`` or ``units="proportion"``. With explicit units a share outside 0-100
    or 0-1 is refused with its rows. ``dk_share`` (the column of "hard to say" shares; the
    old name ``dk=`` still works for one release, with a warning) is in the units of
    ``share``. ``default_n`` gives sample sizes per pollster (``{"NAME": N}``) or one number
    for every pollster. The keyword arguments are the fields of
    :class:`~unspoken.polls.options.PollColumns`, checked once.

    Pollster names are trimmed, and names that differ only in upper/lower case are one
    pollster under the most common spelling (a warning and a note say so); ``default_n`` may
    spell them either way.

    Dates (``date``, ``start``, ``end``) are read with one format per column and day/month
    order is never guessed (see :mod:`unspoken.polls.dates`): YYYY-MM-DD, YYYY/MM/DD,
    DD.MM.YYYY, "5 March 2020", "March 5, 2020", or a datetime column. A column mixing formats,
    or written ``05/03/2020``, is refused unless ``date_format`` (strftime, e.g. ``"%d/%m/%Y"``)
    says how to read it. ``since`` / ``until`` (dates, YYYY-MM-DD) keep only the polls whose
    fieldwork overlaps that span. ``scale="decided"`` uses the share of those with an opinion,
    ``share / (100 - dk)``, with effective sample size ``n (1 - dk)``; it needs ``dk_share``.
    """
    from unspoken.io.frames import require_columns
    from unspoken.io.missing import drop_missing

    share, pollster, date, start, end = c.share, c.pollster, c.date, c.start, c.end
    n, dk, scale = c.n, c.dk_share, c.scale
    base = _load(data).reset_index(drop=True)
    require_columns(base, c.columns)
    needed = [x for x in (share, pollster, date, start, end) if x is not None]
    if scale == "decided":
        needed.append(dk)
    df, notes, kept = drop_missing(base, needed)
    df = df.reset_index(drop=True)
    rows = np.asarray(kept, dtype=np.int64)
    if len(df) == 0:
        raise DataError("no polls left after dropping rows with missing values")

    names, spelling = _one_spelling(df[pollster].astype(str).str.strip().to_numpy())
    for msg in spelling:
        _warn(msg)
        notes.append(msg)
    if date is not None:
        d0 = read_dates(df[date], date, rows, c.date_format, "date")
        d1 = d0.copy()
    else:
        d0 = read_dates(df[start], start, rows, c.date_format, "start")
        d1 = read_dates(df[end], end, rows, c.date_format, "end")
        bad = d1 < d0
        _refuse_rows(bad, f"{int(bad.sum())} poll(s) end before they start", end, rows)
    since, until = c.since, c.until
    if since is not None or until is not None:
        keep = np.ones(len(df), bool)
        if since is not None:
            keep &= d1 >= parse_date(since, "since")
        if until is not None:
            keep &= d0 <= parse_date(until, "until")
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

    y = _numbers(base, share, rows, "poll share")
    factor = _units_factor(y, c.units, share, rows)
    p = y / factor

    dkp = np.full(len(df), np.nan)
    if dk is not None:
        dkv = _numbers(base, dk, rows, "hard to say")
        bad = (dkv < 0) | (dkv > factor)
        what = f"{int(bad.sum())} 'hard to say' share(s) outside the range of shares"
        _refuse_rows(bad, what, dk, rows)
        dkp = dkv / factor
        over = p + dkp > 1.0 + 0.03
        what = (
            "share + 'hard to say' exceeds the total by more than 3 points in "
            f"{int(over.sum())} poll(s)"
        )
        _refuse_rows(over, what, dk, rows)

    # sample sizes
    defaults = _parse_default_n(c.default_n, names)
    spelled = {str(s).casefold(): s for s in names}  # default_n={'fom': ...} names 'FOM' too
    defaults = {
        (k if k in set(names) else spelled.get(str(k).strip().casefold(), k)): v
        for k, v in defaults.items()
    }
    unknown = sorted(set(defaults) - set(names))
    if unknown:
        raise DataError(
            f"default sample size given for pollster(s) not in the data: {', '.join(unknown)}; "
            f"pollsters are: {', '.join(sorted(set(names)))}",
            column=pollster,
            param="default_n",
        )
    nn = np.full(len(df), np.nan)
    if n is not None:
        nn = _numbers(base, n, rows, "sample size")
        bad = np.isfinite(nn) & (nn <= 0)
        _refuse_rows(bad, "sample sizes must be positive", n, rows)
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
            param="default_n",
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
        _warn(msg)
        notes.append(msg)

    key = table[["pollster", "start", "end"]]
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        pos = rows[dup]
        msg = (
            f"{int(dup.sum())} polls share pollster and fieldwork dates with another poll "
            f"(rows {_rows(pos, 8)}; 0-based positions); each is kept as a separate poll"
        )
        if c.duplicates == "error":
            raise DataError("duplicated polls (same pollster and dates)", column=pollster, rows=pos)
        if c.duplicates == "warn":
            _warn(msg)
        notes.append(msg)

    return Polls(table=table, factor=factor, scale=scale, pollsters=pollsters, notes=notes)
