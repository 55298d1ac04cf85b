"""Date columns read with one format per column: nothing is guessed.

A text column is read only when all its values are in one recognised format that says which
number is the day and which the month: ``YYYY-MM-DD`` (optionally with a time),
``YYYY/MM/DD``, ``DD.MM.YYYY``, ``D Month YYYY`` or ``Month D, YYYY`` (English month names,
full or abbreviated). Columns of dates (datetime dtype, or date objects) are used as they are.
Slash or dash dates with the year last (``05/03/2020``) read as day/month in most of the world
and month/day in the United States, so they are never guessed, even when every day is at most
12: ``date_format`` (strftime syntax, e.g. ``"%d/%m/%Y"``) then says how to read the column.

Row numbers in messages are 0-based positions in the data as given.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError

_MONTHS = {
    name: k + 1
    for k, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}


@dataclass(frozen=True)
class DateFormat:
    """A recognised way of writing dates: ``label`` for messages, a full-match ``pattern``
    with groups ``y``, ``m`` (or ``mon``, a month name) and ``d``; ``ambiguous`` formats
    are never read without ``date_format``."""

    label: str
    pattern: re.Pattern[str]
    ambiguous: bool = False


def _fmt(label: str, regex: str, ambiguous: bool = False) -> DateFormat:
    return DateFormat(label, re.compile(regex, re.IGNORECASE), ambiguous)


_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_ORD = r"(?:st|nd|rd|th)?"
FORMATS: tuple[DateFormat, ...] = (
    _fmt("YYYY-MM-DD", rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TIME}"),
    _fmt("YYYY/MM/DD", r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
    _fmt("DD.MM.YYYY", r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
    _fmt(
        "D Month YYYY", rf"(?P<d>\d{{1,2}}){_ORD}[ -](?P<mon>[a-z]{{3,9}})\.?,?[ -](?P<y>\d{{4}})"
    ),
    _fmt("Month D, YYYY", rf"(?P<mon>[a-z]{{3,9}})\.? (?P<d>\d{{1,2}}){_ORD},? (?P<y>\d{{4}})"),
    _fmt(
        "DD/MM/YYYY or MM/DD/YYYY", r"\d{1,2}(?P<sep>[/-])\d{1,2}(?P=sep)(?P<y>\d{2}|\d{4})", True
    ),
    _fmt("DD/MM or MM/DD (no year)", r"\d{1,2}[/-]\d{1,2}", True),
)
DATE_VALUES = "date values (not text)"


def _rows(pos: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(p)) for p in pos[:limit])
    more = f" and {len(pos) - limit} more" if len(pos) > limit else ""
    return f"row{'s' if len(pos) > 1 else ''} {shown}{more}"


def _examples(values: list[Any], limit: int = 3) -> str:
    return ", ".join(repr(v) for v in list(dict.fromkeys(values))[:limit])


def _is_date_value(v: Any) -> bool:
    return isinstance(v, _dt.date | np.datetime64) and not pd.isna(v)


def _classify(text: str) -> DateFormat | None:
    for f in FORMATS:
        if f.pattern.fullmatch(text):
            return f
    return None


def _from_parts(f: DateFormat, text: str) -> pd.Timestamp:
    m = f.pattern.fullmatch(text)
    if m is None:
        return pd.NaT
    g = m.groupdict()
    month = _MONTHS.get(g["mon"].lower()) if g.get("mon") else int(g["m"])
    if month is None:
        return pd.NaT
    try:
        return pd.Timestamp(int(g["y"]), month, int(g["d"]))
    except ValueError:  # day 31 in a 30-day month, month 13, ...
        return pd.NaT


def _as_timestamp(v: Any) -> pd.Timestamp:
    ts = pd.Timestamp(v)
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def check_date_format(date_format: str | None) -> None:
    """``date_format`` must be strftime text with a year, a month and a day."""
    if date_format is None:
        return
    if not isinstance(date_format, str) or not date_format.strip():
        raise UnsupportedError(
            f"date_format must be strftime text such as '%d/%m/%Y', not {date_format!r}",
            param="date_format",
        )
    missing = [
        what
        for what, codes in (
            ("year (%Y or %y)", "Yy"),
            ("month (%m, %b or %B)", "mbB"),
            ("day (%d)", "dj"),
        )
        if not any(f"%{c}" in date_format for c in codes)
    ]
    if missing:
        raise UnsupportedError(
            f"date_format {date_format!r} needs a {', a '.join(missing)}; e.g. '%d/%m/%Y'",
            param="date_format",
        )


def _text(v: Any) -> str | None:
    """A cell as text for ``date_format`` (whole numbers such as 20200305 too)."""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool | np.bool_):
        return None
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return None


def _whole_days(values: list[Any]) -> np.ndarray:
    return np.array(
        [_as_timestamp(v).floor("D").to_datetime64() for v in values], dtype="datetime64[ns]"
    )


def _parse(f: DateFormat, text: pd.Series) -> np.ndarray:
    """Text that fully matches ``f`` as dates (NaT for impossible ones, e.g. 2021-13-45)."""
    parts = text.str.extract(f"^(?:{f.pattern.pattern})$", flags=re.IGNORECASE)
    named = "mon" in parts
    month = parts["mon"].str.lower().map(_MONTHS) if named else pd.to_numeric(parts["m"])
    ymd = pd.DataFrame(
        {"year": pd.to_numeric(parts["y"]), "month": month, "day": pd.to_numeric(parts["d"])}
    )
    return pd.to_datetime(ymd, errors="coerce").to_numpy(dtype="datetime64[ns]")


def _with_format(values: list[Any], date_format: str) -> np.ndarray:
    text = pd.Series([_text(v) for v in values], dtype=object)
    try:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    except (ValueError, TypeError):  # e.g. mixed UTC offsets with %z: one at a time
        parsed = pd.Series([_one_with_format(t, date_format) for t in text])
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.floor("D").to_numpy(dtype="datetime64[ns]")


def _one_with_format(text: str | None, date_format: str) -> pd.Timestamp:
    try:
        return pd.NaT if text is None else _as_timestamp(pd.to_datetime(text, format=date_format))
    except (ValueError, TypeError):
        return pd.NaT


def read_dates(
    s: pd.Series,
    col: str,
    rows: np.ndarray,
    date_format: str | None = None,
    param: str | None = None,
) -> np.ndarray:
    """The dates of column ``col`` (no missing values) as whole days, ``datetime64[ns]``.

    ``rows`` are the positions of ``s``'s values in the data as given (for messages);
    ``param`` names the argument that chose the column (``DataError.param``).
    Raises :class:`DataError` for mixed formats, day/month-ambiguous dates without
    ``date_format``, and values that do not parse.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        parsed = pd.to_datetime(s)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        return parsed.dt.floor("D").to_numpy(dtype="datetime64[ns]")
    values = s.astype(object).tolist()
    is_date = np.array([_is_date_value(v) for v in values], dtype=bool)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    if is_date.any():
        out[is_date] = _whole_days([v for v, d in zip(values, is_date, strict=True) if d])
    if date_format is not None:
        check_date_format(date_format)
        if not is_date.all():
            out[~is_date] = _with_format(
                [v for v, d in zip(values, is_date, strict=True) if not d], date_format
            )
        bad = np.flatnonzero(np.isnat(out))
        if bad.size:
            raise DataError(
                f"{len(bad)} date(s) in column '{col}' do not match date_format "
                f"{date_format!r} (e.g. {_examples([values[i] for i in bad])}); a column is read "
                "with one format; row numbers are 0-based positions",
                column=col,
                rows=rows[bad],
                param="date_format",
            )
        return out

    text = pd.Series([v.strip() if isinstance(v, str) else "" for v in values], dtype=object)
    kind = np.full(len(values), -1)  # index into FORMATS; len(FORMATS) for date values
    kind[is_date] = len(FORMATS)
    for k, f in enumerate(FORMATS):
        free = kind == -1
        if not free.any():
            break
        hit = text.str.fullmatch(f.pattern.pattern, flags=re.IGNORECASE).to_numpy(dtype=bool)
        kind[free & hit] = k
    labels = [f.label for f in FORMATS] + [DATE_VALUES]
    found = {int(k): np.flatnonzero(kind == k) for k in np.unique(kind) if k >= 0}
    if len(found) > 1:
        order = sorted(found, key=lambda k: -len(found[k]))
        major, minors = order[0], order[1:]
        parts = [f"{labels[major]} ({len(found[major])} rows)"]
        parts += [f"{labels[k]} ({_rows(rows[found[k]])})" for k in minors]
        pos = np.sort(np.concatenate([found[k] for k in minors]))
        raise DataError(
            f"column '{col}' mixes date formats: {', '.join(parts)}. A column is read with one "
            "format and day/month order is never guessed: write all dates in one format "
            "(YYYY-MM-DD is safest), or give date_format= (CLI --date-format) in strftime "
            "syntax, e.g. '%d.%m.%Y'; row numbers are 0-based positions",
            column=col,
            rows=rows[pos],
            param=param,
        )
    if found:
        ((k, pos),) = found.items()
        if k < len(FORMATS):
            f = FORMATS[k]
            if f.ambiguous:
                raise DataError(
                    _ambiguous_message(col, f, text.iloc[pos[0]]), column=col, param=param
                )
            out[pos] = _parse(f, text.iloc[pos])
    bad = np.flatnonzero(np.isnat(out))
    if bad.size:
        raise DataError(
            f"column '{col}' has {len(bad)} date(s) that do not parse (e.g. "
            f"{_examples([values[i] for i in bad])}); use ISO dates YYYY-MM-DD, or give "
            "date_format= (CLI --date-format) in strftime syntax; row numbers are 0-based "
            "positions",
            column=col,
            rows=rows[bad],
            param=param,
        )
    return out


def _ambiguous_message(where: str, kind: DateFormat, example: str) -> str:
    if "no year" in kind.label:
        return (
            f"column '{where}' has dates without a year (e.g. {example!r}); write them with the "
            "year, as YYYY-MM-DD"
        )
    sep = "-" if "-" in example else "/"
    y = "%Y" if len(example.rsplit(sep, 1)[-1]) == 4 else "%y"
    return (
        f"column '{where}' has dates like {example!r}, which read as day/month in some "
        "countries and month/day in others; they are never guessed: give "
        f"date_format='%d{sep}%m{sep}{y}' (day first) or '%m{sep}%d{sep}{y}' (month first) "
        "(CLI --date-format), or write the dates as YYYY-MM-DD"
    )


def parse_date(value: Any, name: str) -> np.datetime64:
    """One date given as an option (``since``, ``until``, an anchor date): a date object or
    text in a recognised unambiguous format (YYYY-MM-DD is safest)."""
    if _is_date_value(value):
        return np.datetime64(_as_timestamp(value).floor("D").to_datetime64(), "ns")
    text = value.strip() if isinstance(value, str) else None
    kind = _classify(text) if text else None
    if kind is not None and kind.ambiguous:
        raise DataError(
            f"{name}={value!r} reads as day/month or as month/day; write it as YYYY-MM-DD",
            param=name,
        )
    ts = pd.NaT if kind is None else _from_parts(kind, text)
    if pd.isna(ts):
        raise DataError(f"{name}={value!r} is not a date; use YYYY-MM-DD", param=name)
    return np.datetime64(ts.to_datetime64(), "ns")
