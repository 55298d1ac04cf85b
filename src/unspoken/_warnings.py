"""Collect the warnings an analysis raises, to show them with its result.

Only warnings raised from unspoken's own code are collected (they become notes of the
result); any other warning that surfaces during the call (e.g. a ``ResourceWarning`` from a
garbage-collected socket) goes on to Python's usual display, so it never lands in a report.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_OWN = Path(__file__).parent


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """``with collect_warnings() as messages: ...`` — ``messages`` holds the unique texts of
    the warnings unspoken raised inside the block, in order."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    for w in caught:
        if not Path(w.filename).is_relative_to(_OWN):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        elif (msg := str(w.message)) not in messages:
            messages.append(msg)
