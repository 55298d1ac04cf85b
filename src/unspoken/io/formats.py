"""What a data file is: its format from the extension or ``format=``, checked against the
file's first bytes ("magic numbers"), and the texts that name each format in messages."""

from __future__ import annotations

import difflib
from typing import Any, Literal

from unspoken.errors import DataError

UserMissing = Literal["keep", "nan"]
FileFormat = Literal["csv", "tsv", "txt", "parquet", "dta", "sav", "zsav", "xlsx"]

_EXT_FORMAT = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".dat": "txt",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".dta": "dta",
    ".sav": "sav",
    ".zsav": "zsav",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_FORMAT_ALIASES = {
    "stata": "dta",
    "spss": "sav",
    "excel": "xlsx",
    "text": "txt",
    "pq": "parquet",
    "tab": "tsv",
}
_KIND_TEXT = {
    "parquet": "a Parquet file",
    "sav": "an SPSS .sav file",
    "zsav": "a compressed SPSS .zsav file",
    "dta": "a Stata .dta file",
    "zip": "a zip archive (an Excel .xlsx file is one)",
    "gzip": "a gzip-compressed file",
    "pdf": "a PDF document",
    "xls": "an old Excel .xls / OLE2 document",
    "text": "plain text (such as CSV)",
    "empty": "an empty file",
    "binary": "binary data of an unknown kind",
}
_EXPECTED_TEXT = {
    "csv": "comma-separated text (CSV)",
    "tsv": "tab-separated text",
    "txt": "delimited text",
    "parquet": "a Parquet file",
    "dta": "a Stata .dta file",
    "sav": "an SPSS .sav file",
    "zsav": "an SPSS .zsav file",
    "xlsx": "an Excel .xlsx workbook",
}


def _check_path(path: Any) -> None:
    if path.is_dir():
        raise DataError(f"'{path}' is a folder, not a data file")
    if not path.exists():
        hint = ""
        parent = path.parent if str(path.parent) else None
        if parent is not None and parent.is_dir():
            names = [p.name for p in parent.iterdir()]
            close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
            if close:
                hint = f"; did you mean {' or '.join(repr(c) for c in close)}?"
            if not close:
                hint = f" (no file of that name in '{parent.resolve()}')"
        raise DataError(f"file not found: '{path}'{hint}")


def _resolve_format(path: Any, format: str | None) -> str | None:
    if format is not None:
        f = str(format).lower().lstrip(".")
        f = _FORMAT_ALIASES.get(f, f)
        if f not in _EXPECTED_TEXT:
            raise DataError(
                f"unknown format {format!r}; use one of "
                f"{', '.join(sorted(_EXPECTED_TEXT))} (or stata, spss, excel)"
            )
        return f
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip") and len(suffixes) > 1:
        inner = _EXT_FORMAT.get(suffixes[-2])
        if inner in ("csv", "tsv", "txt"):
            return inner
    return _EXT_FORMAT.get(path.suffix.lower())


def _head_bytes(path: Any, n: int = 65536) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise DataError(f"cannot open '{path}': {exc.strerror or exc}") from exc


#: the first bytes ("magic numbers") of the file kinds recognised by :func:`_sniff_kind`
_MAGIC = (
    (b"PAR1", "parquet"),
    (b"$FL2", "sav"),
    (b"$FL3", "zsav"),
    (b"<stata_dta>", "dta"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"%PDF", "pdf"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"\xff\xfe", "text"),  # UTF-16 with a byte-order mark
    (b"\xfe\xff", "text"),
)


def _sniff_kind(head: bytes) -> str:
    """What the first bytes of a file say it is."""
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # Stata formats 104-115: the release byte, then 1 or 2 (byte order), a NUL soon after
    if len(head) > 1 and 104 <= head[0] <= 115 and head[1] in (1, 2) and b"\x00" in head[:4]:
        return "dta"
    if b"\x00" in head:
        return "binary"
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return "binary" if control > 0.01 * len(head) else "text"


#: (claimed format, sniffed kind) pairs that agree although the names differ
_COMPATIBLE = {("xlsx", "zip"), ("sav", "zsav"), ("zsav", "sav")}


def _check_kind(path: Any, fmt: str, kind: str, head: bytes) -> None:
    """Refuse a file whose bytes (``head``, of kind ``kind``) do not match the format
    claimed by extension/format=."""
    text_fmt = fmt in ("csv", "tsv", "txt")
    gz = path.suffix.lower() in (".gz", ".bz2", ".xz", ".zip")
    if kind == "empty":
        raise DataError(f"file '{path}' is empty: expected {_EXPECTED_TEXT[fmt]}")
    if text_fmt and (kind == "text" or gz):
        return
    if fmt == kind or (fmt, kind) in _COMPATIBLE:
        return
    found = _KIND_TEXT[kind]
    if kind == "text":
        first_line = head.partition(b"\n")[0][:80]
        found += f", beginning {_preview(first_line)}"
    suggest = ""
    if kind in ("parquet", "sav", "zsav", "dta"):
        suggest = f"; read it with format='{kind}' (or give it a .{kind} name)"
    elif kind == "text" and not text_fmt:
        suggest = "; if it is delimited text, rename it to .csv or pass format='csv'"
    elif kind == "zip" and text_fmt:
        suggest = "; an Excel workbook needs format='xlsx' (or save it as CSV)"
    raise DataError(f"'{path.name}' should be {_EXPECTED_TEXT[fmt]} but it is {found}{suggest}")


def _preview(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


def _check_encoding(enc: str) -> None:
    import codecs

    try:
        codecs.lookup(enc)
    except LookupError as exc:
        raise DataError(
            f"unknown text encoding {enc!r}; examples: 'utf-8', 'cp1251', 'latin-1', 'cp1252'"
        ) from exc
