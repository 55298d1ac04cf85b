"""Benchmark: ``unspoken.diagnose`` on each engine.

1. A grid of ML fits (20 designs x 200 replications = 4,000 maximum likelihood fits of the
   binomial list model with one covariate, n from 400 to 2,000): the throughput (fits per
   second, wall time of the whole call) of ``engine="local"`` (one process),
   ``"processes"`` (2 workers, pool start-up included) and ``"dask"`` (a LocalCluster of 2
   worker processes started beforehand, as a real cluster would be; its start-up time is
   printed apart), the speed-ups over local, and the Dask overhead against the process pool.
   The three tables are checked to be bit-identical.
2. 10,000 difference-in-means replications of one design (n = 1,000): wall time and the
   peak of Python allocations (tracemalloc), then the process's peak resident memory.

Run: ``python benchmarks/diagnose.py`` (``--reps 200 --workers 2``). On a machine shared with
other work the times vary from run to run; take the best of ``--repeat`` runs. The workers'
CPU seconds (time spent simulating, whatever the load) show what each engine adds to the work.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

import pandas as pd

import unspoken

GRID = {"n": [400, 800, 1200, 1600, 2000], "prevalence": [0.1, 0.2], "covariate": [0.0, 0.5]}


def _best(f, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    fits = 20 * a.reps

    def run(engine: str, **kw):
        return unspoken.diagnose(GRID, "ml", reps=a.reps, seed=1, engine=engine, **kw)

    print(f"{os.cpu_count()} CPUs, {_load()} (other work on the machine slows every engine)")
    t_local, local = _best(lambda: run("local"), a.repeat)
    t_proc, proc = _best(lambda: run("processes", workers=a.workers), a.repeat)
    from dask.distributed import LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1",
    )  # fmt: skip
    t_start = time.perf_counter() - t0
    try:
        t_dask, dask = _best(lambda: run("dask", address=cluster.scheduler_address), a.repeat)
    finally:
        cluster.close()
    for res in (proc, dask):
        pd.testing.assert_frame_equal(res.table, local.table, check_exact=True)  # type: ignore[attr-defined]
    print(f"ML grid: 20 designs x {a.reps} replications = {fits:,} fits (tables bit-identical)")
    print(f"{'engine':<28}{'seconds':>9}{'fits/s':>9}{'speed-up':>10}{'worker CPU s':>14}")
    for name, t, res in (
        ("local (1 process)", t_local, local),
        (f"processes ({a.workers})", t_proc, proc),
        (f"dask LocalCluster ({a.workers})", t_dask, dask),
    ):
        cpu = res.extra["worker_cpu_seconds"]  # type: ignore[attr-defined]
        print(f"{name:<28}{t:>9.2f}{fits / t:>9.0f}{t_local / t:>9.2f}x{cpu:>14.2f}")
    print(f"Dask time over the process pool: {100 * (t_dask / t_proc - 1):+.1f}%")
    print(f"(LocalCluster start-up, not included above: {t_start:.2f} s); {_load()}")

    unspoken.diagnose({"n": 1000}, "dim", reps=100, seed=2)  # imports, caches
    tracemalloc.start()
    t_dim, _ = _best(lambda: unspoken.diagnose({"n": 1000}, "dim", reps=10_000, seed=2), 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t_plain, _ = _best(lambda: unspoken.diagnose({"n": 1000}, "dim", reps=10_000, seed=2), 3)
    print(
        f"10,000 DiM replications of one design (n = 1,000): {t_plain:.3f} s "
        f"({t_dim:.3f} s under tracemalloc), peak Python allocations {peak / 2**20:.1f} MiB"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
