"""Tables by subgroup never show a small group (issue 10): list (dim, lm, nls, ml), rr,
direct and gap through the Python API (``to_dict()``, ``summary()``), the command line (text,
``--json``, ``--html``) and the HTML report.

The data are bundled sets with a made-up column ``region``: ``tiny`` holds 3 respondents
(2 treated, 1 control), ``mid`` 35 with only 8 treated (list designs: the arm rule), the
rest alternate between ``a`` and ``b``. Together ``tiny`` and ``mid`` hold 38 respondents,
10 treated and 28 control, so no further group has to be hidden to protect them. For rr and
direct (no arms) the second small group is ``few`` with 27 respondents (3 + 27 = 30).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken import datasets

REASON30 = "fewer than 30 respondents: suppressed to protect respondents; set min_n to change"
ARM = "fewer than 10 respondents in the treated arm"
USER = "shown at the user's request"


def _regions(treat: np.ndarray | None, n: int, second: str = "mid") -> np.ndarray:
    """tiny = 2 treated + 1 control (or 3 rows); mid = 8 treated + 27 control (or few = 27
    rows); the rest a/b alternately."""
    out = np.where(np.arange(n) % 2 == 0, "a", "b").astype(object)
    if treat is None:
        out[:3] = "tiny"
        out[3:30] = second
        return out
    t1, t0 = np.flatnonzero(treat == 1), np.flatnonzero(treat == 0)
    out[t1[:2]] = "tiny"
    out[t0[:1]] = "tiny"
    out[t1[2:10]] = "mid"
    out[t0[1:28]] = "mid"
    return out


@pytest.fixture(scope="module")
def race() -> pd.DataFrame:
    df = datasets.load("race")
    df["region"] = _regions(df["treat"].to_numpy(), len(df))
    return df


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    df = datasets.load("mexico")
    df["region"] = _regions(df["mex.t"].to_numpy(), len(df))
    return df


@pytest.fixture(scope="module")
def nigeria() -> pd.DataFrame:
    df = datasets.load("nigeria").dropna(subset=["rr.q1", "cov.age"]).reset_index(drop=True)
    df["region"] = _regions(None, len(df), "few")
    return df


@pytest.fixture(scope="module")
def poll() -> pd.DataFrame:
    df = datasets.load("mexico")
    df["region"] = _regions(None, len(df), "few")
    return df


RR = {"design": "forced-known", "p": 2 / 3, "p0": 1 / 6, "p1": 1 / 6}
RR_CLI = ["--p", "2/3", "--p0", "1/6", "--p1", "1/6"]
LIST_FORMULA = {"dim": "y ~ 1", "lm": "y ~ south", "nls": "y ~ south", "ml": "y ~ south"}


def _numbers(x: Any) -> list[float]:
    """Every number in a JSON value (booleans are not numbers here)."""
    if isinstance(x, dict):
        return [v for k, w in x.items() if k != "group" for v in _numbers(w)]
    if isinstance(x, list):
        return [v for w in x for v in _numbers(w)]
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return []
    return [x]


def _row(rows: list[dict], name: str) -> dict:
    return next(r for r in rows if r["group"] == {"region": name})


def _check_suppressed(row: dict, n_text: str, reason: str) -> None:
    assert row["suppressed"] is True
    assert row["n"] == n_text
    assert reason in row["note"]
    assert _numbers(row) == []  # no estimate, no standard error, no count


# --------------------------------------------------------------------------- API


def _fits(race, nigeria, mexico, poll, min_n=30):
    out = {}
    for m, f in LIST_FORMULA.items():
        out[f"list-{m}"] = unspoken.list_experiment(
            race, f, treat="treat", J=3, method=m, by="region", min_n=min_n
        )
    out["rr"] = unspoken.rr_regression(nigeria, "rr.q1 ~ cov.age", **RR, by="region", min_n=min_n)
    out["rr-prevalence"] = unspoken.rr_prevalence(nigeria, "rr.q1", **RR, by="region",
                                                  min_n=min_n)  # fmt: skip
    out["direct"] = unspoken.direct_poll(poll, "mex.direct", "1", by="region", min_n=min_n)
    out["gap"] = unspoken.gap(mexico, "mex.y.all", "mex.t", 3, "mex.direct", by="region",
                              min_n=min_n)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def fits(race, nigeria, mexico, poll):
    return _fits(race, nigeria, mexico, poll)


@pytest.mark.parametrize(
    "key", ["list-dim", "list-lm", "list-nls", "list-ml", "rr", "rr-prevalence", "direct", "gap"]
)
def test_group_of_three_has_no_estimate_and_no_count(fits, key):
    res = fits[key]
    js = json.loads(res.to_json())
    tiny = _row(js["by"], "tiny")
    _check_suppressed(tiny, "n < 30", REASON30)
    for r in js["by"]:
        if r["group"]["region"] in ("a", "b"):
            assert r["suppressed"] is False and _numbers(r)
    text = res.summary()
    line = next(ln for ln in text.splitlines() if "tiny" in ln)
    assert "fewer than 30 respondents" in line or "n < 30" in line
    assert re.findall(r"\d+(?:\.\d+)?", line.replace("30", "")) == [], line


@pytest.mark.parametrize("key", ["list-dim", "list-lm", "list-nls", "list-ml", "gap"])
def test_arm_rule_suppresses_35_respondents_with_8_treated(fits, key):
    mid = _row(json.loads(fits[key].to_json())["by"], "mid")
    _check_suppressed(mid, "n < 10 in an arm", ARM)


@pytest.mark.parametrize("key", ["rr", "rr-prevalence", "direct"])
def test_no_arm_rule_without_arms(fits, key):
    js = json.loads(fits[key].to_json())
    _check_suppressed(_row(js["by"], "few"), "n < 30", REASON30)  # 27 respondents
    assert [r["suppressed"] for r in js["by"]].count(True) == 2  # 3 + 27 = 30: a and b shown


def test_min_n_1_shows_small_groups_with_a_note(race, nigeria, mexico, poll):
    shown = _fits(race, nigeria, mexico, poll, min_n=1)
    for key, res in shown.items():
        js = json.loads(res.to_json())
        assert all(r["suppressed"] is False for r in js["by"]), key
        assert any(USER in n for n in js["notes"]), key
        second = "mid" if key.startswith(("list", "gap")) else "few"
        assert _numbers(_row(js["by"], second)), key
    # the group of 3 under min_n = 1: model-based methods and the gap estimate it; the
    # difference in means needs 2 per arm and says so
    tiny = _row(json.loads(shown["list-ml"].to_json())["by"], "tiny")
    assert tiny["prevalence"]["n"] == 3
    dim = _row(json.loads(shown["list-dim"].to_json())["by"], "tiny")
    assert dim["prevalence"] is None and "fewer than 2" in dim["note"]
    mid = _row(json.loads(shown["list-dim"].to_json())["by"], "mid")
    truth = race[race.region == "mid"]
    dim_by_hand = truth.y[truth.treat == 1].mean() - truth.y[truth.treat == 0].mean()
    assert mid["prevalence"]["estimate"] == pytest.approx(dim_by_hand, rel=1e-12)
    gap_mid = _row(json.loads(shown["gap"].to_json())["by"], "mid")
    m = mexico[mexico.region == "mid"]
    by_hand = m["mex.y.all"][m["mex.t"] == 1].mean() - m["mex.y.all"][m["mex.t"] == 0].mean()
    assert gap_mid["list"]["estimate"] == pytest.approx(by_hand, rel=1e-12)
    assert gap_mid["direct"]["estimate"] == pytest.approx(m["mex.direct"].mean(), rel=1e-12)


def test_default_min_n_is_the_same_as_30(race):
    a = unspoken.list_experiment(race, "y ~ 1", J=3, method="dim", by="region")
    b = unspoken.list_experiment(race, "y ~ 1", J=3, method="dim", by="region", min_n=30)
    assert a.to_json() == b.to_json()


def test_a_lone_small_group_takes_the_next_smallest_with_it(poll):
    df = poll.copy()
    df["region"] = np.where(np.arange(len(df)) < 3, "tiny",
                            np.where(np.arange(len(df)) < 400, "small", "large"))  # fmt: skip
    js = json.loads(unspoken.direct_poll(df, "mex.direct", "1", by="region").to_json())
    _check_suppressed(_row(js["by"], "tiny"), "n < 30", REASON30)
    small = _row(js["by"], "small")
    _check_suppressed(small, "not shown", "worked out")
    assert _row(js["by"], "large")["suppressed"] is False


def test_one_json_shape_for_suppressed_groups(fits):
    keys = {}
    for key, res in fits.items():
        row = _row(json.loads(res.to_json())["by"], "tiny")
        assert {"group", "n", "suppressed", "note"} <= set(row)
        keys[key] = {k for k, v in row.items() if v is not None} - {"group"}
    assert all(k == {"n", "suppressed", "note"} for k in keys.values()), keys


def test_whole_sample_under_min_n_is_reported_with_a_note(race, mexico, nigeria, poll):
    small = race.iloc[:24]
    fit = unspoken.list_experiment(small, "y ~ 1", J=3, method="dim")
    assert fit.prevalence is not None and fit.n == 24
    assert any("24 respondents" in n and "fewer than 30" in n for n in fit.notes)
    res = unspoken.direct_poll(poll.iloc[:12], "mex.direct", "1")
    assert res.overall.support is not None
    assert any("12 respondents" in n for n in res.notes)
    rr = unspoken.rr_prevalence(nigeria.iloc[:20], "rr.q1", **RR)
    assert any("20 respondents" in n for n in rr.notes)
    g = unspoken.gap(mexico.iloc[:26], "mex.y.all", "mex.t", 3, "mex.direct")
    assert g.overall.gap is not None
    assert any("26 respondents" in n for n in g.notes)
    big = unspoken.direct_poll(poll, "mex.direct", "1")
    assert not any("respondents (fewer than" in n for n in big.notes)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def run(cli):
    return cli


@pytest.fixture(scope="module")
def files(tmp_path_factory, race, mexico, nigeria, poll):
    d = tmp_path_factory.mktemp("smallcells")
    out = {}
    for name, df in (("race", race), ("mexico", mexico), ("nigeria", nigeria), ("poll", poll)):
        out[name] = str(d / f"{name}.csv")
        df.to_csv(out[name], index=False)
    return out


def _cli_args(files) -> dict[str, list[str]]:
    args = {
        f"list-{m}": ["list", files["race"], "--formula", f, "--J", "3", "--method", m]
        for m, f in LIST_FORMULA.items()
    }
    args["rr"] = ["rr", files["nigeria"], "--formula", "rr.q1 ~ cov.age", *RR_CLI]
    args["direct"] = ["direct", files["poll"], "--question", "mex.direct", "--support", "1"]
    args["gap"] = ["gap", files["mexico"], "--outcome", "mex.y.all", "--treat", "mex.t",
                   "--J", "3", "--direct", "mex.direct"]  # fmt: skip
    return {k: [*v, "--by", "region"] for k, v in args.items()}


class _Rows(HTMLParser):
    """The cells of every table row and the text of every list item (the notes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.items: list[str] = []
        self._cell: list[str] | None = None
        self._li: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "li":
            self._li = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "li" and self._li is not None:
            self.items.append("".join(self._li).strip())
            self._li = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._li is not None:
            self._li.append(data)


def _html_row(text: str, group: str) -> tuple[list[str], list[str]]:
    p = _Rows()
    p.feed(text)
    rows = [r for r in p.rows if any(c == group or c.startswith(group + " [") for c in r)]
    return rows, p.items


@pytest.mark.parametrize(
    "key", ["list-dim", "list-lm", "list-nls", "list-ml", "rr", "direct", "gap"]
)
def test_cli_text_json_and_html(run, files, tmp_path, monkeypatch, key):
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    args = _cli_args(files)[key]
    code, out, err = run(*args, "--json")
    assert code == 0, err
    js = json.loads(out)
    _check_suppressed(_row(js["by"], "tiny"), "n < 30", REASON30)
    if key.startswith(("list", "gap")):
        _check_suppressed(_row(js["by"], "mid"), "n < 10 in an arm", ARM)
    code, text, err = run(*args)
    assert code == 0, err
    lines = [ln for ln in text.splitlines() if "region = tiny" in ln and "│" in ln]  # tables
    assert lines and all("%" not in ln and "n < 30" in ln for ln in lines), lines
    assert all(re.findall(r"\d+", ln.replace("30", "")) == [] for ln in lines), lines
    assert REASON30 in " ".join(text.split())
    html = tmp_path / "r.html"
    code, _, err = run(*args, "--html", str(html))
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    rows, notes = _html_row(page, "region = tiny")
    assert rows and all(
        "n < 30" in r and not any("%" in c for c in r) and "3" not in "".join(r).replace("30", "")
        for r in rows
    ), rows
    assert any(REASON30 in n for n in notes)
    rows, _ = _html_row(page, "region = a")
    assert rows and any("%" in c for c in rows[0])  # large groups keep their estimates


def test_cli_min_n_1_shows_them_with_the_note(run, files, tmp_path):
    for key, args in _cli_args(files).items():
        code, out, err = run(*args, "--min-n", "1", "--json")
        assert code == 0, err
        js = json.loads(out)
        assert all(r["suppressed"] is False for r in js["by"]), key
        assert any(USER in n for n in js["notes"]), key
    html = tmp_path / "g.html"
    code, _, err = run(*_cli_args(files)["gap"], "--min-n", "1", "--html", str(html))
    assert code == 0, err
    rows, notes = _html_row(html.read_text(encoding="utf-8"), "region = tiny")
    assert rows and any("%" in c or "pts" in c for r in rows for c in r)
    assert any(USER in n for n in notes)


def test_min_n_help_fits_each_command(run):
    helps = {}
    for cmd in ("list", "rr", "direct", "gap"):
        code, out, _ = run(cmd, "--help")
        assert code == 0 and "--min-n" in out
        helps[cmd] = " ".join(out.split("--min-n", 1)[1].split("--", 1)[0].split())
    assert "arm" not in helps["direct"] and "arm" not in helps["rr"]
    assert "arm" in helps["list"] and "arm" in helps["gap"] and "direct" in helps["gap"]
    code, _, err = run("direct", "mexico", "--question", "mex.direct", "--min-n", "0")
    assert code == 2 and "min-n" in err.lower()
