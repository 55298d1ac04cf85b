"""The ``unspoken list`` command through its entry point."""

from __future__ import annotations

import json

import pytest

from unspoken import datasets
from unspoken.listexp import list_experiment


def test_json_output_matches_the_api(cli):
    code, out, _err = cli(
        "list",
        "race",
        "--formula",
        "y ~ south + age",
        "--treat",
        "treat",
        "--J",
        "3",
        "--method",
        "ml",
        "--by",
        "south",
        "--json",
    )
    assert code == 0
    d = json.loads(out)  # exactly one JSON object
    fit = list_experiment(datasets.load("race"), "y ~ south + age", J=3, by="south")
    assert d["model"] == "list.ml" and d["n"] == 1213 and d["converged"] is True
    assert d["loglik"] == pytest.approx(fit.loglik, rel=1e-12)
    assert [(p["part"], p["term"]) for p in d["params"]][:3] == [
        ("sensitive", "Intercept"),
        ("sensitive", "south"),
        ("sensitive", "age"),
    ]
    assert d["params"][0]["estimate"] == pytest.approx(fit.params_[0], rel=1e-10)
    assert d["prevalence"]["estimate"] == pytest.approx(fit.prevalence.estimate, rel=1e-10)
    assert {"estimate", "std_error", "ci_low", "ci_high"} <= set(d["prevalence"])
    assert d["by"][0]["group"] == {"south": 0}
    assert d["by"][1]["prevalence"]["estimate"] == pytest.approx(
        fit.by[1].estimate.estimate, rel=1e-10
    )


def test_table_output_and_options(cli, tmp_path):
    df = datasets.load("race").assign(w=1.0, psu=lambda d: d.index % 40)
    path = tmp_path / "race.csv"
    df.to_csv(path, index=False)
    code, out, _ = cli(
        "list",
        str(path),
        "--formula",
        "y ~ age",
        "--J",
        "3",
        "--method",
        "lm",
        "--weights",
        "w",
        "--cluster",
        "psu",
        "--level",
        "0.9",
    )
    assert code == 0
    assert "sensitive" in out and "Prevalence of the sensitive item" in out
    assert "90% CI" in out and "cluster" in out
    code, out, _ = cli(
        "list",
        "race",
        "--method",
        "ml",
        "--unconstrained",
        "--formula",
        "y ~ age",
        "--J",
        "3",
        "--json",
    )
    d = json.loads(out)
    assert {p["part"] for p in d["params"]} == {"sensitive", "control.z0", "control.z1"}
    code, out, _ = cli("list", "affirm", "--method", "dim", "--control", "FALSE", "--json")
    assert json.loads(out)["model"] == "list.dim"


def test_formula_is_never_evaluated(cli, tmp_path):
    """Code in a formula must be refused before anything evaluates it: the payloads would
    create a marker file (a side effect capsys cannot miss, unlike printed output)."""
    marker = tmp_path / "hacked"
    code = f"open({str(marker)!r}, 'w').close()"
    spelled = "+".join(f"chr({ord(c)})" for c in code)  # no quote characters at all
    payloads = [
        f"y ~ I(exec({spelled}))",
        f"y ~ age + C(eval({spelled}))",
        f"y ~ I(__import__('pathlib').Path('{marker}').touch())",
        f"y ~ age + I(open('{marker}', 'w').close())",
        f"y ~ C(__import__('pathlib').Path('{marker}').touch())",
        "y ~ os.system",
        "y ~ age.__class__",
    ]
    for formula in payloads:
        code, out, err = cli("list", "race", "--formula", formula, "--J", "3")
        assert code == 2, formula
        assert out == "", formula
        assert "Traceback" not in err
        assert not marker.exists(), formula
        assert "not allowed" in err or "not in the data" in err, err


def test_bad_data_reports_column(cli, tmp_path):
    df = datasets.load("race")
    df.loc[[5, 9], ["y", "treat"]] = [4, 0]
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    code, out, err = cli("list", str(path), "--J", "3", "--json")
    assert code == 2 and out == ""
    assert "column 'y'" in err and "rows 5, 9" in err


def test_only_the_fits_own_warnings_become_notes(cli, monkeypatch):
    """A warning raised outside unspoken during the call (a ResourceWarning, as the garbage
    collector gives for an unclosed socket, or another library's warning) is not written into
    the result but handled as usual; the fit's own warning (J larger than any count) is a
    note."""
    import warnings

    import unspoken.listexp.standard as standard

    real = standard.fit_list

    def noisy(*args, **kwargs):
        warnings.warn_explicit("unclosed socket", ResourceWarning, "/elsewhere/sock.py", 1)
        warnings.warn_explicit("a library's own warning", UserWarning, "/elsewhere/lib.py", 1)
        return real(*args, **kwargs)

    monkeypatch.setattr(standard, "fit_list", noisy)
    code, out, err = cli("list", "race", "--J", "5", "--method", "dim", "--json")
    assert code == 0
    notes = json.loads(out)["notes"]
    assert any("no respondent reported 5 or more items" in n for n in notes)
    assert not any("unclosed socket" in n or "library" in n for n in notes)
    assert "Warning: a library's own warning" in err  # shown as other commands show them
