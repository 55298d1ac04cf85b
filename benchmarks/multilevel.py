"""Benchmark: ``unspoken.multilevel_list(method="laplace")`` (issue 14).

1. The fit on 3,000 respondents in 80 areas (one continuous covariate, so no two
   respondents share a pattern; J = 3; random intercepts in both models), with 7 x 7
   quadrature nodes (the default) and 5 x 5: the best wall time of ``--repeat`` runs (goal
   < 2 s) and the peak of Python allocations (tracemalloc) of one fit, then the process's
   peak resident memory.
   The same data with a direct question asked of everyone (the joint model, 3 dimensions
   of area effects, 5 x 5 x 5 nodes).
2. ``--sim R``: the long version of the coverage simulation of
   tests/multilevel/test_multilevel_simulation.py (R data sets of 80 areas of 10–100
   respondents): coverage of the areas' 95% intervals and the RMSEs of the model, no pooling
   and complete pooling. ``--sim-direct R``: the long version of
   tests/multilevel/test_multilevel_direct_simulation.py (40 areas, hidden share, direct
   share and gap).

Run: ``python benchmarks/multilevel.py`` (``--repeat 3 --sim 1000 --sim-direct 400``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

import unspoken


def data(seed: int = 1, n: int = 3000, areas: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    area = rng.integers(0, areas, n)
    u, v = rng.normal(0, 0.6, areas), rng.normal(0, 0.3, areas)
    t = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    z = rng.random(n) < expit(-0.5 + 0.5 * x + u[area])
    c = rng.binomial(3, expit(0.2 + 0.3 * x + v[area]))
    return pd.DataFrame({"y": c + t * z, "t": t, "x": x, "region": [f"r{a:02d}" for a in area]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sim", type=int, default=0, help="replications of the simulation")
    ap.add_argument("--sim-direct", type=int, default=0, help="... of the direct-question one")
    args = ap.parse_args()
    df = data()
    unspoken.multilevel_list(df.head(300), "y ~ x", "t", J=3, area="region")  # imports
    for nodes in (7, 5):
        best, fit = float("inf"), None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fit = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="region", nodes=nodes)
            best = min(best, time.perf_counter() - t0)
        tracemalloc.start()
        unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="region", nodes=nodes)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        sd = fit.sd
        print(
            f"laplace fit, 3,000 respondents in 80 areas, {nodes} x {nodes} nodes: "
            f"{best:.3f} s (best of {args.repeat}; goal < 2 s), peak Python allocations "
            f"{peak / 2**20:.1f} MiB; converged={fit.converged}, iterations={fit.iterations}, "
            f"SDs {sd['sensitive'].estimate:.3f} / {sd['control'].estimate:.3f}"
        )
    rng = np.random.default_rng(2)
    df["d"] = (rng.random(len(df)) < 0.6).astype(int)
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fit = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="region", direct="d")
        best = min(best, time.perf_counter() - t0)
    print(
        f"laplace fit with a direct question asked of everyone, 3,000 respondents in 80 areas, "
        f"{fit.nodes}^3 nodes: {best:.3f} s (best of {args.repeat}); converged={fit.converged}"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {rss:.0f} MiB")
    if args.sim:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "multilevel"))
        from test_multilevel_simulation import one_replication

        rng = np.random.default_rng(20261205)
        t0 = time.perf_counter()
        out = np.array([one_replication(rng) for _ in range(args.sim)])
        cov, r_model, r_none, r_complete = out.mean(0)
        se = out[:, 0].std(ddof=1) / np.sqrt(len(out))
        print(
            f"simulation, {args.sim} data sets of 80 areas ({time.perf_counter() - t0:.0f} s): "
            f"coverage {cov:.4f} (MC s.e. {se:.4f}); RMSE model {r_model:.4f}, "
            f"no pooling {r_none:.4f}, complete pooling {r_complete:.4f}"
        )

    if args.sim_direct:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "multilevel"))
        from test_multilevel_direct_simulation import one_replication as one_direct

        rng = np.random.default_rng(20261206)
        t0 = time.perf_counter()
        res = np.array([one_direct(rng) for _ in range(args.sim_direct)])
        print(f"simulation with a direct question, {args.sim_direct} data sets of 40 areas "
              f"({time.perf_counter() - t0:.0f} s):")  # fmt: skip
        for i, q in enumerate(("hidden share", "direct share", "gap")):
            cov, r_model, r_none, r_complete = res[:, 4 * i : 4 * i + 4].mean(0)
            se = res[:, 4 * i].std(ddof=1) / np.sqrt(len(res))
            print(f"  {q}: coverage {cov:.4f} (MC s.e. {se:.4f}); RMSE model {r_model:.4f}, "
                  f"no pooling {r_none:.4f}, complete pooling {r_complete:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
