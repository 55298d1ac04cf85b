"""Benchmark: ``unspoken.multilevel_list(method="bayes")`` (issue 14), NUTS in NumPyro.

1. Timings of one fit (4 chains x 1000 draws after 1000 warm-up, the defaults) on
   - the data of benchmarks/multilevel.py: 3,000 respondents in 80 areas, a continuous
     covariate (every respondent a pattern of their own);
   - the synthetic regions survey: 5,200 respondents in 60 areas, ``y ~ C(age_group) +
     female``, with and without its direct question;
   each with the seconds of jit compilation, the whole run, the mean leapfrog steps per
   draw, the worst R-hat and bulk ESS, and |laplace - bayes| / posterior SD over the areas.
2. ``--coverage R``: R data sets of tests/multilevel/test_multilevel_direct_simulation.py
   (40 areas of 10-100 respondents), the list experiment alone fitted as ``y ~ 1`` (500
   warm-up iterations, 4 x ``--draws`` draws, 1000 by default): the share of areas whose
   95% credible interval covers the true hidden share (and the same for laplace's
   intervals), and the agreement.

Run: ``python benchmarks/multilevel_bayes.py`` (``--coverage 20``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import unspoken

HERE = Path(__file__).resolve().parent


def agreement(eb, fb, attr: str = "estimate") -> np.ndarray:
    """|EB estimate - posterior mean| / posterior SD over the areas."""
    e = np.array([getattr(a, attr).estimate for a in eb.areas])
    post = [getattr(a, attr) for a in fb.areas]
    return np.abs(e - [p.estimate for p in post]) / [p.std_error for p in post]


def timed(label: str, df, formula: str, **kw) -> None:
    t0 = time.perf_counter()
    eb = unspoken.multilevel_list(df, formula, **kw)
    t_eb = time.perf_counter() - t0
    t0 = time.perf_counter()
    fb = unspoken.multilevel_list(df, formula, **kw, method="bayes", seed=1)
    t_fb = time.perf_counter() - t0
    post, diag = fb.state["posterior"], fb.diagnostics
    quantities = ("estimate", "direct", "gap") if kw.get("direct") else ("estimate",)
    agree = ", ".join(
        f"{q.replace('estimate', 'hidden')} max {r.max():.3f} mean {r.mean():.3f}"
        for q in quantities
        for r in [agreement(eb, fb, q)]
    )
    print(
        f"{label}: laplace {t_eb:.1f} s; bayes {t_fb:.1f} s in all, sampler {post.seconds:.1f} s "
        f"of which jit compilation {post.seconds_compile:.1f} s; {post.mean_steps:.1f} "
        f"leapfrog steps per draw, {post.divergences} divergences; worst R-hat "
        f"{max(d['rhat'] for d in diag.values()):.4f}, lowest bulk ESS "
        f"{min(d['ess_bulk'] for d in diag.values()):.0f}; converged={fb.converged}; "
        f"|laplace - bayes| / posterior SD: {agree}",
        flush=True,
    )


def coverage(reps: int, draws: int = 1000) -> None:
    sys.path.insert(0, str(HERE.parent / "tests" / "multilevel"))
    from test_multilevel_direct_simulation import simulate

    rng = np.random.default_rng(20261208)
    cov, cov_eb, worst, mean = [], [], [], []
    t0 = time.perf_counter()
    for _ in range(reps):  # one NUTS fit per data set
        df, truth = simulate(rng)
        kw = {"J": 3, "area": "area", "min_n": 1}
        eb = unspoken.multilevel_list(df, "y ~ 1", "t", **kw)
        fb = unspoken.multilevel_list(
            df, "y ~ 1", "t", **kw, method="bayes", warmup=500, draws=draws, seed=1
        )
        tr = truth["hidden"].to_numpy()
        for fit, out in ((fb, cov), (eb, cov_eb)):
            fr = fit.area_frame()
            out.append(np.mean((fr["ci_low"] <= tr) & (tr <= fr["ci_high"])))
        r = agreement(eb, fb)
        worst.append(r.max())
        mean.append(r.mean())
    se = np.std(cov, ddof=1) / np.sqrt(reps) if reps > 1 else np.nan
    print(
        f"coverage, {reps} data sets of 40 areas, 4 x {draws} draws "
        f"({time.perf_counter() - t0:.0f} s): "
        f"bayes {np.mean(cov):.4f} (MC s.e. {se:.4f}), laplace {np.mean(cov_eb):.4f}; "
        f"|laplace - bayes| / posterior SD: worst "
        f"{np.max(worst):.3f}, mean of the per-data-set maxima {np.mean(worst):.3f} (above "
        f"0.1 in {np.sum(np.array(worst) > 0.1)} of {reps}), mean {np.mean(mean):.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--coverage", type=int, default=0, help="simulated data sets")
    ap.add_argument("--draws", type=int, default=1000, help="draws per chain (--coverage)")
    ap.add_argument("--skip-timings", action="store_true")
    args = ap.parse_args()
    if not args.skip_timings:
        sys.path.insert(0, str(HERE))
        from multilevel import data

        timed("3,000 respondents, 80 areas, y ~ x", data(), "y ~ x", treat="t", J=3, area="region")
        survey = unspoken.datasets.load("synthetic_regions_survey")
        kw = {"treat": "treat", "J": 3, "area": "region"}
        formula = "y ~ C(age_group) + female"
        timed("synthetic regions, 5,200 respondents, 60 areas", survey, formula, **kw)
        timed(
            "the same with its direct question",
            survey,
            formula,
            **kw,
            direct="say_support",
            support="yes",
            dk="drop",
        )
    if args.coverage:
        coverage(args.coverage, args.draws)


if __name__ == "__main__":
    main()
