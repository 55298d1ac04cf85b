"""The error types unspoken raises.

Every check of user input raises :class:`DataError`, which names the column and the first
offending rows, so that a person can find and fix the problem in their own file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class UnspokenError(Exception):
    """Base class of every error unspoken raises on purpose.

    ``param`` (``None`` unless given) is the name of the function argument the error is
    about, e.g. ``"control"`` or ``"vcov"``: a machine-readable pointer that lets a front end
    (the web page) put the message next to the matching field. It never changes the message.
    """

    param: str | None = None


class DataError(UnspokenError, ValueError):
    """The data are not what the analysis needs.

    ``column`` is the column at fault (or ``None``), ``rows`` the first offending row numbers
    (0-based positions in the data as given), ``n_bad`` how many rows are at fault in all,
    ``param`` the argument at fault (see :class:`UnspokenError`).
    """

    def __init__(
        self,
        message: str,
        column: str | None = None,
        rows: Sequence[int] | np.ndarray | None = None,
        n_bad: int | None = None,
        max_rows: int = 5,
        param: str | None = None,
    ) -> None:
        self.column = column
        self.param = param
        rows_list = [] if rows is None else [int(r) for r in np.asarray(rows).ravel()]
        self.n_bad = len(rows_list) if n_bad is None else int(n_bad)
        self.rows = rows_list[:max_rows]
        where = []
        if column is not None:
            where.append(f"column '{column}'")
        if rows_list:
            shown = ", ".join(str(r) for r in self.rows)
            more = f" and {self.n_bad - len(self.rows)} more" if self.n_bad > len(self.rows) else ""
            where.append(f"row{'s' if self.n_bad > 1 else ''} {shown}{more}")
        full = f"{message} ({'; '.join(where)})" if where else message
        super().__init__(full)


class UnsupportedError(UnspokenError, ValueError):
    """A combination of options that unspoken does not support (never silently ignored).

    ``param`` is the argument at fault (see :class:`UnspokenError`)."""

    def __init__(self, *args: object, param: str | None = None) -> None:
        super().__init__(*args)
        self.param = param


class ConvergenceError(UnspokenError, RuntimeError):
    """An optimiser did not reach a maximum; the message says how far it got."""
