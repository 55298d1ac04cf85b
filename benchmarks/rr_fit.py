"""Randomized response regression: time and peak memory by sample size.

Run: .venv/bin/python benchmarks/rr_fit.py [--sizes 1000 10000 100000 1000000]
Prints one line per size: n, covariates, fit time (median of repeats), Newton steps, peak
memory of the fit (tracemalloc), and the time of the closed-form prevalence.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from unspoken.rr import rr_prevalence, rr_regression
from unspoken.simulate.rr import simulate_rr

BETA = [-1.0, 0.5, -0.5, 0.3, 0.2, -0.1]
FORMULA = "y ~ x1 + x2 + x3 + x4 + x5"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--design", default="crosswise")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    params = {"p": 0.2} if args.design != "forced-known" else {"p": 2 / 3, "p1": 1 / 6}
    print(f"design {args.design} {params}, formula {FORMULA}")
    warm = simulate_rr(500, args.design, BETA, seed=0, **params)
    rr_regression(warm, FORMULA, design=args.design, **params)  # imports, formula caches
    print(f"{'n':>9} {'fit_s':>8} {'steps':>6} {'peak_MB':>8} {'closed_s':>9} {'vcov':>6}")
    for n in args.sizes:
        df = simulate_rr(n, args.design, BETA, seed=1, **params)
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fit = rr_regression(df, FORMULA, design=args.design, **params)
            times.append(time.perf_counter() - t)
        tracemalloc.start()
        rr_regression(df, FORMULA, design=args.design, **params)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        t = time.perf_counter()
        rr_prevalence(df, "y", design=args.design, **params)
        tc = time.perf_counter() - t
        print(
            f"{n:>9} {np.median(times):>8.3f} {fit.iterations:>6} {peak:>8.1f} {tc:>9.4f} "
            f"{fit.vcov_type:>6}"
        )


if __name__ == "__main__":
    main()
