"""Parquet output written as cells finish, so that an interrupted run resumes: a rerun with
the same grid, estimators, replications, seed, level and null skips the cells already in the
file (matched by a key that hashes all of these with the cell's parameters and position)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from unspoken.errors import UnsupportedError

__all__ = ["cell_key", "read_done", "write_rows"]

#: bump when the simulation changes, so old files are not taken for finished work
SIMULATION_VERSION = 1


def cell_key(index: int, cell: Any, names: list[str], reps: int, seed: int, level: float,
             null: float) -> str:  # fmt: skip
    """A hash of everything that decides a cell's rows (callables by name only)."""
    text = json.dumps(
        [SIMULATION_VERSION, index, cell.key(), names, reps, seed, level, null], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def read_done(path: str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """The rows of an earlier run's output, or ``None`` when there is none."""
    if path is None or not Path(path).exists():
        return None
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise UnsupportedError(
            f"out={str(path)!r} exists but is not a diagnose Parquet file ({exc}); remove it "
            "or choose another path",
            param="out",
        ) from None
    if "key" not in frame.columns or "seed" not in frame.columns:
        raise UnsupportedError(
            f"out={str(path)!r} is not the output of unspoken diagnose (no 'key' column)",
            param="out",
        )
    return frame


def write_rows(path: str | os.PathLike[str], frame: pd.DataFrame) -> None:
    """Write atomically (a temporary file, then a rename): a run killed while writing
    leaves the previous file intact."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
