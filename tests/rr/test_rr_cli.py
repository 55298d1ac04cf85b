"""The rr and rr-power commands through the entry point (JSON parsed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unspoken import datasets
from unspoken.rr import rr_regression

REF = Path(__file__).resolve().parents[1] / "reference"


def power_case(name: str) -> dict:
    """A case of R rr 1.4.2 power.rr.test, tests/reference/rr_power.json."""
    cases = json.loads((REF / "rr_power.json").read_text())["cases"]
    return next(c for c in cases if c["name"] == name)["result"]


@pytest.fixture
def run(cli):
    """The entry-point function in-process (exit code, stdout, stderr)."""
    return cli


def test_console_entry_point_subprocess():
    out = subprocess.run(
        [sys.executable, "-m", "unspoken.cli.main", "rr-power", "--design", "mirrored", "--p",
         "2/3", "--presp", "0.2", "--n", "200", "--alpha", "0.01", "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["power"] == pytest.approx(power_case("mirrored")["power"], rel=1e-8)


def test_rr_json_matches_r_and_the_api(run):
    ref = json.loads((REF / "nigeria_rrreg_forced_known.json").read_text())
    formula = (
        "rr.q1 ~ cov.asset.index + cov.married + I(cov.age/10) + I((cov.age/10)^2)"
        " + cov.education + cov.female"
    )
    out = run("rr", "nigeria", "--formula", formula, "--design", "forced-known",
              "--p", "2/3", "--p0", "1/6", "--p1", "1/6", "--vcov", "opg", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["model"] == "rr.forced-known" and js["n"] == 2423 and js["vcov"] == "opg"
    assert {p["part"] for p in js["params"]} == {"sensitive"}
    est = [p["estimate"] for p in js["params"]]
    se = [p["std_error"] for p in js["params"]]
    np.testing.assert_allclose(est, ref["crosscheck_base_R"]["polished_estimates"], rtol=1e-6)
    np.testing.assert_allclose(se, ref["result"]["se"], rtol=1e-3)
    prev = js["prevalence"]
    assert prev["ci_low"] < prev["estimate"] < prev["ci_high"]
    assert prev["estimate"] == pytest.approx(
        ref["crosscheck_base_R"]["polished_mean_prevalence"], rel=1e-8
    )


def test_rr_by_and_csv_file(tmp_path, run):
    df = datasets.load("nigeria")
    path = tmp_path / "n.csv"
    df.to_csv(path, index=False)
    out = run("rr", str(path), "--formula", "rr.q1 ~ cov.female", "--design", "mirrored",
              "--p", "0.75", "--by", "cov.female", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    api = rr_regression(df, "rr.q1 ~ cov.female", design="mirrored", p=0.75, by="cov.female")
    assert js["prevalence"]["estimate"] == pytest.approx(api.prevalence.estimate, rel=1e-12)
    assert [g["group"]["cov.female"] for g in js["by"]] == [0.0, 1.0]
    text = run("rr", str(path), "--formula", "rr.q1 ~ cov.female", "--design", "mirrored",
               "--p", "0.75")  # fmt: skip
    assert text.returncode == 0 and "Prevalence" in text.stdout


def test_rr_errors_are_clear(run):
    out = run("rr", "nigeria", "--formula", "rr.q1 ~ 1", "--design", "crosswise", "--p", "0.5")
    assert out.returncode == 2 and "does not identify" in out.stderr
    out = run("rr", "nigeria", "--formula", "cov.education ~ 1", "--design", "mirrored",
              "--p", "0.7")  # fmt: skip
    assert out.returncode == 2 and "cov.education" in out.stderr and "0 or 1" in out.stderr


def test_rr_power_cli(run):
    out = run("rr-power", "--design", "forced-known", "--p", "2/3", "--p1", "1/6", "--p0",
              "1/6", "--presp", "0.2", "--presp-null", "0", "--n", "200", "--sig-level",
              "0.01", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["model"] == "rr.power" and js["n"] == 200
    assert js["power"] == pytest.approx(power_case("manpage_forced_known")["power"], rel=1e-8)
    out = run("rr-power", "--design", "mirrored", "--p", "2/3", "--presp-t", "0.3",
              "--presp-c", "0.1", "--power", "0.8", "--type", "two.sample",
              "--alternative", "two.sided", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["power"] == 0.8 and js["achieved_power"] >= 0.8 and isinstance(js["n"], int)
    out = run("rr-power", "--design", "mirrored", "--p", "2/3", "--presp", "0.2")
    assert out.returncode == 2 and "exactly one of --n (to get the power) and --power" in out.stderr


def test_old_flags_still_work_with_a_deprecation_line(run):
    """rr --reps -> --bootstrap-reps, rr-power --sig-level -> --alpha (hidden, one release)."""
    base = ("rr", "nigeria", "--formula", "rr.q1 ~ 1", "--p", "2/3", "--p0", "1/6", "--p1",
            "1/6", "--vcov", "bootstrap", "--seed", "3", "--json")  # fmt: skip
    new = run(*base, "--bootstrap-reps", "60")
    old = run(*base, "--reps", "60")
    assert new.returncode == old.returncode == 0, old.stderr
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert "--bootstrap-reps" in old.stderr and "Deprecated" not in new.stderr
    power = ("rr-power", "--design", "mirrored", "--p", "2/3", "--presp", "0.2", "--n", "200")
    new = run(*power, "--alpha", "0.01", "--json")
    old = run(*power, "--sig-level", "0.01", "--json")
    assert (
        json.loads(new.stdout) == json.loads(old.stdout) and json.loads(new.stdout)["alpha"] == 0.01
    )
    assert "--alpha" in old.stderr
    assert (
        "--reps" not in run("rr", "--help").stdout
        and "--sig-level" not in run("rr-power", "--help").stdout
    )
