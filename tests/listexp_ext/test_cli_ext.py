"""CLI of the extended list designs, through the entry point (--json parsed)."""

import json
import subprocess
import sys


def run(*args):
    out = subprocess.run(
        [sys.executable, "-m", "unspoken.cli.main", *args], capture_output=True, text=True
    )
    return out


def test_list_double_json():
    out = run(
        "list-double",
        "double_list",
        "--y1",
        "y1",
        "--y2",
        "y2",
        "--treat",
        "long1",
        "--weights",
        "weight",
        "--cluster",
        "psu",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["vcov"] == "cluster"
    assert 0 < d["prevalence"]["estimate"] < 1
    assert {p["part"] for p in d["params"]} == {
        "sensitive",
        "list1",
        "list2",
        "control1",
        "control2",
    }
    assert 0 <= d["consistency_test"]["p_value"] <= 1


def test_list_double_bad_column_is_a_clean_error():
    out = run("list-double", "double_list", "--y1", "nope", "--y2", "y2", "--treat", "long1")
    assert out.returncode == 2
    assert "nope" in out.stderr and "Traceback" not in out.stderr


def test_list_multi_items_json():
    out = run(
        "list",
        "multi",
        "--formula",
        "y ~ male + college",
        "--J",
        "3",
        "--multi-condition",
        "level",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert [p["item"] for p in d["prevalence"]] == ["affirm", "race"]
    for p in d["prevalence"]:
        assert set(p) >= {"item", "estimate", "std_error", "ci_low", "ci_high"}
    parts = {p["part"] for p in d["params"]}
    assert parts == {"sensitive.affirm", "sensitive.race", "control"}
    assert any(p["term"] == "y_i(0)" for p in d["params"])


def test_list_ceiling_floor_error_overdispersed_json():
    out = run(
        "list",
        "race",
        "--formula",
        "y ~ south + age",
        "--J",
        "3",
        "--ceiling",
        "--floor",
        "--ceiling-formula",
        "~ south",
        "--liar-fit",
        "bayesglm",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"ceiling", "floor"} <= {p["part"] for p in d["params"]}
    assert 0 <= d["liars"]["ceiling_share_hiding"]["ci_low"] <= 1
    out = run(
        "list",
        "race",
        "--formula",
        "y ~ south + age + south:age",
        "--J",
        "3",
        "--error",
        "topcoded",
        "--json",
    )
    d = json.loads(out.stdout)
    assert any(p["term"] == "south:age" for p in d["params"])
    assert "p" in d["error_share"]
    out = run(
        "list",
        "race",
        "--J",
        "3",
        "--overdispersed",
        "--weights",
        "age",
        "--cluster",
        "state",
        "--json",
    )
    d = json.loads(out.stdout)
    assert d["vcov"] == "cluster" and "rho" in d


def test_list_unsupported_combination_is_a_clean_error():
    out = run("list", "race", "--J", "3", "--ceiling", "--error", "uniform")
    assert out.returncode == 2
    assert "cannot be combined" in out.stderr and "Traceback" not in out.stderr
