"""Data-generating process of pooled polls (Jackman's random walk with house effects).

The latent share follows a daily Gaussian random walk ``alpha_t = alpha_{t-1} + N(0, sigma^2)``
from ``level``. Pollster ``j`` fields polls at random (irregular) dates; a poll with fieldwork
days ``s..e`` targets ``mean(alpha_s..alpha_e) + delta_j + N(0, tau_j^2)`` and reports the
binomial share of ``n_j`` respondents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["SimulatedPolls", "simulate_polls"]


@dataclass
class SimulatedPolls:
    """``polls`` (pollster, start, end, share in percent, n), the true daily ``truth``
    (date, share in percent) and the true parameters (percentage points)."""

    polls: pd.DataFrame
    truth: pd.DataFrame
    house_effects: dict[str, float]
    extra_sd: dict[str, float]
    sigma: float
    params: dict[str, object] = field(default_factory=dict)


def simulate_polls(
    n_days: int = 730,
    house_effects: Mapping[str, float] | None = None,
    polls_per_pollster: int | Mapping[str, int] = 60,
    sigma: float = 0.25,
    level: float = 55.0,
    sample_size: int | Mapping[str, int] = 1000,
    extra_sd: float | Mapping[str, float] = 0.0,
    max_fieldwork_days: int = 5,
    start_date: str = "2020-01-01",
    seed: int | np.random.Generator | None = None,
) -> SimulatedPolls:
    """Simulate a latent daily series and polls of several pollsters (all in percent).

    ``house_effects`` maps pollster -> house effect in points (default three pollsters,
    -2, 0.5, 1.5); ``sigma`` is the daily innovation SD in points; ``extra_sd`` is each
    pollster's non-sampling SD in points; fieldwork lasts 1..``max_fieldwork_days`` days.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if house_effects is None:
        house_effects = {"A": -2.0, "B": 0.5, "C": 1.5}
    names = list(house_effects)

    def per(x: int | float | Mapping[str, float], name: str) -> float:
        return float(x[name]) if isinstance(x, Mapping) else float(x)

    steps = rng.normal(0.0, sigma, n_days - 1)
    alpha = level + np.concatenate([[0.0], np.cumsum(steps)])
    if alpha.min() < 2 or alpha.max() > 98:
        raise ValueError("the simulated walk left 2-98%; use a smaller sigma or fewer days")
    csum = np.concatenate([[0.0], np.cumsum(alpha)])
    rows = []
    for name in names:
        k = int(per(polls_per_pollster, name))
        length = rng.integers(1, max_fieldwork_days + 1, size=k)
        s = rng.integers(0, n_days - length + 1)
        e = s + length - 1
        target = (csum[e + 1] - csum[s]) / length + house_effects[name]
        target = target + rng.normal(0.0, per(extra_sd, name), size=k)
        p = np.clip(target / 100.0, 0.001, 0.999)
        n = int(per(sample_size, name))
        share = 100.0 * rng.binomial(n, p) / n
        rows.append(pd.DataFrame({"pollster": name, "s": s, "e": e, "share": share, "n": n}))
    df = pd.concat(rows, ignore_index=True).sort_values(["s", "pollster"], kind="stable")
    origin = pd.Timestamp(start_date)
    polls = pd.DataFrame(
        {
            "pollster": df["pollster"].to_numpy(),
            "start": origin + pd.to_timedelta(df["s"].to_numpy(), unit="D"),
            "end": origin + pd.to_timedelta(df["e"].to_numpy(), unit="D"),
            "share": df["share"].to_numpy(),
            "n": df["n"].to_numpy(),
        }
    )
    truth = pd.DataFrame(
        {"date": origin + pd.to_timedelta(np.arange(n_days), unit="D"), "share": alpha}
    )
    return SimulatedPolls(
        polls=polls,
        truth=truth,
        house_effects=dict(house_effects),
        extra_sd={nm: per(extra_sd, nm) for nm in names},
        sigma=sigma,
        params={"level": level, "n_days": n_days, "max_fieldwork_days": max_fieldwork_days},
    )
