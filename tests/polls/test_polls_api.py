"""Result object, Russian series (speed, hard-to-say), anchors, weekly periods, plot, CLI."""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from polls_sim import fit_simulated

from unspoken import datasets
from unspoken.cli.main import main
from unspoken.polls import Anchor, fit_polls, simulate_polls

pytestmark = pytest.mark.filterwarnings("ignore::unspoken.polls.PollDataWarning")

RU_N = {"Levada": 1600, "FOM": 1500, "VCIOM": 1600}


def _russia_2012() -> pd.DataFrame:
    df = datasets.load("putin_approval")
    return df[df["date"] >= "2012-01-01"].reset_index(drop=True)


def test_combined_russian_data_set_matches_the_originals() -> None:
    long = datasets.load("putin_approval")
    lev = datasets.load("putin_approval_levada")
    fom = datasets.load("putin_approval_fom")
    vc = datasets.load("putin_approval_vciom").dropna(subset=["Approve"])
    assert list(long.columns) == ["date", "pollster", "approve", "disapprove", "hard_to_say"]
    counts = long["pollster"].value_counts()
    assert counts["Levada"] == len(lev) and counts["FOM"] == len(fom)
    assert counts["VCIOM"] == len(vc)
    m = long[long["pollster"] == "Levada"].sort_values("date")
    np.testing.assert_array_equal(m["approve"], lev.sort_values("Date")["Approve"])
    np.testing.assert_array_equal(m["hard_to_say"], lev.sort_values("Date")["No.Answer"])
    v = long[long["pollster"] == "VCIOM"]
    np.testing.assert_allclose(v["hard_to_say"], 100 - v["approve"] - v["disapprove"], atol=0.051)


def test_russia_weekly_fast_and_sensible() -> None:
    df = _russia_2012()
    assert 850 <= len(df) <= 1000
    fit_polls(df, "approve", "pollster", date="date", default_n=RU_N, period="week")  # warm-up
    t0 = time.perf_counter()
    r = fit_polls(df, "approve", "pollster", date="date", default_n=RU_N, period="week")
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0  # about 0.1 s on one core; generous for loaded CI machines
    he = r.house_effects.set_index("pollster")
    assert he.loc["FOM", "estimate"] < -1.5 < he.loc["VCIOM", "estimate"]
    assert abs(he["estimate"].sum()) < 1e-9
    # Levada and FOM scatter more than binomial error alone (tracker README: about 1.9, 1.5)
    assert he.loc["Levada", "extra_sd"] > 1.0 and he.loc["FOM", "extra_sd"] > 1.0
    assert 60 < r.latest().estimate < 63
    assert r.trend["date"].dt.day_of_week.eq(0).all()  # weeks start on Monday
    assert r.converged


def test_hard_to_say_comparison_russia() -> None:
    df = _russia_2012()
    r = fit_polls(
        df,
        "approve",
        "pollster",
        date="date",
        default_n=RU_N,
        period="week",
        dk_share="hard_to_say",
    )
    h = r.hard_to_say
    assert h is not None
    t = h.table.set_index("pollster")
    # Levada's "hard to say" is small, FOM's large
    assert t.loc["Levada", "hard_to_say_mean"] < 3 < 9 < t.loc["FOM", "hard_to_say_mean"]
    # the all-respondent house effects equal those of the plain fit
    np.testing.assert_allclose(t["house_all"], r.house_effects.set_index("pollster")["estimate"])
    # 2012-2020: among those with an opinion Levada is the lowest, not the highest
    assert t["house_decided"].idxmin() == "Levada"
    assert t["house_all"].idxmax() == "Levada"
    ratio = np.sum(t["decided_part"] ** 2) / np.sum(t["house_all"] ** 2)
    assert h.explained == pytest.approx(1 - ratio)
    d = r.to_dict()["hard_to_say"]
    assert set(d) == {"explained_share", "decided_mean", "hard_to_say_mean", "pollsters"}
    assert "Hard to say" in r.summary()


def test_hard_to_say_explains_everything_when_decided_shares_agree() -> None:
    # three pollsters see the same decided share but have "hard to say" of 2, 10 and 18%
    rng = np.random.default_rng(12)
    days = pd.date_range("2022-01-02", periods=80, freq="7D")
    walk = 0.7 + np.cumsum(rng.normal(0, 0.01, days.size))
    rows = []
    for name, dk in [("P", 0.02), ("Q", 0.10), ("R", 0.18)]:
        decided = rng.binomial(1500, walk) / 1500
        rows.append(
            pd.DataFrame(
                {
                    "date": days,
                    "pollster": name,
                    "approve": 100 * decided * (1 - dk),
                    "dk": 100 * dk,
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    r = fit_polls(
        df,
        "approve",
        "pollster",
        date="date",
        default_n=dict(P=1500, Q=1500, R=1500),
        dk_share="dk",
        period="week",
    )
    t = r.hard_to_say.table.set_index("pollster")
    assert np.ptp(t["house_all"]) > 8  # about 0.7 x 16 points
    assert np.all(np.abs(t["house_decided"]) < 0.5)
    assert r.hard_to_say.explained > 0.99


def test_result_api_and_units() -> None:
    sim = simulate_polls(n_days=200, seed=3, polls_per_pollster=40)
    r = fit_simulated(sim.polls)
    d = r.to_dict()
    assert d["model"] == "polls"
    assert {"house_effects", "trend", "sigma", "loglik"} <= set(d)
    assert set(d["house_effects"][0]) >= {"pollster", "estimate", "std_error", "extra_sd"}
    assert set(d["trend"][0]) == {"date", "estimate", "ci_low", "ci_high", "std_error"}
    json.loads(r.to_json())
    assert len(r.tidy("polls")) == r.n_polls
    tp = r.tidy()
    assert list(tp.columns) == ["part", "term", "estimate", "std_error", "ci_low", "ci_high"]
    assert list(tp["part"]).count("house_effect") == 3
    assert r.params[("sigma", "day")] == r.sigma
    assert r.std_errors[("house_effect", "A")] == r.house_effects["std_error"].iloc[0]
    ci = r.conf_int()
    ok = ci["ci_low"].notna()
    assert ok.sum() >= 4
    assert (ci["ci_low"][ok] <= r.params[ok]).all()
    with pytest.raises(Exception, match="must be one of"):
        r.tidy("nope")
    # proportions in -> proportions out, same fit (units="auto" cannot tell them from
    # percents below 1, so the units are given)
    prop = sim.polls.assign(share=sim.polls["share"] / 100)
    rp = fit_polls(prop, "share", "pollster", start="start", end="end", n="n", units="proportion")
    np.testing.assert_allclose(
        rp.house_effects["estimate"] * 100, r.house_effects["estimate"], rtol=1e-5, atol=1e-6
    )
    assert rp.sigma * 100 == pytest.approx(r.sigma, rel=1e-4)
    # change: the same number as the difference of the trend; SE from the joint posterior
    ch = r.change(28)
    tr = r.trend["estimate"].to_numpy()
    assert ch.estimate == pytest.approx(tr[-1] - tr[-29])
    se_last = r.trend["std_error"].iloc[-1]
    assert 0 < ch.std_error < se_last + r.trend["std_error"].iloc[-29]
    # corrected bands are at least as wide as plug-in bands (sigma plugged in for both;
    # this short series is integrated over sigma by default, which moves the trend a little)
    assert r.sigma_uncertainty["route"] == "integrate"
    kw = dict(start="start", end="end", n="n", sigma_uncertainty="plugin")
    r0 = fit_polls(sim.polls, "share", "pollster", bands="plugin", **kw)
    rc = fit_polls(sim.polls, "share", "pollster", **kw)
    assert np.all(rc.trend["std_error"] >= r0.trend["std_error"] - 1e-12)
    np.testing.assert_allclose(rc.trend["estimate"], r0.trend["estimate"])


def test_identifications_are_the_same_trend_up_to_a_shift() -> None:
    sim = simulate_polls(n_days=200, seed=4, polls_per_pollster=40)
    kw = dict(start="start", end="end", n="n", bands="plugin")
    a = fit_polls(sim.polls, "share", "pollster", anchor="sum-to-zero", **kw)
    b = fit_polls(sim.polls, "share", "pollster", anchor="pollster:B", **kw)
    shift = a.trend["estimate"] - b.trend["estimate"]
    assert np.ptp(shift) < 1e-8
    assert b.house_effects.set_index("pollster").loc["B", "estimate"] == 0
    assert a.loglik == pytest.approx(b.loglik, abs=1e-6)
    # an exact value anchor puts the trend through it; a soft one nearly so
    date = str(a.trend["date"].iloc[100].date())
    c = fit_polls(sim.polls, "share", "pollster", anchor=f"value:{date}:60:0", **kw)
    assert c.estimate_on(date).estimate == pytest.approx(60.0, abs=1e-9)
    assert np.ptp(c.trend["estimate"] - a.trend["estimate"]) < 1e-8
    s = fit_polls(sim.polls, "share", "pollster", anchor=[Anchor(date, 60.0, 0.5)], **kw)
    # one soft anchor with all house effects free: the polls say nothing about the level,
    # so the level there is exactly the anchor's (estimate and s.e.)
    assert s.estimate_on(date).estimate == pytest.approx(60.0)
    assert s.estimate_on(date).std_error == pytest.approx(0.5)
    assert s.loglik == pytest.approx(a.loglik, abs=1e-6)
    from unspoken.results import Estimate

    est = Estimate.from_se(0.60, 0.005)  # a proportion, as from a list experiment
    assert Anchor.from_estimate(date, est) == Anchor(date, 60.0, 0.5)
    t = fit_polls(sim.polls, "share", "pollster", anchor=(date, 60.0, 0.5), **kw)
    np.testing.assert_allclose(t.trend["estimate"], s.trend["estimate"])
    # two anchors at once (e.g. two elections) are allowed
    late = str(a.trend["date"].iloc[-1].date())
    e = fit_polls(
        sim.polls, "share", "pollster", anchor=[(date, 60.0, 0.0), (late, 61.0, 0.0)], **kw
    )
    assert e.latest().estimate == pytest.approx(61.0)


def test_weekly_matches_daily_roughly() -> None:
    sim = simulate_polls(n_days=360, seed=8, polls_per_pollster=80)
    d = fit_simulated(sim.polls)
    w = fit_simulated(sim.polls, period="week")
    np.testing.assert_allclose(d.house_effects["estimate"], w.house_effects["estimate"], atol=0.3)
    # weekly innovation SD is about sqrt(7) times the daily one
    assert w.sigma / d.sigma == pytest.approx(np.sqrt(7), rel=0.35)


def test_plot_writes_file(tmp_path) -> None:
    sim = simulate_polls(n_days=120, seed=9, polls_per_pollster=20)
    r = fit_simulated(sim.polls, anchor="value:2020-03-01:55:1")
    out = tmp_path / "polls.png"
    fig = r.plot(out)
    assert out.stat().st_size > 5000
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert {"A", "B", "C", "trend", "anchor"} <= set(labels)


def test_cli_json(capsys, tmp_path) -> None:
    plot = tmp_path / "p.png"
    args = [
        "polls",
        "australia_polls_2004_2007",
        "--share",
        "ALP",
        "--pollster",
        "org",
        "--start",
        "startDate",
        "--end",
        "endDate",
        "--n",
        "sampleSize",
        "--anchor",
        "value:2004-10-09:37.64:0",
        "--anchor",
        "value:2007-11-24:43.38:0",
        "--no-extra-variance",
        "--fieldwork",
        "midpoint",
        "--plot",
        str(plot),
        "--json",
    ]
    main(args)
    out = capsys.readouterr().out
    d = json.loads(out)
    assert d["model"] == "polls"
    he = {h["pollster"]: h["estimate"] for h in d["house_effects"]}
    assert he["Morgan, F2F"] == pytest.approx(2.7, abs=0.5)  # points, as the input
    assert d["trend"][0]["date"] == "2004-10-09"
    assert d["trend"][0]["estimate"] == pytest.approx(37.64)
    assert plot.exists()


def test_cli_text_default_n_and_errors(capsys) -> None:
    args = [
        "polls",
        "putin_approval",
        "--share",
        "approve",
        "--default-n",
        "Levada=1600",
        "--default-n",
        "FOM=1500",
        "--default-n",
        "VCIOM=1600",
        "--period",
        "week",
        "--since",
        "2012-01-01",
        "--until",
        "2020-12-31",
    ]
    main(args)
    out = capsys.readouterr()
    # the duplicate-poll warning is a note of the result: printed once, not also on stderr
    assert "House effects" in out.out and "Warning:" not in out.err
    assert "share pollster and fieldwork dates" in " ".join(out.out.split())
    assert "polls = 896" in out.out
    with pytest.raises(SystemExit) as e:
        main(["polls", "putin_approval", "--share", "approve"])
    assert e.value.code == 2
    assert "no sample size" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["polls", "putin_approval", "--share", "approve", "--default-n", "Levada"])
    assert e.value.code == 2


def test_no_pyplot_import_needed() -> None:
    import subprocess
    import sys

    code = (
        "import warnings; warnings.simplefilter('ignore');"
        "import sys; from unspoken.polls import fit_polls, simulate_polls;"
        "s = simulate_polls(n_days=60, polls_per_pollster=10, seed=1);"
        "r = fit_polls(s.polls, 'share', 'pollster', start='start', end='end', n='n');"
        "assert 'matplotlib' not in sys.modules; r.plot();"
        "assert 'matplotlib.pyplot' not in sys.modules; print('ok')"
    )
    with warnings.catch_warnings():
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.stdout.strip() == "ok", res.stderr


def test_compare_house_effects_directly(tmp_path) -> None:
    from unspoken.errors import UnsupportedError
    from unspoken.polls import compare_house_effects

    path = tmp_path / "ru.csv"
    _russia_2012().to_csv(path, index=False)
    kw = dict(
        share="approve", pollster="pollster", date="date", default_n=RU_N, dk_share="hard_to_say"
    )
    r = fit_polls(str(path), **kw, period="week")
    h = compare_house_effects(str(path), **kw, period="week")
    pd.testing.assert_frame_equal(h.table, r.hard_to_say.table)
    assert h.explained == r.hard_to_say.explained
    # the decided-scale house effects are those of a sum-to-zero fit on that scale
    dec = fit_polls(str(path), **kw, period="week", scale="decided", compare_scales=False)
    np.testing.assert_allclose(h.table["house_decided"], dec.house_effects["estimate"])
    with pytest.raises(UnsupportedError, match="period"):
        compare_house_effects(str(path), **kw, period="month")


def test_tidy_has_the_standard_columns_and_level() -> None:
    """PollsResult.tidy() (params) and HardToSayComparison.tidy() share the standard columns;
    level= changes the intervals only (Wald, estimate +- z s.e.)."""
    from scipy.stats import norm

    from unspoken.results import TIDY_COLUMNS

    r = fit_polls(_russia_2012(), "approve", "pollster", date="date", default_n=RU_N,
                  period="week", dk_share="hard_to_say")  # fmt: skip
    for res in (r, r.hard_to_say):
        a, b = res.tidy(), res.tidy(level=0.5)
        assert tuple(a.columns) == TIDY_COLUMNS
        pd.testing.assert_series_equal(a["estimate"], b["estimate"])
        ok = a["std_error"].notna()
        z = norm.ppf(0.75)
        np.testing.assert_allclose(
            b.loc[ok, "ci_high"], a.loc[ok, "estimate"] + z * a.loc[ok, "std_error"]
        )
    he = r.tidy().query("part == 'house_effect'").set_index("term")
    np.testing.assert_allclose(he["estimate"], r.house_effects.set_index("pollster")["estimate"])
    assert set(r.hard_to_say.tidy()["part"]) == {"house_all", "house_decided"}
