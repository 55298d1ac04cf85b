"""Simulation-based power: agreement with the analytic formulas within Monte Carlo error."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import unspoken
from unspoken.errors import UnsupportedError
from unspoken.power import gap_power, list_power, simulate_power


def _sd_tolerance(reps: int) -> float:
    # relative s.e. of a sample s.d. from `reps` normal draws is about 1/sqrt(2 reps)
    return 4 / math.sqrt(2 * reps)


@pytest.mark.parametrize(
    ("J", "p", "pi", "pi0", "n", "share", "alt"),
    [
        (4, 0.5, 0.2, 0.1, 2000, 0.5, "two.sided"),
        (3, 0.3, 0.15, 0.05, 1500, 0.6, "one.sided"),
    ],
)
def test_simulated_dim_power_and_spread_match_analytic(J, p, pi, pi0, n, share, alt):
    reps = 3000
    sim = simulate_power(
        "dim", n=n, reps=reps, seed=11, J=J, prevalence=pi, null=pi0, control_probs=p,
        treated_share=share, alternative=alt, progress=False,
    )  # fmt: skip
    ana = list_power(J, pi, pi0, control_mean=J * p, n=n, treated_share=share, alternative=alt)
    assert 0.2 < ana.power < 0.95  # a range where the comparison has teeth
    assert abs(sim.power - ana.power) < 3.5 * math.sqrt(ana.power * (1 - ana.power) / reps)
    assert abs(sim.sd_estimate / ana.std_error - 1) < _sd_tolerance(reps)
    assert abs(sim.mean_std_error / ana.std_error - 1) < 0.02
    assert abs(sim.mean_estimate - pi) < 4 * ana.std_error / math.sqrt(reps)
    assert sim.failures == 0


def test_simulated_gap_power_matches_analytic_falsification_link():
    """The gap DGP (everyone asked directly; supporters say yes, a share f of the others too)
    is the falsification link: its simulated power and spread match gap_power."""
    reps, n, pi, d = 3000, 2500, 0.61, 0.71
    probs = [0.5, 0.3, 0.7, 0.4]
    v0 = float(sum(q * (1 - q) for q in probs))
    sim = simulate_power(
        "gap", n=n, reps=reps, seed=5, design="gap", J=4, prevalence=pi, direct_share=d,
        control_probs=probs, progress=False,
    )  # fmt: skip
    ana = gap_power(4, prevalence=pi, direct_share=d, control_var=v0, n=n)
    assert abs(sim.truth - (-0.10)) < 1e-12
    assert abs(sim.power - ana.power) < 3.5 * math.sqrt(ana.power * (1 - ana.power) / reps)
    assert abs(sim.sd_estimate / ana.std_error - 1) < _sd_tolerance(reps)
    # the worst-case link would be visibly wrong here
    worst = gap_power(4, prevalence=pi, direct_share=d, control_var=v0, n=n,
                      direct_link="conservative")  # fmt: skip
    assert sim.sd_estimate / worst.std_error - 1 < -_sd_tolerance(reps)


def test_simulated_ml_power_with_covariates_and_a_callable():
    sim = simulate_power(
        "ml", n=800, reps=8, seed=3, J=3, delta=[-1.0, 0.5], psi=[0.0, 0.3],
        formula="y ~ x1", progress=False,
    )  # fmt: skip
    assert sim.failures == 0 and 0.2 < sim.truth < 0.35
    assert abs(sim.mean_estimate - sim.truth) < 4 * sim.sd_estimate / math.sqrt(8) + 0.01

    def dim(df):
        t = df["treat"] == 1
        y = df["y"]
        return y[t].mean() - y[~t].mean(), math.sqrt(
            y[t].var() / t.sum() + y[~t].var() / (~t).sum()
        )

    a = simulate_power(dim, n=400, reps=30, seed=9, J=3, prevalence=0.3, progress=False)
    assert a.estimator == "dim" and a.reps == 30
    with pytest.raises(UnsupportedError, match="estimator"):
        simulate_power("nope", n=100, reps=2, progress=False)
    with pytest.raises(UnsupportedError, match="direct_share"):
        simulate_power("gap", n=100, reps=2, design="gap", progress=False)


def test_simulation_is_reproducible():
    a = simulate_power("dim", n=300, reps=50, seed=1, progress=False)
    b = simulate_power("dim", n=300, reps=50, seed=1, progress=False)
    assert a.power == b.power and a.mean_estimate == b.mean_estimate


def test_public_api_names():
    assert unspoken.list_power is list_power
    assert unspoken.gap_power is gap_power
    assert unspoken.simulate_power is simulate_power


# ----------------------------------------------------------------------------- CLI


def test_cli_json_matches_api(cli):
    code, out, _ = cli("list-power", "--J", "4", "--prevalence", "0.2", "--null", "0.1",
        "--power", "0.8", "--json",
    )  # fmt: skip
    assert code == 0
    got = json.loads(out)
    api = list_power(4, 0.2, 0.1, power=0.8)
    assert got["model"] == "list.power" and got["quantity"] == "prevalence"
    assert got["n"] == api.n and got["power"] == 0.8
    code, out, _ = cli("list-power", "--J", "4", "--gap", "-0.1", "--direct-share", "0.71",
        "--n", "3000", "--json",
    )  # fmt: skip
    got = json.loads(out)
    assert got["model"] == "list.power" and got["quantity"] == "gap"
    assert got["power"] == pytest.approx(gap_power(4, gap=-0.1, direct_share=0.71, n=3000).power)


def test_cli_text_and_options(cli):
    code, out, _ = cli("list-power", "--J", "3", "--prevalence", "0.2", "--null", "0.1",
        "--from-data", "race", "--power", "0.8",
    )  # fmt: skip
    assert code == 0
    n = list_power(3, 0.2, 0.1, data="race", power=0.8).n
    text = " ".join(out.split())  # the terminal renderer wraps long lines
    assert f"you need about {n:,} respondents, half of them shown the treated list" in text
    code, out, _ = cli("list-power", "--J", "4", "--prevalence", "0.2", "--n", "1000",
        "--treated-share", "optimal", "--alternative", "one.sided", "--rho", "-0.2", "--json",
    )  # fmt: skip
    got = json.loads(out)
    want = list_power(4, 0.2, n=1000, treated_share="optimal", alternative="one.sided", rho=-0.2)
    assert got["power"] == pytest.approx(want.power, rel=1e-12)
    assert got["treated_share"] == pytest.approx(want.optimal_treated_share)


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--J", "0", "--prevalence", "0.2", "--power", "0.8"], "J = 0"),
        (["--J", "4", "--prevalence", "1.5", "--power", "0.8"], "prevalence"),
        (["--J", "4", "--prevalence", "0.2", "--power", "1.2"], "power"),
        (["--J", "4", "--power", "0.8"], "--prevalence"),
        (["--J", "4", "--prevalence", "0.2", "--n", "100", "--treated-share", "x"], "share"),
    ],
)
def test_cli_errors(cli, args, msg):
    code, out, err = cli("list-power", *args)
    assert code == 2 and out == "" and msg in err


def test_no_progress_bar_when_not_a_terminal(capsys):
    simulate_power("dim", n=200, reps=20, seed=2)
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == ""
    assert np.isfinite(simulate_power("dim", n=200, reps=20, seed=2, progress=True).power)
    assert capsys.readouterr().out == ""  # a forced bar goes to stderr, never stdout
