"""Surveys with a list experiment and a direct question, with a known falsification rate.

Each respondent has a true attitude ``Z ~ Bernoulli(pi_g)`` in group ``g``. Asked directly,
supporters say "yes"; of the others a share ``f_g`` (the *falsification rate*) also say
"yes" because it is the safe answer, so the direct share is ``pi_g + (1 - pi_g) f_g`` and the
true gap (hidden - direct) is ``-(1 - pi_g) f_g``. A share ``dk_rate`` answer "hard to say"
whatever they think. The list count is the sum of ``J`` independent control items
(probabilities ``control_probs``) plus ``Z`` on the sensitive list, answered truthfully,
except that with probability ``deflation`` a respondent on a *long* list (sensitive or
placebo) reports one item fewer when the count is at least 1 (a design effect).

Layouts: ``"everyone"`` (direct question asked of all), ``"control"`` (of the control
group only), ``"separate"`` (a random share ``direct_fraction`` answer only the direct
question, the rest only the list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

SimLayout = Literal["everyone", "control", "separate"]


@dataclass
class GapTruth:
    """The population values behind a simulated gap survey (overall and by group)."""

    prevalence: float
    direct: float
    gap: float
    by_group: dict[Any, dict[str, float]] = field(default_factory=dict)
    placebo: dict[str, float] = field(default_factory=dict)


def _as_array(x: float | Sequence[float], k: int, name: str) -> np.ndarray:
    a = np.atleast_1d(np.asarray(x, dtype=float))
    if a.size == 1:
        a = np.repeat(a, k)
    if a.size != k:
        raise ValueError(f"{name} needs one value per group ({k}), got {a.size}")
    return a


def simulate_gap(
    n: int = 2000,
    *,
    J: int = 4,
    prevalence: float | Sequence[float] = 0.6,
    falsification: float | Sequence[float] = 0.25,
    layout: SimLayout = "everyone",
    control_probs: Sequence[float] | None = None,
    p_treat: float = 0.5,
    direct_fraction: float = 1 / 3,
    dk_rate: float = 0.0,
    categories: bool = False,
    groups: Sequence[str] | None = None,
    group_probs: Sequence[float] | None = None,
    deflation: float = 0.0,
    placebo_fraction: float = 0.0,
    placebo_prevalence: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, GapTruth]:
    """Draw one survey; returns ``(data, truth)``.

    Columns: ``y`` (list count, NaN if not asked), ``treat`` (1 sensitive list, 0 otherwise;
    NaN if not in the list part), ``direct`` (1/0, or "hard to say"; with ``categories`` the
    answers definitely / rather / rather not / definitely not / hard to say), ``group`` (when
    ``groups`` are given), and with a placebo arm ``placebo`` (1 = placebo list) and
    ``placebo_direct`` (the innocuous item asked directly of everyone, answered truthfully).
    ``truth.gap`` is the gap among respondents giving a substantive answer; with
    ``dk_rate = 0`` it is the gap, full stop.
    """
    rng = np.random.default_rng(seed)
    probs = np.array([0.5, 0.3, 0.7, 0.4, 0.6, 0.2][:J] if control_probs is None else
                     control_probs, dtype=float)  # fmt: skip
    if probs.size != J:
        raise ValueError(f"control_probs needs {J} values")
    labels = list(groups) if groups is not None else [None]
    k = len(labels)
    gp = np.full(k, 1 / k) if group_probs is None else np.asarray(group_probs, float)
    pi = _as_array(prevalence, k, "prevalence")
    f = _as_array(falsification, k, "falsification")
    g = rng.choice(k, size=n, p=gp / gp.sum())
    z = rng.random(n) < pi[g]
    says_yes = z | (rng.random(n) < f[g])
    dk = rng.random(n) < dk_rate
    # arms: 0 control, 1 sensitive, 2 placebo
    u = rng.random(n)
    arm = np.where(u < placebo_fraction, 2, np.where(rng.random(n) < p_treat, 1, 0))
    items = (rng.random((n, J)) < probs[None, :]).sum(axis=1)
    zp = rng.random(n) < placebo_prevalence
    y = items + np.where(arm == 1, z, 0) + np.where(arm == 2, zp, 0)
    shrink = (arm > 0) & (y >= 1) & (rng.random(n) < deflation)
    y = (y - shrink).astype(float)
    treat = (arm == 1).astype(float)
    if layout == "everyone":
        asked_direct = np.ones(n, dtype=bool)
        in_list = np.ones(n, dtype=bool)
    elif layout == "control":
        in_list = np.ones(n, dtype=bool)
        asked_direct = arm == 0
    elif layout == "separate":
        asked_direct = rng.random(n) < direct_fraction
        in_list = ~asked_direct
    else:
        raise ValueError(f"unknown layout {layout!r}")
    if categories:
        strong = rng.random(n) < 0.55
        answer = np.where(
            says_yes,
            np.where(strong, "definitely", "rather"),
            np.where(strong, "definitely not", "rather not"),
        ).astype(object)
        answer[dk] = "hard to say"
    else:
        answer = says_yes.astype(float).astype(object)
        answer[dk] = "hard to say"
    answer[~asked_direct] = None
    df = pd.DataFrame(
        {
            "y": np.where(in_list, y, np.nan),
            "treat": np.where(in_list, treat, np.nan),
            "direct": answer,
        }
    )
    if placebo_fraction > 0:
        df["placebo"] = np.where(in_list, (arm == 2).astype(float), np.nan)
        df["placebo_direct"] = zp.astype(float)
    if groups is not None:
        df["group"] = np.asarray(labels, dtype=object)[g]
    # truth
    w = gp / gp.sum()
    direct_g = pi + (1 - pi) * f
    prev = float(w @ pi)
    dshare = float(w @ direct_g)
    truth = GapTruth(prevalence=prev, direct=dshare, gap=prev - dshare)
    if groups is not None:
        truth.by_group = {
            lab: {"prevalence": pi[j], "direct": direct_g[j], "gap": pi[j] - direct_g[j]}
            for j, lab in enumerate(labels)
        }
    if placebo_fraction > 0:
        p0 = float(np.prod(1 - probs))  # P(no control item)
        shrink_s = deflation * (1 - p0 * (1 - prev))
        shrink_p = deflation * (1 - p0 * (1 - placebo_prevalence))
        truth.placebo = {
            "prevalence": placebo_prevalence,
            "list_expected": prev - shrink_s,
            "placebo_expected": placebo_prevalence - shrink_p,
            "deflation": -shrink_p,
            "gap_corrected_expected": prev - shrink_s + shrink_p - dshare,
        }
    return df, truth


def make_placebo_example(seed: int = 2022) -> pd.DataFrame:
    """The bundled ``gap_placebo`` data set: a simulated survey with a list experiment, a
    placebo list and a direct question with several answer categories.

    3,000 respondents, a third each on the control list (J = 4), the sensitive list and a
    placebo list whose extra item is innocuous with known prevalence 0.5 (also asked
    directly: ``placebo_direct``). The direct question has the answers definitely / rather /
    rather not / definitely not / hard to say; 8% say "hard to say". ``news`` is the main
    news source: "TV" (55%; true support 0.58, falsification 0.40) or "internet" (true
    support 0.50, falsification 0.15). Long lists lose one item with probability 0.1.
    """
    df, _ = simulate_gap(
        3000,
        J=4,
        prevalence=[0.58, 0.50],
        falsification=[0.40, 0.15],
        groups=["TV", "internet"],
        group_probs=[0.55, 0.45],
        categories=True,
        dk_rate=0.08,
        placebo_fraction=1 / 3,
        placebo_prevalence=0.5,
        deflation=0.1,
        p_treat=0.5,
        seed=seed,
    )
    out = pd.DataFrame(
        {
            "id": np.arange(1, len(df) + 1),
            "news": df["group"],
            "count": df["y"].astype(int),
            "treat": df["treat"].astype(int),
            "placebo": df["placebo"].astype(int),
            "support": df["direct"],
            "placebo_direct": df["placebo_direct"].astype(int),
        }
    )
    return out
