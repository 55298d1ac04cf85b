"""A small, strict parser of ``multipart/form-data`` request bodies (RFC 7578).

The standard library's ``cgi`` module is gone in Python 3.13, and the ``email`` package's
line-based parser is slow on large binary files, so the body is split on its boundary here
with bytes operations; the headers of each part are read with :mod:`email`.
"""

from __future__ import annotations

import email.message
import email.parser
from dataclasses import dataclass


class MultipartError(ValueError):
    """The request body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


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


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """The parts of a multipart/form-data ``body``, by field name (first one wins).

    Raises :class:`MultipartError` when the boundary is missing, the body is not closed by
    the final delimiter, or a part lacks its blank line or a ``form-data`` name.
    """
    delim = b"--" + boundary_of(content_type).encode("latin-1")
    start = body.find(delim)
    if start < 0:
        raise MultipartError("the form data do not contain their boundary")
    close = body.find(b"\r\n" + delim + b"--", start)
    if close < 0:
        raise MultipartError("the form data are incomplete (no closing boundary)")
    parts: dict[str, Part] = {}
    sep_delim = b"\r\n" + delim
    pos = start + len(delim)
    while pos < close:  # one part from pos to the next delimiter, copied once
        nxt = body.find(sep_delim, pos)
        nxt = close if nxt < 0 or nxt > close else nxt
        line_end = body.find(b"\r\n", pos, nxt + 2)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise MultipartError("a part of the form data is malformed")
        piece_start = line_end + 2
        head_end = body.find(b"\r\n\r\n", piece_start - 2, nxt)
        if head_end < 0 or head_end == piece_start - 2:
            raise MultipartError("a part of the form data has no headers or no blank line")
        head = body[piece_start:head_end]
        content = body[head_end + 4 : nxt]
        pos = nxt + len(sep_delim)
        headers = email.parser.HeaderParser().parsestr(head.decode("utf-8", "replace") + "\r\n\r\n")
        disposition = headers.get("Content-Disposition", "")
        name = headers.get_param("name", header="content-disposition")
        if not disposition.lower().startswith("form-data") or not isinstance(name, str):
            raise MultipartError("a part of the form data has no form-data name")
        filename = headers.get_filename()
        ctype = headers.get_content_type() if headers.get("Content-Type") else "text/plain"
        if name not in parts:
            parts[name] = Part(name, filename, ctype, content)
    return parts
