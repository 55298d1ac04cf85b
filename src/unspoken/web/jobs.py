"""Work the web page hands to a separate process, with a time limit and a memory cap.

Reading an uploaded file and running an analysis happen in a child process, so that a
slow fit or a huge file can be stopped (the child is killed) while the server keeps
answering everybody else, and so that the memory a file or a fit needs is returned to the
system when the child exits. Children are forked from a ``forkserver`` that has already
imported pandas, scipy and unspoken, so a job starts in a few tens of milliseconds.

:class:`JobRunner` calls a module-level function in a child; the child sets its address
space limit (``RLIMIT_AS``), runs the function and sends back either the return value or the
exception (unspoken's errors pickle with their ``column``/``rows``/``param`` attributes).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from unspoken.errors import UnspokenError

DEFAULT_TIMEOUT = 120.0  # seconds per job
DEFAULT_MEMORY_MB = 4096  # address space of a job's process


class JobError(UnspokenError):
    """A job was stopped: it ran past its time limit, ran out of memory or died."""


@dataclass(frozen=True)
class Preview:
    """What the page shows of a data set without holding all of it: the first rows (with
    their dtypes), the number of rows and the column names."""

    head: pd.DataFrame
    nrows: int
    columns: list[str]


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__, "unspoken.web.preload"])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _child(conn: Any, memory_mb: int | None, fn: Callable[..., Any], args: tuple) -> None:
    """Body of a job's process: cap memory, call ``fn(*args)``, send ("ok", value) or
    ("error", exception, traceback text)."""
    if memory_mb:
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource

            cap = int(memory_mb) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        out: tuple[Any, ...] = ("ok", fn(*args))
    except BaseException as e:  # everything goes back to the server, which decides
        tb = traceback.format_exc()
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:  # an exception that does not survive pickling: keep its text
            e = RuntimeError(f"{type(e).__name__}: {e}")
        out = ("error", e, tb)
    try:
        conn.send(out)
    except Exception as e:  # e.g. a result too large for the memory cap
        with contextlib.suppress(Exception):
            conn.send(("error", RuntimeError(f"the result could not be sent back: {e}"), ""))
    finally:
        conn.close()


class JobRunner:
    """Run functions in child processes: at most ``workers`` at a time, each stopped after
    ``timeout`` seconds (waiting for a free slot included) and capped at ``memory_mb``."""

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        workers: int | None = None,
    ) -> None:
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self.workers = workers or max(2, os.cpu_count() or 2)
        self._slots = threading.BoundedSemaphore(self.workers)
        self._ctx = _context()

    def call(self, fn: Callable[..., Any], *args: Any, what: str = "The analysis") -> Any:
        """``fn(*args)`` in a child process; its exception is raised here as it was raised
        there, and :class:`JobError` says when the child ran out of time or memory."""
        start = time.monotonic()
        if not self._slots.acquire(timeout=self.timeout):
            raise JobError(
                f"{what} could not start: the computer is busy with {self.workers} other "
                "analyses. Try again in a moment."
            )
        try:
            left = max(0.1, self.timeout - (time.monotonic() - start))
            return self._run(fn, args, left, what)
        finally:
            self._slots.release()

    def _start(self, fn: Callable[..., Any], args: tuple) -> tuple[Any, Any]:
        """A started child process and the end of its pipe that receives the answer."""
        receive, send = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(send, self.memory_mb, fn, args), daemon=True)
        try:
            proc.start()
        except OSError as e:  # e.g. "AF_UNIX path too long": the fork server cannot listen
            receive.close()
            send.close()
            if self._ctx.get_start_method() == "spawn":
                raise
            sys.stderr.write(
                f"unspoken: the fork server could not start ({e}); analyses now start a new "
                "Python process each (about a second slower)\n"
            )
            self._ctx = multiprocessing.get_context("spawn")
            return self._start(fn, args)
        send.close()
        return proc, receive

    def _run(self, fn: Callable[..., Any], args: tuple, limit: float, what: str) -> Any:
        proc, receive = self._start(fn, args)
        try:
            got = receive.poll(limit)
            message = receive.recv() if got else None
        except (EOFError, OSError):
            message = None
        finally:
            receive.close()
            if proc.is_alive():
                proc.kill()
            proc.join()
        if message is None:
            if not got:
                raise JobError(
                    f"{what} took longer than {limit:.0f} seconds and was stopped. Try "
                    "fewer covariates or subgroups, or run it with the command line, where "
                    "there is no time limit."
                )
            cap = f" ({self.memory_mb:,} MB)" if self.memory_mb else ""
            raise JobError(
                f"{what} stopped unexpectedly, most likely because it needed more memory than "
                f"this page allows{cap}. Try a smaller file, or the command line."
            )
        if message[0] == "ok":
            return message[1]
        error, tb = message[1], message[2]
        if isinstance(error, MemoryError):
            raise JobError(
                f"{what} needed more memory than this page allows ({self.memory_mb:,} MB) and "
                "was stopped. Try a smaller file, or the command line."
            )
        if not isinstance(error, UnspokenError | ValueError) and tb:
            sys.stderr.write(tb)  # an unexpected failure: the details go to the terminal
        raise error


# --------------------------------------------------------------------------- the jobs


def preview(df: pd.DataFrame, rows: int = 8) -> Preview:
    return Preview(df.head(rows).copy(), len(df), [str(c) for c in df.columns])


def read_upload(path: str, filename: str, encoding: str | None, store: str) -> Preview:
    """Read the uploaded file at ``path`` (named ``filename`` by the user) and keep it, as a
    pickle of the frame, at ``store`` (both in the server's private directory)."""
    from unspoken.io.readers import read_data

    df = read_data(path, encoding=encoding)
    meta = df.attrs.get("unspoken")
    if isinstance(meta, dict):
        meta["source"] = filename  # not the temporary path
    with open(store, "wb") as fh:
        pickle.dump(df, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return preview(df)


def load_frame(source: str) -> pd.DataFrame:
    """A bundled data set by name, or a frame the server stored (a path in its directory)."""
    from unspoken import datasets

    if source in datasets.names():
        return datasets.load(source)
    with open(source, "rb") as fh:  # written by read_upload in this server's own directory
        return pickle.load(fh)


def run_analysis(
    source: str,
    key: str,
    form: Mapping[str, str],
    label: str,
    tables: Mapping[str, str] | None = None,
) -> tuple[str, str, str]:
    """Run the analysis ``key`` on the data at ``source`` with the submitted ``form``:
    (report HTML, JSON numbers, title). ``tables`` maps the id of each further data set the
    form chose (a population table) to its source, as the server resolved it."""
    from unspoken.report import render_report
    from unspoken.results import json_text
    from unspoken.web.analyses import ANALYSES, run

    analysis = ANALYSES[key]
    frames = {k: load_frame(v) for k, v in (tables or {}).items()}
    result, warned = run(analysis, load_frame(source), form, frames)
    note = f"Data: {label}" if getattr(analysis, "uses_data", True) else None
    report = render_report(result, data_note=note, warnings=warned)
    return report, json_text(result), f"{analysis.title} — {label}"


def store_path(directory: Path, key: str) -> Path:
    return directory / f"{key}.pickle"
