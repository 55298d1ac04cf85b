"""Input that could be misread is refused, not guessed (issue 10, "No silent wrong numbers").

Units: ``units="auto"`` decides only when every non-zero share is above 1 (percent); shares on
both sides of 1, or all at most 1, are refused with the rows named. Dates: one format per
column; mixed formats and day/month-ambiguous dates are refused unless ``date_format`` is given.
One pollster: no house-effect table, no "explained share", no "nan" in any output.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.cli.main import main
from unspoken.errors import DataError, UnsupportedError
from unspoken.polls import PollDataWarning, fit_polls, prepare_polls, simulate_polls

NAN = re.compile(r"\bnan\b", re.IGNORECASE)


def _frame(k: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2021-01-01", periods=k, freq="7D")
    return pd.DataFrame(
        {
            "date": np.tile(dates.strftime("%Y-%m-%d"), 2),
            "who": np.repeat(["X", "Y"], k),
            "share": np.round(50 + rng.normal(0, 2, 2 * k), 1),
            "n": 1000,
        }
    )


def _prep(df: pd.DataFrame, **kw) -> object:
    kw.setdefault("date", "date")
    return prepare_polls(df, share="share", pollster="who", n="n", **kw)


# --------------------------------------------------------------------------- units


def test_auto_units_refuses_a_percent_value_in_a_proportion_column() -> None:
    df = _frame().assign(share=lambda d: d["share"] / 100)
    df.loc[5, "share"] = 1.5  # was read as percent: "Latest: 0.6%"
    with pytest.raises(DataError, match=r"units='percent' or units='proportion'") as e:
        _prep(df)
    assert e.value.column == "share"
    assert e.value.rows == [5]
    assert "1.5" in str(e.value)


def test_auto_units_refuses_proportions_inside_a_percent_column() -> None:
    df = _frame()
    df.loc[[7, 41], "share"] = [0.52, 0.49]  # was fitted with sigma = 0, no warning
    with pytest.raises(DataError, match="both sides of 1") as e:
        _prep(df)
    assert e.value.column == "share"
    assert e.value.rows == [7, 41]
    assert "rows 7, 41" in str(e.value)
    assert e.value.param == "units"  # the argument to change (for the web page's form)


def test_auto_units_refuses_shares_all_at_most_one() -> None:
    # a small party in percent (0.3% .. 1%) or proportions: the values cannot tell
    df = _frame()
    df["share"] = np.round(np.linspace(0.3, 1.0, len(df)), 2)
    with pytest.raises(DataError, match="at most 1") as e:
        _prep(df)
    assert e.value.column == "share"
    assert "units='proportion'" in str(e.value) and "units='percent'" in str(e.value)
    # told, both readings work and differ by the factor 100
    pct = _prep(df, units="percent")
    prop = _prep(df, units="proportion")
    np.testing.assert_allclose(pct.table["share"], df["share"] / 100)
    np.testing.assert_allclose(prop.table["share"], df["share"])


def test_auto_units_still_decides_percent_and_zero_is_unit_free() -> None:
    df = _frame()
    df.loc[[3, 4], "share"] = 0.0  # a party not reported: 0 in either unit
    p = _prep(df)
    assert p.units == "percent"
    np.testing.assert_allclose(p.table["share"], df["share"] / 100)
    with pytest.raises(DataError, match="are 0"):
        _prep(df.assign(share=0.0))


@pytest.mark.parametrize(
    ("units", "value", "match"),
    [
        ("proportion", 1.5, "outside 0-1"),
        ("percent", 150.0, "outside 0-100"),
        ("percent", -2.0, "outside 0-100"),
        ("proportion", -0.1, "outside 0-1"),
        ("auto", -2.0, "negative"),
        ("auto", 150.0, "above 100"),
    ],
)
def test_shares_out_of_range_name_the_rows(units: str, value: float, match: str) -> None:
    df = _frame()
    if units == "proportion":
        df["share"] = df["share"] / 100
    df.loc[[12, 50], "share"] = value
    with pytest.raises(DataError, match=match) as e:
        _prep(df, units=units)
    assert e.value.column == "share"
    assert e.value.rows == [12, 50]


def test_proportion_hint_for_percent_values() -> None:
    df = _frame()
    with pytest.raises(DataError, match="units='percent'") as e:
        _prep(df, units="proportion")
    assert e.value.n_bad == 60


def test_non_numeric_share_rows_count_in_the_data_as_given() -> None:
    # row 2 is dropped (missing date); the bad share in row 9 is still reported as row 9
    df = _frame().astype({"share": object})
    df.loc[2, "date"] = None
    df.loc[9, "share"] = "fifty"
    with pytest.raises(DataError, match="not a number") as e:
        _prep(df)
    assert e.value.rows == [9]


# --------------------------------------------------------------------------- dates


def _mixed_dates() -> pd.DataFrame:
    df = _frame()
    ts = pd.to_datetime(df["date"])
    df.loc[[3, 33], "date"] = ts[[3, 33]].dt.strftime("%d.%m.%Y")
    df.loc[10, "date"] = f"{ts[10].day} {ts[10]:%B %Y}"
    return df


def test_mixed_date_formats_are_refused_with_the_rows_of_each() -> None:
    with pytest.raises(DataError, match="mixes date formats") as e:
        _prep(_mixed_dates())
    msg = str(e.value)
    assert e.value.column == "date"
    assert sorted(e.value.rows) == [3, 10, 33]
    assert "YYYY-MM-DD" in msg and "DD.MM.YYYY (rows 3, 33)" in msg
    assert "D Month YYYY (row 10)" in msg
    assert "date_format" in msg


def test_each_recognised_format_alone_is_read_exactly() -> None:
    df = _frame()
    ts = pd.to_datetime(df["date"])
    for text in (
        ts.dt.strftime("%d.%m.%Y"),
        ts.dt.strftime("%Y/%m/%d"),
        ts.map(lambda t: f"{t.day} {t:%b %Y}"),
        ts.map(lambda t: f"{t:%B} {t.day}, {t.year}"),
        ts.dt.strftime("%Y-%m-%dT10:30:00"),
        ts,  # datetime dtype
    ):
        p = _prep(df.assign(date=text))
        np.testing.assert_array_equal(p.table["start"].to_numpy(), ts.to_numpy())


def test_slash_dates_are_never_guessed() -> None:
    df = _frame(k=10)  # 2021-01-01 .. 2021-03-05: every day and month <= 12 or not
    ts = pd.to_datetime(df["date"])
    df["date"] = ts.dt.strftime("%d/%m/%Y")
    with pytest.raises(DataError, match="day/month") as e:
        _prep(df)
    assert e.value.column == "date" and e.value.param == "date"
    assert "date_format" in str(e.value)
    # even when every value happens to have a day <= 12
    small = df[ts.dt.day <= 12].reset_index(drop=True)
    with pytest.raises(DataError, match="day/month"):
        _prep(small)
    p = _prep(df, date_format="%d/%m/%Y")
    np.testing.assert_array_equal(p.table["start"].to_numpy(), ts.to_numpy())
    us = _prep(small, date_format="%m/%d/%Y")  # the other reading, as asked
    assert pd.Timestamp(us.table["start"].iloc[0]) == pd.Timestamp("2021-01-01")
    assert pd.Timestamp(us.table["start"].iloc[1]) == pd.Timestamp("2021-08-01")


def test_date_format_names_the_rows_that_do_not_match() -> None:
    df = _frame()
    ts = pd.to_datetime(df["date"])
    df["date"] = ts.dt.strftime("%d/%m/%Y")
    df.loc[[4, 44], "date"] = ts[[4, 44]].dt.strftime("%Y-%m-%d")
    with pytest.raises(DataError, match="do not match date_format") as e:
        _prep(df, date_format="%d/%m/%Y")
    assert e.value.column == "date" and e.value.param == "date_format"
    assert e.value.rows == [4, 44]


def test_start_and_end_columns_are_checked_alike() -> None:
    df = _frame().rename(columns={"date": "start"})
    df["end"] = df["start"]
    ts = pd.to_datetime(df["end"])
    df.loc[[6, 8], "end"] = ts[[6, 8]].dt.strftime("%m/%d/%Y")
    # used to surface only as a misleading "end before start"
    with pytest.raises(DataError, match="mixes date formats") as e:
        _prep(df, date=None, start="start", end="end")
    assert e.value.column == "end"
    assert sorted(e.value.rows) == [6, 8]


def test_date_format_needs_a_year_and_bounds_are_not_guessed() -> None:
    df = _frame()
    with pytest.raises(UnsupportedError, match="year"):
        _prep(df, date_format="%d/%m")
    with pytest.raises(DataError, match="day/month"):
        _prep(df, since="05/03/2021")
    assert len(_prep(df, since="2021-03-05").table) < len(df)


def test_bundled_poll_data_read_their_iso_dates_unchanged() -> None:
    cases = {
        "putin_approval": dict(share="approve", pollster="pollster", date="date"),
        "putin_approval_levada": dict(share="Approve", pollster="source", date="Date"),
        "putin_approval_fom": dict(share="Approve", pollster="source", date="Date"),
        "putin_approval_vciom": dict(share="Approve", pollster="source", date="Date"),
        "australia_polls_2004_2007": dict(
            share="ALP", pollster="org", start="startDate", end="endDate"
        ),
        "australia_polls_2004_campaign": dict(
            share="alpPrimary", pollster="org", start="start", end="end"
        ),
    }
    for name, kw in cases.items():
        raw = datasets.load(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PollDataWarning)
            p = prepare_polls(raw, **kw, default_n={k: 1000 for k in raw[kw["pollster"]]})
        assert p.units == "percent", name
        col = kw.get("date", kw.get("start"))
        want = pd.to_datetime(raw[col], format="%Y-%m-%d").to_numpy()[p.table["row"]]
        np.testing.assert_array_equal(p.table["start"].to_numpy(), want, err_msg=name)


# --------------------------------------------------------------------------- one pollster


def _outputs(res) -> dict[str, str]:
    """Every rendering of a result: text summary, JSON, HTML report, command-line text."""
    import io

    from rich.console import Console

    from unspoken.cli.common import render
    from unspoken.report import render_report

    con = Console(width=120, file=io.StringIO(), record=True)
    render(res, con)
    return {
        "summary": res.summary(),
        "json": res.to_json(),
        "html": render_report(res),
        "cli": con.export_text(),
    }


def _assert_no_nan(res) -> None:
    for kind, text in _outputs(res).items():
        assert not NAN.search(text), (kind, NAN.findall(text), text[:3000])


def _one_pollster(days: int = 200) -> pd.DataFrame:
    sim = simulate_polls(n_days=days, seed=3, polls_per_pollster=30)
    one = sim.polls[sim.polls["pollster"] == "A"].reset_index(drop=True)
    rng = np.random.default_rng(1)
    return one.assign(dk=np.round(rng.uniform(5, 12, len(one)), 1))


def test_one_pollster_has_no_house_effect_table_and_no_nan() -> None:
    one = _one_pollster()
    kw = dict(start="start", end="end", n="n", duplicates="keep")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PollDataWarning)
        r = fit_polls(one, "share", "pollster", dk_share="dk", **kw)
    assert r.hard_to_say is None
    text = r.summary()
    assert "House effects (" not in text
    assert "0.00 (0.00 to 0.00)" not in text and "explained" not in text
    assert any("two or more pollsters" in n for n in r.notes)
    assert "two or more pollsters" in text
    d = json.loads(r.to_json())
    assert "hard_to_say" not in d
    assert d["house_effects"] == []  # no house-effect table; the one pollster's scatter
    assert d["pollster"]["pollster"] == "A" and d["pollster"]["n_polls"] == len(one)
    assert d["pollster"]["extra_sd"] is not None  # the extra variance is still estimated
    assert "house_effect" not in set(r.tidy()["part"])  # tidy rows: sigma and the extra SD
    assert list(r.tidy()["part"]) == ["sigma", "extra_sd"]
    html = _outputs(r)["html"]
    assert "House effects" not in html and "explained" not in html
    assert "two or more pollsters" in html
    _assert_no_nan(r)
    with pytest.raises(UnsupportedError, match="two or more pollsters"):
        fit_polls(one, "share", "pollster", dk_share="dk", compare_scales=True, **kw)
    from unspoken.polls import compare_house_effects

    with pytest.raises(UnsupportedError, match="two or more pollsters"):
        compare_house_effects(one, share="share", pollster="pollster", dk_share="dk", **kw)
    assert r.identification == "none (one pollster)"
    assert "one pollster" in r.plot().axes[0].get_title()


def test_one_pollster_with_a_value_anchor_has_its_house_effect() -> None:
    one = _one_pollster()
    date = str(pd.Timestamp(one["start"].iloc[10]).date())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PollDataWarning)
        r = fit_polls(
            one, "share", "pollster", start="start", end="end", n="n", anchor=f"value:{date}:50:1"
        )
    assert np.isfinite(r.house_effects["estimate"].iloc[0])
    assert "House effects (" in r.summary()
    assert not any("two or more pollsters" in n for n in r.notes)
    _assert_no_nan(r)


def test_no_nan_in_any_rendered_polls_result() -> None:
    sim = simulate_polls(n_days=150, seed=11, polls_per_pollster=15)
    kw = dict(start="start", end="end", n="n", duplicates="keep")
    rng = np.random.default_rng(2)
    polls = sim.polls.assign(dk=np.round(rng.uniform(3, 12, len(sim.polls)), 1))
    one_day = polls.assign(start=polls["start"].iloc[0], end=polls["start"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PollDataWarning)
        results = [
            fit_polls(polls, "share", "pollster", **kw),
            fit_polls(polls, "share", "pollster", dk_share="dk", **kw),
            fit_polls(polls, "share", "pollster", anchor="pollster:B", **kw),
            fit_polls(one_day, "share", "pollster", dk_share="dk", **kw),  # one period: no sigma
            fit_polls(polls, "share", "pollster", extra_variance=False, bands="plugin", **kw),
        ]
    for r in results:
        _assert_no_nan(r)


# --------------------------------------------------------------------------- CLI


def _cli(capsys, args: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as ei:
        main(list(args))
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(ei.value.code or 0), out.out, out.err


def _csv(tmp_path, df: pd.DataFrame) -> str:
    path = tmp_path / "polls.csv"
    df.to_csv(path, index=False)
    return str(path)


def _clean_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("Error: ")
    for s in needles:
        assert s in err, (s, err)


BASE = ["--share", "share", "--pollster", "who", "--n", "n"]


def test_cli_units_errors(capsys, tmp_path) -> None:
    df = _frame()
    df.loc[[7, 41], "share"] = [0.52, 0.49]
    path = _csv(tmp_path, df)
    _clean_error(*_cli(capsys, ["polls", path, *BASE]), "'share'", "rows 7, 41", "--units")
    small = _frame().assign(share=lambda d: np.round(np.linspace(0.3, 1, len(d)), 2))
    path = _csv(tmp_path, small)
    _clean_error(*_cli(capsys, ["polls", path, *BASE]), "'share'", "at most 1", "--units")
    code, out, err = _cli(capsys, ["polls", path, *BASE, "--units", "proportion"])
    assert code == 0, err
    assert "Latest" in out
    prop = _frame().assign(share=lambda d: d["share"] / 100)
    prop.loc[5, "share"] = 1.5
    path = _csv(tmp_path, prop)
    _clean_error(
        *_cli(capsys, ["polls", path, *BASE, "--units", "proportion"]), "'share'", "row 5", "0-1"
    )


def test_cli_date_errors(capsys, tmp_path) -> None:
    path = _csv(tmp_path, _mixed_dates())
    _clean_error(
        *_cli(capsys, ["polls", path, *BASE]),
        "'date'",
        "DD.MM.YYYY (rows 3, 33)",
        "D Month YYYY (row 10)",
        "--date-format",
    )
    df = _frame()
    ts = pd.to_datetime(df["date"])
    df["date"] = ts.dt.strftime("%d/%m/%Y")
    path = _csv(tmp_path, df)
    _clean_error(*_cli(capsys, ["polls", path, *BASE]), "'date'", "day/month", "--date-format")
    code, out, err = _cli(capsys, ["polls", path, *BASE, "--date-format", "%d/%m/%Y", "--json"])
    assert code == 0, err
    d = json.loads(out)
    assert d["polls"][1]["start"] == "2021-01-08"
    df.loc[[4, 44], "date"] = ts[[4, 44]].dt.strftime("%Y-%m-%d")
    path = _csv(tmp_path, df)
    _clean_error(
        *_cli(capsys, ["polls", path, *BASE, "--date-format", "%d/%m/%Y"]),
        "'date'",
        "rows 4, 44",
        "date_format",
    )
    se = _frame().rename(columns={"date": "start"}).assign(end=lambda d: d["start"])
    se.loc[[6, 8], "end"] = pd.to_datetime(se.loc[[6, 8], "end"]).dt.strftime("%m/%d/%Y")
    path = _csv(tmp_path, se)
    _clean_error(
        *_cli(capsys, ["polls", path, *BASE, "--start", "start", "--end", "end"]),
        "'end'",
        "rows 6, 8",
    )


def test_cli_one_pollster_text(capsys, tmp_path) -> None:
    path = _csv(tmp_path, _one_pollster())
    code, out, err = _cli(
        capsys,
        ["polls", path, "--share", "share", "--start", "start", "--end", "end", "--n", "n",
         "--dk-share", "dk"],
    )  # fmt: skip
    assert code == 0, err
    assert "House effects" not in out and "explained" not in out
    assert "two or more pollsters" in out
    assert not NAN.search(out)
