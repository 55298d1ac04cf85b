"""The table commands: --json is the API's to_dict(), --html writes a report, bad input is a
one-line error naming what to fix (exit code 2)."""

from __future__ import annotations

import json

import pytest

from unspoken.results import json_text
from unspoken.tables import direct_from_topline, gap_from_estimates, list_from_counts

LIST = ["table-list", "--control-counts", "8,132,222,227", "--treated-counts", "19,123,229,219,34"]
DIRECT = ["table-direct", "--share", "definitely=43", "--share", "rather=33,other=24",
          "--n", "1600", "--units", "percent", "--support", "definitely,rather"]  # fmt: skip
GAP = ["table-gap", "--hidden", "60", "--hidden-se", "3", "--direct", "76", "--direct-ci",
       "74,78", "--same-respondents"]  # fmt: skip


def _api(name: str):
    if name == "list":
        return list_from_counts([8, 132, 222, 227], [19, 123, 229, 219, 34])
    if name == "direct":
        return direct_from_topline(
            {"definitely": 43, "rather": 33, "other": 24}, 1600, units="percent",
            support="definitely,rather",
        )  # fmt: skip
    return gap_from_estimates(60, 76, hidden_se=3, direct_ci=(74, 78), same_respondents=True)


@pytest.mark.parametrize(("name", "args"), [("list", LIST), ("direct", DIRECT), ("gap", GAP)])
def test_json_is_the_api_and_html_changes_nothing(cli, tmp_path, name, args) -> None:
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(json_text(_api(name)))
    html = tmp_path / "r.html"
    code, out2, err = cli(*args, "--json", "--html", html)
    assert code == 0 and out2 == out
    assert 'class="headline"' in html.read_text(encoding="utf-8")
    code, text, _ = cli(*args)
    assert code == 0 and "rounding" in text


def test_typed_decimals_set_the_rounding(cli) -> None:
    args = ["table-direct", "--share", "definitely=43.0,rather=33.0,other=24.0", "--n", "1600",
            "--support", "definitely,rather", "--json"]  # fmt: skip
    code, out, _ = cli(*args)
    assert code == 0
    d = json.loads(out)
    assert d["rounding"]["decimals"] == 1 and d["units"] == "percent"
    assert d["rounding"]["high"] == pytest.approx(76.1 / 100.05, rel=1e-14)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["table-list", "--control-counts", "8,132,x", "--treated-counts", "1,2,3,4"],
            "control: 'x' is not",
        ),
        (
            [
                "table-list",
                "--control-counts",
                "8,132,222",
                "--treated-counts",
                "1,2,3",
                "--J",
                "2",
            ],
            "treated",
        ),
        (["table-direct", "--share", "yes=60,no=30", "--n", "100", "--support", "yes"], "sum"),
        (["table-direct", "--share", "yes 60", "--n", "100"], "answer=share"),
        (["table-gap", "--hidden", "60", "--direct", "76", "--direct-se", "1"], "hidden_se"),
        (
            [
                "table-gap",
                "--hidden",
                "60",
                "--hidden-ci",
                "50",
                "--direct",
                "76",
                "--direct-se",
                "1",
            ],
            "hidden_ci: give 2 numbers",
        ),
    ],
)
def test_bad_input_is_one_line(cli, args, words) -> None:
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and words in err and "Traceback" not in err
