"""A small, strict, streaming parser of ``multipart/form-data`` request bodies (RFC 7578).

The standard library's ``cgi`` module is gone in Python 3.13, and the ``email`` package's
line-based parser is slow on large binary files, so the body is read in chunks and split on
its boundary with bytes operations; the headers of each part are read with :mod:`email`.
A file part is written straight to a file in a given directory (memory stays at a few
chunks whatever the file's size); other fields are kept in memory up to a small limit.
"""

from __future__ import annotations

import email.message
import email.parser
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 16
MAX_FIELD = 64 * 1024  # bytes of one non-file field
MAX_HEADERS = 16 * 1024  # bytes of one part's headers


class MultipartError(ValueError):
    """The request body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    """One field: ``data`` for a text field (or a file kept in memory), ``path`` and
    ``size`` for a file written to disk."""

    name: str
    filename: str | None
    content_type: str
    data: bytes = b""
    path: Path | None = None
    size: int = 0


def _header_params(value: str) -> email.message.Message:
    m = email.message.Message()
    m["Content-Type"] = value
    return m


def boundary_of(content_type: str) -> str:
    """The boundary of a ``multipart/form-data`` Content-Type header, or MultipartError."""
    m = _header_params(content_type)
    if m.get_content_type() != "multipart/form-data":
        raise MultipartError("the form was not sent as multipart/form-data")
    boundary = m.get_param("boundary")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 200:
        raise MultipartError("the form data have no valid boundary")
    return boundary


class _Reader:
    """A buffer over ``read`` that never reads past ``length`` bytes of the body."""

    def __init__(self, read: Callable[[int], bytes], length: int) -> None:
        self.read, self.left, self.buf = read, length, bytearray()

    def more(self) -> bool:
        if self.left <= 0:
            return False
        chunk = self.read(min(CHUNK, self.left))
        if not chunk:
            raise MultipartError("the upload ended before all of it arrived")
        self.left -= len(chunk)
        self.buf += chunk
        return True

    def until(self, marker: bytes, limit: int, what: str) -> bytes:
        """Everything up to ``marker`` (dropped), at most ``limit`` bytes."""
        while (i := self.buf.find(marker)) < 0:
            if len(self.buf) > limit or not self.more():
                raise MultipartError(f"the form data are malformed ({what})")
        out = bytes(self.buf[:i])
        del self.buf[: i + len(marker)]
        return out

    def need(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self.more():
                raise MultipartError("the form data are incomplete (no closing boundary)")
        return bytes(self.buf[:n])


def read_multipart(
    content_type: str,
    read: Callable[[int], bytes],
    length: int,
    file_dir: Path | None = None,
    max_field: int = MAX_FIELD,
) -> dict[str, Part]:
    """The parts of a multipart/form-data body of ``length`` bytes read from ``read``, by
    field name (the first one wins). With ``file_dir`` a part that has a filename is
    written to a new file there (``Part.path``); without it, it is kept in memory.

    Raises :class:`MultipartError` when the boundary is missing, the body ends before the
    final delimiter, a part lacks its blank line or a ``form-data`` name, or a text field
    is longer than ``max_field`` bytes. Files written before the error are removed.
    """
    delim = b"--" + boundary_of(content_type).encode("latin-1")
    sep = b"\r\n" + delim
    r = _Reader(read, length)
    r.buf += b"\r\n"  # so that the first delimiter looks like every other one
    r.until(sep, MAX_HEADERS, "the form data do not start with their boundary")
    parts: dict[str, Part] = {}
    written: list[Path] = []
    try:
        while True:
            ending = r.need(2)
            if ending == b"--":
                r.buf.clear()
                while r.more():  # the epilogue (usually a CRLF): read, so the connection
                    if len(r.buf) > MAX_HEADERS:  # stays in step, and drop
                        raise MultipartError("the form data go on after their end")
                return parts
            r.until(b"\r\n", 256, "a part of the form data is malformed")
            head = r.until(b"\r\n\r\n", MAX_HEADERS, "a part has no headers or no blank line")
            headers = email.parser.HeaderParser().parsestr(
                head.decode("utf-8", "replace") + "\r\n\r\n"
            )
            disposition = headers.get("Content-Disposition", "")
            name = headers.get_param("name", header="content-disposition")
            if not disposition.lower().startswith("form-data") or not isinstance(name, str):
                raise MultipartError("a part of the form data has no form-data name")
            filename = headers.get_filename()
            ctype = headers.get_content_type() if headers.get("Content-Type") else "text/plain"
            to_disk = filename is not None and file_dir is not None
            sink: io.BufferedWriter | io.BytesIO
            if to_disk:
                path = Path(file_dir) / f"part-{secrets.token_hex(8)}"
                written.append(path)
                sink = open(path, "xb")  # noqa: SIM115 - closed below
            else:
                sink = io.BytesIO()
            size = 0
            with sink:
                while (i := r.buf.find(sep)) < 0:
                    keep = len(sep) - 1  # a delimiter may be split across two chunks
                    if len(r.buf) > keep:
                        size += sink.write(r.buf[:-keep])
                        del r.buf[:-keep]
                    if not to_disk and filename is None and size > max_field:
                        raise MultipartError(f"the form field '{name}' is too long")
                    if not r.more():
                        raise MultipartError("the form data are incomplete (no closing boundary)")
                size += sink.write(r.buf[:i])
                del r.buf[: i + len(sep)]
                data = b"" if to_disk else sink.getvalue()  # type: ignore[union-attr]
            if not to_disk and filename is None and size > max_field:
                raise MultipartError(f"the form field '{name}' is too long")
            if name not in parts:
                parts[name] = Part(name, filename, ctype, data, path if to_disk else None, size)
            elif to_disk:
                path.unlink()
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """:func:`read_multipart` of a body held in memory (files stay in memory too)."""
    return read_multipart(content_type, io.BytesIO(body).read, len(body), max_field=len(body))
