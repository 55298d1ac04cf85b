"""Benchmark: list-experiment variants beyond the standard design at n = 100,000.

Times the public call of each model (validation, design matrices, fit, variance,
prevalence) on simulated data with two covariates (x1 continuous, x2 binary), and reports
the iterations, the largest score at the end and the peak of Python allocations during the
call (tracemalloc). Every ML variant is vectorised over respondents.
Run: ``python benchmarks/list_variants.py`` (``--n 20000`` for another size).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from unspoken.listexp.ceiling_floor import fit_ceiling_floor
from unspoken.listexp.double import double_list_experiment
from unspoken.listexp.errors import fit_response_error
from unspoken.listexp.multi import fit_multi
from unspoken.listexp.overdispersed import fit_overdispersed
from unspoken.simulate.double_list import simulate_double_list
from unspoken.simulate.list_variants import (
    simulate_liars,
    simulate_multi,
    simulate_overdispersed,
    simulate_response_error,
)


def cases(n: int):
    f = "y ~ x1 + x2"
    multi = simulate_multi(n, seed=1)[0]
    liars = simulate_liars(n, seed=2)[0]
    top = simulate_response_error(n, error="topcoded", seed=3)[0]
    uni = simulate_response_error(n, error="uniform", seed=4)[0]
    od = simulate_overdispersed(n, seed=5)[0]
    dbl = simulate_double_list(n, seed=6)[0]
    yield "multi lm (2 items)", lambda: fit_multi(multi, f, "treat", 3, method="lm")
    yield "multi nls (2 items)", lambda: fit_multi(multi, f, "treat", 3, method="nls")
    yield "multi ml, condition none", lambda: fit_multi(multi, f, "treat", 3, method="ml")
    yield (
        "multi ml, condition level",
        lambda: fit_multi(multi, f, "treat", 3, method="ml", multi_condition="level"),
    )
    yield (
        "ceiling + floor (glm, ~1)",
        lambda: fit_ceiling_floor(liars, f, "treat", 3, ceiling=True, floor=True),
    )
    yield (
        "ceiling + floor (bayesglm, ~x1+x2)",
        lambda: fit_ceiling_floor(
            liars,
            f,
            "treat",
            3,
            ceiling=True,
            floor=True,
            fit="bayesglm",
            ceiling_formula="~ x1 + x2",
            floor_formula="~ x1 + x2",
        ),
    )
    yield "top-coded error ML", lambda: fit_response_error(top, f, "treat", 3, error="topcoded")
    yield "uniform error ML", lambda: fit_response_error(uni, f, "treat", 3, error="uniform")
    yield (
        "top-coded error ML, robust",
        lambda: fit_response_error(top, f, "treat", 3, error="topcoded", robust=True),
    )
    yield "overdispersed (beta-binomial)", lambda: fit_overdispersed(od, f, "treat", 4)
    yield (
        "double list, pooled, ~age+female",
        lambda: double_list_experiment(dbl, "y1", "y2", "long1", formula="~ age + female"),
    )
    yield (
        "double list, survey design",
        lambda: double_list_experiment(
            dbl, "y1", "y2", "long1", weights="weight", cluster="psu", strata="stratum"
        ),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    for _, call in cases(2000):  # warm-up: imports are not part of a fit
        call()
    print(f"n = {args.n:,}")
    print(
        f"{'model':<38} {'seconds':>8} {'iter':>5} {'|grad|':>9} {'peak MB':>8} {'prevalence':>11}"
    )
    for name, call in cases(args.n):
        tracemalloc.start()
        t0 = time.perf_counter()
        fit = call()
        dt = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        prev = fit.prevalence
        p = prev[0].estimate if isinstance(prev, list) else prev.estimate
        g = "" if fit.gradient_norm is None else f"{fit.gradient_norm:.1e}"
        print(f"{name:<38} {dt:>8.2f} {fit.iterations:>5} {g:>9} {peak:>8.0f} {p:>11.4f}")


if __name__ == "__main__":
    main()
