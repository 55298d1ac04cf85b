"""Benchmark: constrained maximum likelihood of the standard list experiment.

For n = 10,000, 100,000 and 1,000,000 simulated respondents (J = 4, five continuous
covariates, so no rows can be compressed) prints the wall time of the whole public call
``list_experiment(...)`` (validation, design matrix, fit, variance, prevalence), of the ML
fit alone, the EM and Newton iterations and the peak memory (tracemalloc: the peak of Python
allocations during the call, data set excluded) and the process's peak resident memory so
far (getrusage; includes the simulated data and the interpreter).
Run: ``python benchmarks/list_ml.py`` (``--sizes 10000 100000`` to choose sizes).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from unspoken.listexp import list_experiment
from unspoken.listexp.ml import ml_core
from unspoken.simulate.listexp import simulate_list

DELTA = [-1.0, 0.5, -0.3, 0.2, 0.0, 0.4]
PSI = [0.0, 0.3, 0.2, -0.2, 0.1, 0.0]
COVS = ["x1", "x2", "x3", "x4", "x5"]


def run(n: int, seed: int = 1) -> dict:
    df = simulate_list(n, 4, DELTA, PSI, seed=seed)
    formula = "y ~ " + " + ".join(COVS)
    tracemalloc.start()
    t0 = time.perf_counter()
    fit = list_experiment(df, formula, treat="treat", J=4, method="ml")
    total = time.perf_counter() - t0
    peak_api = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    X = np.column_stack([np.ones(n), df[COVS].to_numpy()])
    tracemalloc.start()
    t0 = time.perf_counter()
    core = ml_core(df["y"].to_numpy(), df["treat"].to_numpy(), X, ["Intercept", *COVS], 4, None)
    core_time = time.perf_counter() - t0
    peak_core = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert fit.converged and core.converged
    return {
        "n": n,
        "total_s": total,
        "fit_s": core_time,
        "em": fit.extra["em_iterations"],
        "newton": fit.extra["newton_iterations"],
        "peak_mb_api": peak_api / 2**20,
        "peak_mb_fit": peak_core / 2**20,
        "prevalence": fit.prevalence.estimate,
        "truth": df.attrs["prevalence"],
        "grad": fit.gradient_norm,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = ap.parse_args()
    run(2_000)  # warm-up: imports (formulaic, scipy.optimize) are not part of a fit
    print(
        f"{'n':>10} {'total s':>8} {'fit s':>7} {'EM':>3} {'Newton':>6} "
        f"{'peak MB (call)':>14} {'peak MB (fit)':>13} {'prevalence':>10} {'truth':>7} "
        f"{'|grad|':>8} {'max RSS MB':>10}"
    )
    for n in args.sizes:
        r = run(n)
        print(
            f"{r['n']:>10,} {r['total_s']:>8.2f} {r['fit_s']:>7.2f} {r['em']:>3} "
            f"{r['newton']:>6} {r['peak_mb_api']:>14.0f} {r['peak_mb_fit']:>13.0f} "
            f"{r['prevalence']:>10.4f} {r['truth']:>7.4f} {r['grad']:>8.1e} "
            f"{r['rss_mb']:>10.0f}"
        )


if __name__ == "__main__":
    main()
