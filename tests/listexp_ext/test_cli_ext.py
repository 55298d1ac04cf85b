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
