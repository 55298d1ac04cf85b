"""Where the blocks of replications run: ``local`` (this process), ``processes``
(:class:`concurrent.futures.ProcessPoolExecutor` with the forkserver start method) or
``dask`` (a ``dask.distributed`` scheduler at ``address``, or a ``LocalCluster``).

A *block* (one cell, one child seed, a fixed number of replications) is the unit of
randomness; a *task* is a list of consecutive blocks sent to a worker together so that each
task costs well above the scheduling overhead. Tasks change nothing in the numbers: each
block is computed from its own seed wherever it runs.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np

from unspoken.diagnosis.grid import Cell
from unspoken.diagnosis.simulate import TABULATED, run_block
from unspoken.errors import UnsupportedError

__all__ = ["ENGINES", "Block", "block_size", "blocks_of", "run_tasks"]

ENGINES = ("local", "processes", "dask")
DASK_MISSING = (
    "engine='dask' needs Dask's distributed scheduler, which is not installed: "
    "pip install unspoken[dask]"
)

#: the work (seconds) in a block of replications and in a task: a Dask task costs a few
#: milliseconds to schedule and return, about 1% of this
BLOCK_SECONDS = 0.3

PROCESS_DIED = (
    "a worker process of engine='processes' died before finishing: out of memory, or a "
    "script calling diagnose at import time (workers start by importing the main module: put "
    'the call under `if __name__ == "__main__":`), or an estimator that cannot be pickled '
    "(a lambda or a local function: define it at module level)"
)


@dataclass(frozen=True)
class Block:
    cell_index: int
    block_index: int
    cell: Cell
    seed: np.random.SeedSequence
    reps: int


def _seconds_per_rep(cell: Cell, estimators: list[Any]) -> float:
    """A rough cost of one replication (seconds on one core, measured on a 2-core laptop-class
    machine: an ML fit of n respondents takes about 1.7 ms + 1 us per respondent), for sizing
    blocks and tasks."""
    if all(isinstance(e, str) and e in TABULATED for e in estimators):
        return 5e-7 * (cell.J + 2) ** (2 if cell.list == "double" else 1)
    cost = 1e-7 * cell.n * (1 + 1.5 * ("lm" in estimators))
    n_loop = sum(1 for e in estimators if e == "ml" or callable(e))
    return cost + n_loop * (0.0017 + 1e-6 * cell.n)


def block_size(cell: Cell, estimators: list[Any]) -> int:
    """Replications per block: about BLOCK_SECONDS of work (at most 20,000, at least 1),
    rounded to a multiple of 10. Fixed by the cell and estimators, never by the engine or the
    number of workers, so every engine draws the same numbers."""
    k = BLOCK_SECONDS / _seconds_per_rep(cell, estimators)
    return int(max(1, min(20_000, 10 * math.floor(k / 10) if k >= 10 else math.floor(k))))


def blocks_of(
    cells: list[Cell], estimators: list[Any], reps: int, seed: int, todo: list[int]
) -> list[Block]:
    """The blocks of the cells ``todo``: cell ``i`` gets the ``i``-th child of
    ``SeedSequence(seed)`` (grid order) and each of its blocks one child of that."""
    children = np.random.SeedSequence(seed).spawn(len(cells))
    out = []
    for i in todo:
        b = block_size(cells[i], estimators)
        k = math.ceil(reps / b)
        for j, ss in enumerate(children[i].spawn(k)):
            out.append(Block(i, j, cells[i], ss, min(b, reps - j * b)))
    return out


def run_task(blocks: list[Block], estimators: list[Any]) -> list[tuple[int, int, int, dict]]:
    """Run a task (top level, so that forkserver/spawn workers and Dask can pickle it).
    Each block's result carries ``cpu``, the CPU seconds of the thread that computed it."""
    out = []
    for b in blocks:
        t0 = time.thread_time()
        res = run_block(b.cell, estimators, b.seed, b.reps)
        res["cpu"] = time.thread_time() - t0
        out.append((b.cell_index, b.block_index, b.reps, res))
    return out


def _tasks(blocks: list[Block], estimators: list[Any], workers: int) -> list[list[Block]]:
    """Consecutive blocks grouped into tasks of about BLOCK_SECONDS of work, or fewer
    seconds when needed to give every worker at least four tasks."""
    costs = [b.reps * _seconds_per_rep(b.cell, estimators) for b in blocks]
    target = min(BLOCK_SECONDS, sum(costs) / max(1, 4 * workers))
    tasks: list[list[Block]] = []
    acc = math.inf
    for b, c in zip(blocks, costs, strict=True):
        if acc >= target:
            tasks.append([])
            acc = 0.0
        tasks[-1].append(b)
        acc += c
    return tasks


def _dask_client(address: Any, workers: int) -> tuple[Any, Any, bool]:
    """A client (and the LocalCluster it started, if any) and whether this run owns it."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UnsupportedError(DASK_MISSING, param="engine") from None
    if address is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1",
        )  # fmt: skip
        return Client(cluster), cluster, True
    if isinstance(address, Client):
        return address, None, False
    return Client(address), None, True


def _picklable(estimators: list[Any]) -> None:
    import pickle

    for e in estimators:
        try:
            pickle.dumps(e)
        except Exception:
            raise UnsupportedError(
                f"estimator {getattr(e, '__name__', e)!r} cannot be sent to worker processes "
                "(a lambda or a local function): define it at the top level of a module",
                param="estimators",
            ) from None


def run_tasks(
    blocks: list[Block],
    estimators: list[Any],
    engine: str,
    workers: int | None,
    address: Any = None,
) -> Iterator[tuple[int, int, int, dict]]:
    """Yield ``(cell, block, reps, result)`` as blocks finish, in whatever order the engine
    finishes them. An interrupted run (Ctrl-C) cancels the tasks not yet started."""
    if engine not in ENGINES:
        raise UnsupportedError(
            f"engine must be one of {', '.join(ENGINES)}, not {engine!r}", param="engine"
        )
    nw = max(1, int(workers or os.cpu_count() or 1))
    if engine == "local":
        for task in _tasks(blocks, estimators, 1):
            yield from run_task(task, estimators)
        return
    if engine == "processes":
        _picklable(estimators)
        pool = ProcessPoolExecutor(max_workers=nw, mp_context=get_context("forkserver"))
        try:
            futures = [pool.submit(run_task, t, estimators) for t in _tasks(blocks, estimators, nw)]
            for f in as_completed(futures):
                yield from f.result()
        except BrokenProcessPool:
            raise UnsupportedError(PROCESS_DIED, param="engine") from None
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return
    client, cluster, own = _dask_client(address, nw)
    try:
        from dask.distributed import as_completed as dask_completed

        threads = sum(client.nthreads().values()) or nw  # the cluster's single-threaded workers
        tasks = _tasks(blocks, estimators, threads)
        futures = [client.submit(run_task, t, estimators, pure=False) for t in tasks]
        try:
            for f in dask_completed(futures):
                yield from f.result()
        finally:
            client.cancel(futures)
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
