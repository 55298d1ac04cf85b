"""``unspoken.diagnose``: simulate every design of a grid with every estimator and report
the diagnosands (power, bias, RMSE, coverage, ...) with their Monte Carlo standard errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from unspoken.diagnosis.diagnosands import diagnosands
from unspoken.diagnosis.engines import blocks_of, run_tasks
from unspoken.diagnosis.grid import PARAMETERS, Cell, make_grid
from unspoken.diagnosis.results import DiagnoseResult
from unspoken.diagnosis.resume import cell_key, read_done, write_rows
from unspoken.diagnosis.simulate import check_estimators, estimator_name, truth_of
from unspoken.errors import UnsupportedError
from unspoken.results import check_level

__all__ = ["diagnose"]

MAX_REPS = 1_000_000


def families(cells: list[Cell]) -> list[str]:
    """A label per cell naming its design family: the parameters other than ``n`` that vary
    over the grid (``"all designs"`` when only ``n`` varies)."""
    varying = [p for p in PARAMETERS if p != "n" and len({getattr(c, p) for c in cells}) > 1]
    if not varying:
        return ["all designs"] * len(cells)
    return [", ".join(f"{p}={getattr(c, p)!s}" for p in varying) for c in cells]


def _seed(seed: Any, done: pd.DataFrame | None) -> int:
    from unspoken.inference.covariance import _whole_number

    if seed is None:
        if done is not None and len(done):
            return int(done["seed"].iloc[0])
        return int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]
    k = _whole_number(seed)
    if k is None or k < 0:
        raise UnsupportedError(f"seed must be a whole number >= 0 (or None), not {seed!r}",
                               param="seed")  # fmt: skip
    return k


def diagnose(
    designs: Any,
    estimators: str | Callable[..., Any] | list[Any] = "dim",
    reps: int = 500,
    seed: int | None = None,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: Any = None,
    out: Any = None,
    level: float = 0.95,
    null: float = 0.0,
    target: float = 0.8,
    progress: bool | None = None,
) -> DiagnoseResult:
    """Diagnose every design of ``designs`` with every estimator by simulation.

    ``designs``: a dict of lists (every combination), or a DataFrame or list of dicts (one
    design per row) of
    the parameters of :class:`unspoken.diagnosis.grid.Cell` (``n``, ``treated_share``,
    ``J``, ``control_prob``, ``rho``, ``prevalence``, ``deflation``, ``floor``, ``ceiling``,
    ``dk_rate``, ``direct``, ``falsification``, ``list``, ``placebo_prevalence``,
    ``covariate``). ``estimators``: names among ``dim``, ``lm``, ``ml``, ``double``, ``gap``,
    ``placebo``, or callables taking one simulated survey (a DataFrame with ``y``, ``arm``,
    ``x``, and ``yb``/``direct`` when the design has them) and returning
    ``(estimate, std_error)``. ``reps`` surveys per design; ``seed`` makes the run
    reproducible: cell ``i`` gets child ``i`` of ``SeedSequence(seed)``, each block of
    replications a child of that, so every ``engine`` (``"local"``, ``"processes"``,
    ``"dask"``) and any ``workers`` give identical numbers. ``address``: a Dask scheduler
    (``tcp://host:8786``) or ``Client``; without it ``engine="dask"`` starts a
    ``LocalCluster``. ``out``: a Parquet file written as cells finish; a rerun skips the cells
    already there. ``level``: the intervals' level (coverage) and ``1 - level`` the test of
    ``null`` (power). ``target``: the power the ranking asks for. ``progress``: a progress
    bar of replications and cells done (default: when stderr is a terminal).
    """
    from unspoken.power.simulation import _progress

    t0 = time.perf_counter()
    cells = make_grid(designs)
    ests = check_estimators(estimators, cells)
    names = [estimator_name(e) for e in ests]
    if (
        isinstance(reps, bool)
        or not isinstance(reps, int | np.integer)
        or not 2 <= reps <= MAX_REPS
    ):
        raise UnsupportedError(
            f"reps must be a whole number from 2 to {MAX_REPS:,}, not {reps!r}", param="reps"
        )
    reps = int(reps)
    level = check_level(level)
    target = check_level(target, "target", 0.8)
    try:
        null = float(null)
    except (TypeError, ValueError):
        raise UnsupportedError(f"null must be a number, not {null!r}", param="null") from None
    done = read_done(out)
    seed_i = _seed(seed, done)
    keys = [cell_key(i, c, names, reps, seed_i, level, null) for i, c in enumerate(cells)]
    kept = pd.DataFrame()
    if done is not None:
        foreign = set(done["key"]) - set(keys)
        if foreign:
            raise UnsupportedError(
                f"out={str(out)!r} holds results of another run (a different grid, estimators, "
                "reps, seed, level or null); remove it or choose another path to start afresh",
                param="out",
            )
        kept = done
    finished = set(kept["key"]) if len(kept) else set()
    todo = [i for i, k in enumerate(keys) if k not in finished]
    blocks = blocks_of(cells, ests, reps, seed_i, todo)
    fam = families(cells)
    parts: dict[int, dict[int, tuple[int, dict]]] = {i: {} for i in todo}
    n_blocks = {i: 0 for i in todo}
    for b in blocks:
        n_blocks[b.cell_index] += 1
    rows: list[dict[str, Any]] = kept.to_dict("records") if len(kept) else []
    bar = _progress(progress, len(todo) * reps)
    last_write = time.monotonic()
    cells_done = 0
    cpu = 0.0
    try:
        for ci, bi, r, res in run_tasks(blocks, ests, engine, workers, address):
            parts[ci][bi] = (r, res)
            cpu += res.get("cpu", 0.0)
            if bar is not None:
                bar[0].update(bar[1], advance=r)
            if len(parts[ci]) < n_blocks[ci]:
                continue
            rows.extend(_cell_rows(ci, cells[ci], fam[ci], parts.pop(ci), ests, names,
                                   level, null, seed_i, keys[ci]))  # fmt: skip
            cells_done += 1
            if bar is not None:
                bar[0].update(bar[1], description=f"{cells_done}/{len(todo)} cells")
            if out is not None and (time.monotonic() - last_write > 1 or not parts):
                write_rows(out, _frame(rows))
                last_write = time.monotonic()
    finally:
        if bar is not None:
            bar[0].stop()
        if out is not None and rows:
            write_rows(out, _frame(rows))
    return DiagnoseResult(
        _frame(rows),
        names,
        reps,
        seed_i,
        level,
        null,
        engine,
        seconds=time.perf_counter() - t0,
        resumed=len(cells) - len(todo),
        target=target,
        extra={"worker_cpu_seconds": cpu},
    )


def _cell_rows(ci: int, cell: Cell, family: str, blocks: dict[int, tuple[int, dict]],
               ests: list[Any], names: list[str], level: float, null: float, seed: int,
               key: str) -> list[dict[str, Any]]:  # fmt: skip
    order = [blocks[j][1] for j in sorted(blocks)]
    floor = np.concatenate([b["floor"] for b in order])
    ceiling = np.concatenate([b["ceiling"] for b in order])
    out = []
    for e, name in zip(ests, names, strict=True):
        est = np.concatenate([b["est"][name] for b in order])
        se = np.concatenate([b["se"][name] for b in order])
        d = diagnosands(est, se, floor, ceiling, truth_of(e, cell), null, level)
        out.append({"cell": ci, "family": family, **cell.key(), "estimator": name, **d,
                    "seed": seed, "key": key})  # fmt: skip
    return out


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values(["cell"], kind="stable").reset_index(drop=True)
    return frame
