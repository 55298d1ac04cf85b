"""Benchmark: pooling the Russian approval polls (``unspoken.polls.fit_polls``).

Prints, for each case, the number of polls and periods, the median wall time of a complete fit
(data checks, maximum likelihood of the variances, smoother, bands with the variance
correction) over several runs after one warm-up, and the peak memory traced during one fit.

Run: ``.venv/bin/python benchmarks/polls_fit.py``
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
import warnings

from unspoken import datasets
from unspoken.polls import fit_polls

N = {"Levada": 1600, "FOM": 1500, "VCIOM": 1600}


def run(label: str, df, repeats: int = 5, **kw) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_polls(df, "approve", "pollster", date="date", default_n=N, **kw)  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fit_polls(df, "approve", "pollster", date="date", default_n=N, **kw)
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        fit_polls(df, "approve", "pollster", date="date", default_n=N, **kw)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(
        f"{label:<44} polls={r.n_polls:>5} periods={len(r.trend):>5} "
        f"iterations={r.iterations:>3} median={statistics.median(times):.3f}s "
        f"min={min(times):.3f}s peak_mem={peak / 2**20:.1f} MiB"
    )


def main() -> None:
    df = datasets.load("putin_approval")
    recent = df[df["date"] >= "2012-01-01"]
    print("unspoken.polls benchmark (three pollsters: Levada, FOM, VCIOM)")
    run("2012-2020, weekly", recent, period="week", compare_scales=False)
    run("2012-2020, weekly, + hard-to-say comparison", recent, period="week", dk="hard_to_say")
    run("2012-2020, daily", recent, period="day", compare_scales=False)
    run("1999-2020, daily (7,680 days)", df, period="day", compare_scales=False, repeats=3)


if __name__ == "__main__":
    main()
