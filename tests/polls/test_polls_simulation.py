"""Simulation with a known truth: house effects recovered, 95% bands cover the walk 93-97%."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from polls_sim import fit_simulated

from unspoken.polls import simulate_polls

TRUE = {"A": -2.0, "B": 0.5, "C": 1.5}  # sums to zero: the sum-to-zero level is the truth


def _fit(seed: int, **kw):
    sim = simulate_polls(
        n_days=365,
        house_effects=TRUE,
        polls_per_pollster=150,
        sigma=0.25,
        extra_sd={"A": 1.0, "B": 0.0, "C": 0.5},
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_simulated(sim.polls, **kw)
    return sim, r


def test_simulate_is_reproducible() -> None:
    a = simulate_polls(seed=5)
    b = simulate_polls(seed=np.random.default_rng(5))
    assert a.polls.equals(b.polls)
    assert a.truth.equals(b.truth)
    assert set(a.polls["pollster"]) == {"A", "B", "C"}
    assert (a.polls["end"] >= a.polls["start"]).all()


def test_single_fit_recovers_house_effects() -> None:
    _sim, r = _fit(11)
    he = r.house_effects.set_index("pollster")
    for name, value in TRUE.items():
        assert abs(he.loc[name, "estimate"] - value) < 3 * he.loc[name, "std_error"]
    assert r.sigma == pytest.approx(0.25, rel=0.35)
    # extra SD of A (true 1.0) within 3 of its standard errors
    assert abs(he.loc["A", "extra_sd"] - 1.0) < 3 * he.loc["A", "extra_sd_se"]


@pytest.mark.slow
def test_coverage_of_bands_and_house_effects() -> None:
    reps = 40
    day_cover, he_err, he_cover, sig, tau = [], [], [], [], []
    for seed in range(reps):
        sim, r = _fit(1000 + seed)
        tr = r.trend.set_index("date")
        truth = sim.truth.set_index("date")["share"].reindex(tr.index)
        day_cover.append(((truth >= tr["ci_low"]) & (truth <= tr["ci_high"])).mean())
        he = r.house_effects.set_index("pollster")
        true = np.array([TRUE[k] for k in he.index])
        he_err.append(he["estimate"].to_numpy() - true)
        he_cover.append(np.abs(he["estimate"].to_numpy() - true) <= 1.96 * he["std_error"])
        sig.append(r.sigma)
        tau.append(he["extra_sd"].to_numpy())
    coverage = float(np.mean(day_cover))
    assert 0.93 <= coverage <= 0.97, coverage
    # house effects: unbiased (mean error within 3 Monte Carlo s.e.) and intervals honest
    err = np.array(he_err)
    mc_se = err.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(err.mean(axis=0)) < 3 * mc_se + 1e-9)
    assert 0.88 <= float(np.mean(he_cover)) <= 0.99
    assert float(np.mean(sig)) == pytest.approx(0.25, rel=0.1)
    # extra SDs: A (1.0) and C (0.5) recovered on average; B (0) is biased up by the boundary
    tau_mean = np.mean(tau, axis=0)
    assert tau_mean[0] == pytest.approx(1.0, abs=0.1)
    assert tau_mean[2] == pytest.approx(0.5, abs=0.1)
    assert tau_mean[1] < 0.35


@pytest.mark.slow
def test_anchor_on_indirect_estimate_gives_absolute_house_effects() -> None:
    """All pollsters overstate (+1, +3, +5 points); an indirect estimate with s.e. 2 points on
    one day anchors the level. House effects are then absolute and their intervals, which
    carry the anchor's uncertainty, cover the truth."""
    truth_he = {"A": 1.0, "B": 3.0, "C": 5.0}
    reps = 60
    z, cover, se_a = [], [], []
    for seed in range(reps):
        rng = np.random.default_rng(5000 + seed)
        sim = simulate_polls(
            n_days=365, house_effects=truth_he, polls_per_pollster=80, sigma=0.25, seed=rng
        )
        day = 180
        date = sim.truth["date"].iloc[day]
        indirect = sim.truth["share"].iloc[day] + rng.normal(0, 2.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fit_simulated(sim.polls, anchor=[(str(date.date()), indirect, 2.0)])
        he = r.house_effects.set_index("pollster")
        true = np.array([truth_he[k] for k in he.index])
        zz = (he["estimate"].to_numpy() - true) / he["std_error"].to_numpy()
        z.append(zz)
        cover.append(np.abs(zz) <= 1.96)
        se_a.append(he["std_error"].to_numpy())
    z = np.array(z)
    assert 0.90 <= float(np.mean(cover)) <= 0.99
    assert abs(float(z.mean())) < 3 * float(z.std()) / np.sqrt(reps)
    # the anchor's 2 points dominate the house-effect standard errors
    assert np.all(np.array(se_a) > 2.0)
