"""The gap with randomized response as the hidden estimator (the HiddenShare protocol)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken.falsification import HiddenShare


def rr_survey(n: int, seed: int, pi: float = 0.4, f: float = 0.3) -> pd.DataFrame:
    """Forced response (p = 2/3 truthful, 1/6 forced yes, 1/6 forced no) and a direct
    question of everyone; a share f of non-holders claim the trait directly."""
    rng = np.random.default_rng(seed)
    z = rng.random(n) < pi
    u = rng.random(n)
    rr = np.where(u < 2 / 3, z, u < 2 / 3 + 1 / 6).astype(int)
    direct = (z | (rng.random(n) < f)).astype(int)
    return pd.DataFrame({"rr": rr, "direct": direct, "g": rng.choice(["a", "b"], n)})


def test_rr_prevalence_gap_closed_form():
    df = rr_survey(1200, 1)
    fit = unspoken.rr_prevalence(df, "rr", "forced-known", p=2 / 3, p1=1 / 6)
    assert isinstance(fit, HiddenShare)
    res = unspoken.gap(df, direct="direct", hidden=fit)
    n = len(df)
    y, d = df["rr"].to_numpy(float), df["direct"].to_numpy(float)
    h = (y.mean() - 1 / 6) / (2 / 3)
    psi = (y - y.mean()) / n / (2 / 3) - (d - d.mean()) / n
    assert res.overall.hidden.estimate == pytest.approx(h, rel=1e-12)
    assert res.overall.gap.estimate == pytest.approx(h - d.mean(), rel=1e-12)
    assert res.overall.gap.std_error == pytest.approx(np.sqrt(n / (n - 1) * psi @ psi), rel=1e-10)
    assert res.overall.counts == {"direct": n, "hidden": n}
    by = unspoken.gap(df, direct="direct", hidden=fit, by="g")
    a = df[df.g == "a"]
    ya = a["rr"].to_numpy(float)
    row = dict((g["g"], r) for g, r in by.by)["a"]
    assert row.hidden.estimate == pytest.approx((ya.mean() - 1 / 6) / (2 / 3), rel=1e-12)


def test_rr_regression_gap_runs():
    df = rr_survey(1500, 2)
    df["x"] = np.random.default_rng(3).normal(size=len(df))
    fit = unspoken.rr_regression(df, "rr ~ x", "forced-known", p=2 / 3, p1=1 / 6)
    res = unspoken.gap(df, direct="direct", hidden=fit)
    assert res.overall.gap.std_error > 0
    assert res.hidden_label == "hidden"


@pytest.mark.slow
def test_rr_gap_coverage():
    hits, reps = 0, 500
    for r in range(reps):
        df = rr_survey(800, 100 + r)
        fit = unspoken.rr_prevalence(df, "rr", "forced-known", p=2 / 3, p1=1 / 6)
        g = unspoken.gap(df, direct="direct", hidden=fit).overall.gap
        hits += g.ci_low <= -0.6 * 0.3 <= g.ci_high
    assert 0.93 <= hits / reps <= 0.97, hits / reps
