"""Bad poll data: clear errors (DataError naming column and rows) or warnings with rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from unspoken.errors import DataError, UnsupportedError
from unspoken.polls import PollDataWarning, fit_polls, prepare_polls, simulate_polls


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    k = 30
    dates = pd.date_range("2021-01-01", periods=k, freq="7D")
    return pd.DataFrame(
        {
            "date": np.tile(dates.strftime("%Y-%m-%d"), 2),
            "who": np.repeat(["X", "Y"], k),
            "share": np.round(50 + rng.normal(0, 2, 2 * k), 1),
            "dk": np.round(rng.uniform(3, 12, 2 * k), 1),
            "n": 1000,
        }
    )


def test_good_frame_fits_and_is_not_modified() -> None:
    df = _frame()
    before = df.copy(deep=True)
    r = fit_polls(df, "share", "who", date="date", n="n")
    pd.testing.assert_frame_equal(df, before)
    assert r.units == "percent"
    assert r.n_polls == 60


def test_polars_frame() -> None:
    import polars as pl

    df = _frame()
    r1 = fit_polls(pl.from_pandas(df), "share", "who", date="date", n="n")
    r2 = fit_polls(df, "share", "who", date="date", n="n")
    np.testing.assert_allclose(r1.house_effects["estimate"], r2.house_effects["estimate"])


def test_dates_that_do_not_parse() -> None:
    df = _frame()
    df.loc[[3, 7], "date"] = ["not a date", "2021-13-45"]
    with pytest.raises(DataError, match="do not parse") as e:
        prepare_polls(df, share="share", pollster="who", date="date", n="n")
    assert e.value.column == "date"
    assert e.value.rows == [3, 7]


def test_end_before_start() -> None:
    df = _frame().assign(start=lambda d: d["date"], end=lambda d: d["date"])
    df.loc[5, "end"] = "2020-01-01"
    with pytest.raises(DataError, match="end before they start") as e:
        prepare_polls(df, share="share", pollster="who", start="start", end="end", n="n")
    assert e.value.rows == [5]
    assert e.value.column == "end"


@pytest.mark.parametrize("bad", [-1.0, 101.0])
def test_share_outside_0_100(bad: float) -> None:
    df = _frame()
    df.loc[12, "share"] = bad
    with pytest.raises(DataError, match="outside 0-100") as e:
        prepare_polls(df, share="share", pollster="who", date="date", n="n", units="percent")
    assert e.value.rows == [12]


def test_proportions_need_units_and_share_over_100() -> None:
    df = _frame()
    df["share"] = df["share"] / 100
    # all shares <= 1: proportions or small percents, so auto refuses (test_polls_misread.py)
    with pytest.raises(DataError, match="at most 1"):
        prepare_polls(df, share="share", pollster="who", date="date", n="n")
    p = prepare_polls(df, share="share", pollster="who", date="date", n="n", units="proportion")
    assert p.factor == 1.0
    df.loc[4, "share"] = 150.0  # above 100 in any units
    with pytest.raises(DataError, match="above 100") as e:
        prepare_polls(df, share="share", pollster="who", date="date", n="n")
    assert e.value.rows == [4]


def test_pollster_with_one_poll_warns_with_row() -> None:
    df = _frame()
    df.loc[len(df)] = ["2021-03-01", "Lonely", 55.0, 5.0, 900]
    with pytest.warns(PollDataWarning, match=r"single poll: Lonely \(row\(s\) 60\)"):
        r = fit_polls(df, "share", "who", date="date", n="n")
    he = r.house_effects.set_index("pollster")
    assert he.loc["Lonely", "extra_sd"] == 0
    assert not he.loc["Lonely", "extra_sd_estimated"]


def test_duplicates_warn_or_error() -> None:
    df = _frame()
    df.loc[len(df)] = [df.loc[2, "date"], "X", 51.0, 5.0, 1000]
    with pytest.warns(PollDataWarning, match=r"rows 2, 60"):
        prepare_polls(df, share="share", pollster="who", date="date", n="n")
    with pytest.raises(DataError, match="duplicated") as e:
        prepare_polls(df, share="share", pollster="who", date="date", n="n", duplicates="error")
    assert e.value.rows == [2, 60]


def test_missing_sample_size_needs_default() -> None:
    df = _frame().drop(columns="n")
    with pytest.raises(DataError, match="no sample size") as e:
        prepare_polls(df, share="share", pollster="who", date="date")
    assert e.value.n_bad == 60
    p = prepare_polls(
        df, share="share", pollster="who", date="date", default_n={"X": 1600, "Y": 1500}
    )
    assert set(p.table["n"]) == {1600.0, 1500.0}
    with pytest.raises(DataError, match="not in the data: Z"):
        prepare_polls(df, share="share", pollster="who", date="date", default_n={"Z": 10})
    # a column with gaps is filled from the defaults
    df2 = _frame().astype({"n": float})
    df2.loc[[1, 2], "n"] = np.nan
    p = prepare_polls(df2, share="share", pollster="who", date="date", n="n", default_n={"X": 777})
    assert list(p.table["n"][:3]) == [1000.0, 777.0, 777.0]


def test_nonpositive_sample_size() -> None:
    df = _frame()
    df.loc[8, "n"] = 0
    with pytest.raises(DataError, match="positive") as e:
        prepare_polls(df, share="share", pollster="who", date="date", n="n")
    assert e.value.rows == [8]


def test_missing_share_rows_are_dropped_with_a_note() -> None:
    df = _frame()
    df.loc[[0, 9], "share"] = np.nan
    p = prepare_polls(df, share="share", pollster="who", date="date", n="n")
    assert len(p.table) == 58
    assert 0 not in set(p.table["row"]) and 9 not in set(p.table["row"])
    assert any("dropped" in note for note in p.notes)


def test_decided_scale() -> None:
    df = _frame()
    p = prepare_polls(
        df, share="share", pollster="who", date="date", n="n", dk_share="dk", scale="decided"
    )
    np.testing.assert_allclose(p.table["share"], df["share"] / (100 - df["dk"]))
    np.testing.assert_allclose(p.table["n"], 1000 * (1 - df["dk"] / 100))
    with pytest.raises(UnsupportedError, match="needs"):
        prepare_polls(df, share="share", pollster="who", date="date", n="n", scale="decided")
    df.loc[6, "dk"] = 130
    with pytest.raises(DataError) as e:
        prepare_polls(df, share="share", pollster="who", date="date", n="n", dk_share="dk")
    assert e.value.rows == [6]


def test_column_and_option_errors() -> None:
    df = _frame()
    with pytest.raises(DataError, match="not found"):
        prepare_polls(df, share="approve", pollster="who", date="date", n="n")
    with pytest.raises(UnsupportedError, match="either a date"):
        prepare_polls(df, share="share", pollster="who", date="date", start="date", n="n")
    with pytest.raises(UnsupportedError):
        fit_polls(df, "share", "who", date="date", n="n", period="month")


def test_anchor_errors() -> None:
    df = _frame()
    with pytest.raises(DataError, match="not in the data"):
        fit_polls(df, "share", "who", date="date", n="n", anchor="pollster:Nobody")
    with pytest.raises(UnsupportedError, match="unknown anchor"):
        fit_polls(df, "share", "who", date="date", n="n", anchor="median")
    with pytest.raises(UnsupportedError, match="do not combine"):
        fit_polls(
            df, "share", "who", date="date", n="n", anchor=["sum-to-zero", "value:2021-02-01:50:1"]
        )
    with pytest.raises(DataError, match="does not parse"):
        fit_polls(df, "share", "who", date="date", n="n", anchor="value:yesterday:50:1")
    with pytest.raises(DataError, match="outside the range"):
        fit_polls(df, "share", "who", date="date", n="n", anchor="value:2021-02-01:0.5e3:1")
    with pytest.raises(UnsupportedError, match="EST and SE"):
        fit_polls(df, "share", "who", date="date", n="n", anchor="value:2021-02-01:x:1")


def test_warnings_do_not_fire_for_clean_data() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_polls(_frame(), "share", "who", date="date", n="n")


def test_one_period_and_short_series() -> None:
    df = pd.DataFrame(
        {
            "date": ["2021-01-01"] * 6,
            "who": list("AABBCC"),
            "share": [50, 52, 55, 54, 49, 51],
            "n": 1000,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PollDataWarning)
        r = fit_polls(df, "share", "who", date="date", n="n")
    assert np.isnan(r.sigma)
    assert len(r.trend) == 1
    # one period, sum-to-zero: the level is the mean over pollsters of each pollster's
    # precision-weighted mean (weights 1 / binomial variance; extra SDs are 0 with 2 polls each)
    p = df["share"].to_numpy() / 100
    w = 1 / (p * (1 - p) / 1000)
    means = [np.average(p[k : k + 2], weights=w[k : k + 2]) for k in (0, 2, 4)]
    assert r.latest().estimate == pytest.approx(100 * np.mean(means), abs=1e-8)
    assert "change" not in r.to_dict()
    assert any("one period" in note for note in r.notes)


def test_fixed_sigma_is_used_and_reported() -> None:
    sim = simulate_polls(n_days=120, seed=5, polls_per_pollster=20)
    kw = dict(start="start", end="end", n="n", duplicates="keep")
    r = fit_polls(sim.polls, "share", "pollster", sigma=0.3, **kw)
    assert r.sigma == pytest.approx(0.3) and r.sigma_fixed
    assert any("fixed at 0.3" in note for note in r.notes)
    assert "[fixed]" in r.summary()
    free = fit_polls(sim.polls, "share", "pollster", **kw)
    assert not free.sigma_fixed and free.loglik >= r.loglik - 1e-9
    with pytest.raises(UnsupportedError, match="sigma must be positive"):
        fit_polls(sim.polls, "share", "pollster", sigma=0.0, **kw)
    # one period: sigma does not enter, so a given sigma is not reported as used
    one = sim.polls.assign(start=sim.polls["start"].iloc[0], end=sim.polls["start"].iloc[0])
    r1 = fit_polls(one, "share", "pollster", sigma=0.3, **kw)
    assert np.isnan(r1.sigma) and not r1.sigma_fixed


def test_dk_share_old_name_and_one_default_n_for_every_pollster() -> None:
    """``dk=`` (the 'hard to say' column) is now ``dk_share=``: the old name works for one
    release with a DeprecationWarning; ``default_n`` may be one number for every pollster."""
    df = _frame()
    kw = dict(share="share", pollster="who", date="date", n="n", scale="decided")
    new = prepare_polls(df, dk_share="dk", **kw)
    with pytest.warns(DeprecationWarning, match="dk_share"):
        old = prepare_polls(df, dk="dk", **kw)
    pd.testing.assert_frame_equal(old.table, new.table)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        fit_polls(df, "share", "who", date="date", n="n", dk_share="dk", compare_scales=False)
    one = prepare_polls(df.drop(columns="n"), share="share", pollster="who", date="date",
                        default_n=1000)  # fmt: skip
    each = prepare_polls(df.drop(columns="n"), share="share", pollster="who", date="date",
                         default_n={"X": 1000, "Y": 1000})  # fmt: skip
    pd.testing.assert_frame_equal(one.table, each.table)
    with pytest.raises(DataError, match="default_n"):
        prepare_polls(df, share="share", pollster="who", date="date", default_n="many")


def test_options_objects_are_checked_once() -> None:
    from unspoken.polls.options import PollColumns, PollFit

    c = PollColumns(share="share", pollster="who", date="date")
    assert c.columns == ["share", "who", "date"]
    with pytest.raises(UnsupportedError, match="either a date"):
        c.replace(start="s")
    with pytest.raises(UnsupportedError, match="dk_share"):
        c.replace(scale="decided")
    with pytest.raises(UnsupportedError, match="period"):
        PollFit(period="month")
    with pytest.raises(UnsupportedError):
        PollFit(level=95)
