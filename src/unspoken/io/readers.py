"""``read_data``: a data file (delimited text, Parquet, Stata, SPSS, Excel) as a pandas
frame, with what was learnt on the way in ``df.attrs["unspoken"]``. The heavy readers
(pyreadstat, pyarrow, openpyxl) are imported only when a file needs them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.errors import DataError, UnsupportedError
from unspoken.io.formats import (
    _KIND_TEXT,
    UserMissing,
    _check_kind,
    _check_path,
    _head_bytes,
    _resolve_format,
    _sniff_kind,
)
from unspoken.io.frames import check_unique_columns, to_pandas
from unspoken.io.labels import _read_stat
from unspoken.io.text import _read_text

__all__ = ["read_data"]


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
