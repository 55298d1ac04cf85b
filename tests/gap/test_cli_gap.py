"""The direct, gap and combined commands through the entry point (JSON parsed), and the plot."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import unspoken


@pytest.fixture
def run(cli):
    return cli


def test_entry_point_in_a_process():
    out = subprocess.run(
        [sys.executable, "-m", "unspoken.cli.main", "combined", "combinedListExps",
         "--outcome", "list1N", "--treat", "list1treat", "--direct", "direct1", "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["model"] == "combined"


def test_gap_json_on_mexico(run, tmp_path):
    plot = tmp_path / "gap.svg"
    out = run(
        "gap", "mexico", "--outcome", "mex.y.all", "--treat", "mex.t", "--J", "3",
        "--direct", "mex.direct", "--by", "mex.male", "--plot", str(plot), "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["model"] == "gap" and js["layout"] == "everyone"
    api = unspoken.gap(
        unspoken.datasets.load("mexico"), "mex.y.all", "mex.t", 3, "mex.direct", by="mex.male"
    )
    for key in ("direct", "list", "gap"):
        assert js["overall"][key]["estimate"] == pytest.approx(
            getattr(api.overall, "hidden" if key == "list" else key).estimate
        )
        assert set(js["overall"][key]) >= {"estimate", "std_error", "ci_low", "ci_high", "n"}
    assert [b["group"] for b in js["by"]] == [{"mex.male": 0}, {"mex.male": 1}]
    assert plot.read_text().lstrip().startswith("<?xml")


def test_gap_too_small_group_in_json(run, tmp_path):
    out = run(
        "gap", "mexico", "--outcome", "mex.y.all", "--treat", "mex.t", "--J", "3",
        "--direct", "mex.direct", "--by", "mex.education", "--min-n", "40", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    small = [b for b in js["by"] if b["gap"] is None]
    assert small and all(b["suppressed"] and "suppressed to protect" in b["note"] for b in small)


def test_direct_json_shape(run):
    out = run("direct", "mexico", "--question", "mex.direct", "--support", "1", "--json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["model"] == "direct"
    cats = js["overall"]["categories"]
    assert [c["value"] for c in cats] == [0, 1]
    assert set(cats[0]) == {"value", "estimate", "std_error", "ci_low", "ci_high", "n"}
    share = (unspoken.datasets.load("mexico")["mex.direct"] == 1).mean()  # 57 / 1004
    assert js["overall"]["support"]["estimate"] == pytest.approx(share, rel=1e-12)
    assert js["by"] == []


def test_combined_json_shape(run):
    out = run(
        "combined", "combinedListExps", "--outcome", "list1N", "--treat", "list1treat",
        "--direct", "direct1", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["model"] == "combined"
    assert [t["name"] for t in js["placebo_tests"]] == ["I", "II"]
    assert {"estimate", "std_error", "p_value"} <= set(js["placebo_tests"][0])


def test_cli_error_names_column(run):
    out = run("gap", "mexico", "--outcome", "mex.y", "--treat", "mex.t", "--J", "3",
              "--direct", "mex.direct")  # fmt: skip
    assert out.returncode == 2
    assert "mex.y" in out.stderr and "Traceback" not in out.stderr


def test_plot_png(tmp_path):
    from unspoken.simulate.gap import simulate_gap

    df, _ = simulate_gap(1200, groups=["a", "b"], seed=2)
    res = unspoken.gap(df, "y", "treat", 4, "direct", by="group")
    path = tmp_path / "g.png"
    res.plot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(unspoken.DataError, match=r"\.svg"):
        res.plot(str(tmp_path / "g.txt"))


def test_gap_placebo_and_bounds_json(run):
    out = run(
        "gap", "gap_placebo", "--outcome", "count", "--treat", "treat", "--J", "4",
        "--direct", "support", "--support", "definitely,rather", "--dk", "bounds",
        "--placebo-treat", "placebo", "--placebo-prevalence", "0.5", "--by", "news", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    o = js["overall"]
    assert o["placebo"]["deflation"]["ci_high"] < 0
    assert o["bounds"]["gap"]["lower"]["estimate"] < o["bounds"]["gap"]["upper"]["estimate"]
    answers = unspoken.datasets.load("gap_placebo")["support"]
    dk = answers.isin(js["dk_values"]).mean()  # 245 of 3000
    assert js["dk_values"] == ["hard to say"]
    assert o["dk_share"]["estimate"] == pytest.approx(dk, rel=1e-12)
    assert [b["group"]["news"] for b in js["by"]] == ["TV", "internet"]
    bad = run("gap", "gap_placebo", "--outcome", "count", "--treat", "treat", "--J", "4",
              "--direct", "support", "--support", "definitely,rather",
              "--placebo-treat", "placebo")  # fmt: skip
    assert bad.returncode == 2 and "placebo_prevalence" in bad.stderr


def test_vcov_flag_and_its_old_name(run):
    args = ("direct", "mexico", "--question", "mex.direct", "--json")
    new = run(*args, "--vcov", "hc0")
    old = run(*args, "--variance", "hc0")
    assert new.returncode == old.returncode == 0, new.stderr + old.stderr
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert json.loads(new.stdout)["vcov"] == "hc0"
    assert "--variance is now --vcov" in old.stderr and "Deprecated" not in new.stderr
    bad = run(*args, "--vcov", "hc3")
    assert bad.returncode == 2 and "hc3" in bad.stderr
    gap = run("gap", "mexico", "--outcome", "mex.y.all", "--treat", "mex.t", "--J", "3",
              "--direct", "mex.direct", "--vcov", "hc0", "--level", "0.9", "--json")  # fmt: skip
    js = json.loads(gap.stdout)
    assert js["vcov"] == "hc0" and "variance" not in js
    g = js["overall"]["gap"]
    assert (g["ci_high"] - g["estimate"]) / g["std_error"] == pytest.approx(1.6448536, rel=1e-6)
