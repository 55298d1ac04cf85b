"""Delimited text files: the delimiter and decimal mark sniffed, the encoding checked
(with a guess at the right one when the bytes are not UTF-8), blank cells made missing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError
from unspoken.io.formats import _EXPECTED_TEXT, _check_encoding
from unspoken.io.frames import check_unique_columns
from unspoken.io.missing import blank_to_missing


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
