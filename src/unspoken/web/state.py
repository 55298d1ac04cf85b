"""What the local web server holds: its secret form token, its private folder of uploads,
the job runner, the data sets the page can analyse and the recent results; and how an
uploaded file is named and its reading errors worded for the page."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import unspoken.web.jobs as jobs  # not via the package unspoken.web: it imports the server

_KEEP_UPLOADS = 4  # uploaded data sets kept (the oldest is forgotten and its file deleted)
_KEEP_RESULTS = 20
_SUFFIXES = {".csv", ".tsv", ".txt", ".gz", ".parquet", ".pq", ".dta", ".sav", ".zsav", ".xlsx"}


class BadRequestError(Exception):
    """A request the page answers with status 400 and this message."""


class ForbiddenError(BadRequestError):
    """A request refused with status 403 (another origin, or no valid form token)."""


@dataclass
class Stored:
    """A data set the page can analyse: its preview, and where a job finds all of it (a
    bundled data set's name, or the path of an upload's stored copy)."""

    label: str
    preview: jobs.Preview
    source: str
    design: str = ""
    note: str = ""


class State:
    """What the server holds: its secret form token, its private directory (uploads),
    the job runner, the uploads' previews and recent results."""

    def __init__(
        self,
        max_upload: int,
        timeout: float = jobs.DEFAULT_TIMEOUT,
        memory_mb: int | None = jobs.DEFAULT_MEMORY_MB,
    ) -> None:
        self.max_upload = max_upload
        self.token = secrets.token_urlsafe(32)
        self.dir = Path(tempfile.mkdtemp(prefix="unspoken-web-"))  # mode 0700
        self.jobs = jobs.JobRunner(timeout=timeout, memory_mb=memory_mb)
        self.lock = threading.Lock()
        self.uploads: OrderedDict[str, Stored] = OrderedDict()
        self.results: OrderedDict[str, tuple[str, str, str]] = OrderedDict()
        self.bundled_cache: dict[str, Stored] = {}

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def choices(self) -> list[tuple[str, str]]:
        """(value, text) of every data set the page offers: uploads kept, then bundled."""
        from unspoken import datasets

        with self.lock:
            uploads = [(k, f"Your file: {s.label}") for k, s in reversed(self.uploads.items())]
        return uploads + [(d.name, f"{d.name} — {d.title}") for d in datasets.CATALOG.values()]

    def get(self, data_id: str) -> Stored:
        from unspoken import datasets

        with self.lock:
            if data_id in self.uploads:
                return self.uploads[data_id]
            if data_id in self.bundled_cache:
                return self.bundled_cache[data_id]
        if data_id in datasets.names():
            d = datasets.info(data_id)
            preview = jobs.preview(datasets.load(data_id))
            s = Stored(d.name, preview, d.name, d.design, f"Design: {d.design}.")
            with self.lock:
                self.bundled_cache[data_id] = s
            return s
        raise BadRequestError(
            f"There is no data set '{data_id}'. Choose one or upload a file again."
        )

    def add_upload(self, key: str, stored: Stored) -> None:
        with self.lock:
            self.uploads[key] = stored
            while len(self.uploads) > _KEEP_UPLOADS:
                _, old = self.uploads.popitem(last=False)
                Path(old.source).unlink(missing_ok=True)

    def add_result(self, html_text: str, json_text: str, title: str) -> str:
        key = secrets.token_urlsafe(8)
        with self.lock:
            self.results[key] = (html_text, json_text, title)
            while len(self.results) > _KEEP_RESULTS:
                self.results.popitem(last=False)
        return key


def safe_name(filename: str | None) -> str:
    """An uploaded file's own name, safe to use in the server's folder (no directories, no
    control characters, at most 120 characters, its file-type suffix kept)."""
    name = re.sub(r"[\x00-\x1f/\\]", "_", Path(filename or "").name).strip(" .")
    suffix = "".join(s for s in Path(name).suffixes[-2:] if s.lower() in _SUFFIXES)
    stem = name[: len(name) - len(suffix)] if suffix else name
    return (stem[:100] or "upload") + suffix.lower()


_PLAIN_UPLOAD = (
    (re.compile(r"\s*\(command line: [^)]*\)"), ""),
    (re.compile(r"read it with format='(\w+)' \(or give it a (\.\w+) name\)"),
     r"give the file a \2 name and upload it again"),
    (re.compile(r"pass encoding='([^']+)'"), r"choose the text encoding \1 next to the file"),
    (re.compile(r"encoding='([^']+)'"), r"the text encoding \1"),
)  # fmt: skip


def plain_upload_error(e: BaseException) -> str:
    """A file-reading error in the words of the upload form: the encoding is chosen next to
    the file, not passed as an argument or a command-line option."""
    text = str(e)
    for pattern, repl in _PLAIN_UPLOAD:
        text = pattern.sub(repl, text)
    if "text encoding" in text and "next to the file" not in text:
        text = text.rstrip(". ") + "; choose the text encoding next to the file and upload again."
    return text
