"""Every class of bad input, through the public API and through the CLI entry point
(``unspoken.cli.main.main``), for each command that reads list counts: the error is a
DataError (exit code 2 on the command line, nothing on stdout, no traceback) that names the
column and the rows at fault (0-based positions in the data as given)."""

from __future__ import annotations

import shlex
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken import datasets
from unspoken.cli.main import main
from unspoken.errors import DataError


def _race() -> pd.DataFrame:
    d = datasets.load("race")
    d["d"] = (np.arange(len(d)) % 3 == 0).astype(int)  # a 0/1 direct answer
    return d


def _control_above_J(d):
    d.loc[[5, 9], ["y", "treat"]] = [4, 0]
    return d


def _treated_above_J_plus_1(d):
    d.loc[7, ["y", "treat"]] = [5, 1]
    return d


def _non_integer(d):
    d["y"] = d["y"].astype(float)
    d.loc[3, "y"] = 1.5
    return d


def _negative(d):
    d.loc[11, "y"] = -1
    return d


def _text_count(d):
    d["y"] = d["y"].astype(object)
    d.loc[6, "y"] = "two"
    return d


def _three_arms(d):
    d.loc[[2, 4], "treat"] = 2
    return d


def _empty_arm(d):
    return d[d["treat"] == 1].reset_index(drop=True)


def _direct_not_binary(d):
    d.loc[[6, 12], "d"] = 2
    return d


# defect -> (frame maker, column, rows (None: a whole-column problem, no rows))
DEFECTS: dict[str, tuple[Callable, str, list[int] | None]] = {
    "control_above_J": (_control_above_J, "y", [5, 9]),
    "treated_above_J_plus_1": (_treated_above_J_plus_1, "y", [7]),
    "non_integer": (_non_integer, "y", [3]),
    "negative": (_negative, "y", [11]),
    "text_count": (_text_count, "y", [6]),
    "three_arms": (_three_arms, "treat", [2, 4]),
    "empty_arm": (_empty_arm, "treat", None),
}

API: dict[str, Callable] = {
    "list_experiment": lambda d: unspoken.list_experiment(d, "y ~ 1", J=3, method="dim"),
    "list_experiment_ml": lambda d: unspoken.list_experiment(d, "y ~ age", J=3),
    "design_test": lambda d: unspoken.design_test(d, "y", "treat", J=3),
    "gap": lambda d: unspoken.gap(d, "y", "treat", 3, "d"),
    "combined_list_direct": lambda d: unspoken.combined_list_direct(d, "y", "treat", "d", J=3),
}

# command lines as shell text: {path} (and {payload}) are filled in after splitting
CLI: dict[str, str] = {
    "list": "list {path} --J 3 --json",
    "design-test": "design-test {path} --outcome y --treat treat --J 3 --json",
    "gap": "gap {path} --outcome y --treat treat --J 3 --direct d --json",
    "combined": "combined {path} --outcome y --treat treat --direct d --J 3 --json",
}


def argv(command: str, **fields: object) -> list[str]:
    """The arguments of a command line written as shell text, with ``fields`` filled in."""
    return [a.format(**fields) for a in shlex.split(command)]


def _rows_text(rows: list[int]) -> str:
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(map(str, rows))


def _check(err: DataError, column: str, rows: list[int] | None) -> None:
    msg = str(err)
    assert err.column == column, msg
    assert f"'{column}'" in msg
    if rows is not None:
        assert list(err.rows) == rows, msg
        assert _rows_text(rows) in msg, msg


@pytest.mark.parametrize("defect", list(DEFECTS))
@pytest.mark.parametrize("api", list(API))
def test_api(api, defect):
    make, column, rows = DEFECTS[defect]
    with pytest.raises(DataError) as ei:
        API[api](make(_race()))
    _check(ei.value, column, rows)


def run(capsys, args: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as ei:
        main(args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(ei.value.code or 0), out.out, out.err


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bad")
    paths = {}
    for name, (make, _, _) in DEFECTS.items():
        path = folder / f"{name}.csv"
        make(_race()).to_csv(path, index=False)
        paths[name] = str(path)
    return paths


# a three-arm treatment is valid input for design-test (one test per sensitive item,
# checked in tests/cli), so that pair is not a bad-input case
CLI_CASES = [
    (command, defect)
    for command in CLI
    for defect in DEFECTS
    if (command, defect) != ("design-test", "three_arms")
]


@pytest.mark.parametrize(("command", "defect"), CLI_CASES)
def test_cli(capsys, files, command, defect):
    _, column, rows = DEFECTS[defect]
    code, out, err = run(capsys, argv(CLI[command], path=files[defect]))
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert f"column '{column}'" in err, err
    if rows is not None:
        assert _rows_text(rows) in err, err


# ----------------------------------------------------------------------------- other classes


def test_direct_answer_not_binary(capsys, tmp_path):
    d = _direct_not_binary(_race())
    with pytest.raises(DataError) as ei:
        API["combined_list_direct"](d)
    assert ei.value.column == "d" and list(ei.value.rows) == [6, 12]
    # the gap reads the direct question as categories: a third answer needs support=
    with pytest.raises(DataError, match=r"answers: 0, 1, 2.*support=") as ei:
        API["gap"](d)
    assert ei.value.column == "d"
    path = tmp_path / "direct.csv"
    d.to_csv(path, index=False)
    code, out, err = run(capsys, argv(CLI["combined"], path=path))
    assert code == 2 and out == "" and "column 'd'" in err and "rows 6, 12" in err


def test_missing_values_are_dropped_and_reported_with_counts(capsys, tmp_path):
    d = _race().astype({"y": float})
    d.loc[[3, 8], "y"] = np.nan
    d.loc[20, "age"] = np.nan
    fit = unspoken.list_experiment(d, "y ~ age", J=3)
    assert fit.n == len(d) - 3
    note = next(n for n in fit.notes if n.startswith("listwise deletion"))
    assert "3 of 1213 rows dropped" in note
    assert "column 'y': 2 rows, first 3, 8" in note and "column 'age': 1 row, first 20" in note
    res = unspoken.design_test(d, "y", "treat", J=3)
    assert res.n == len(d) - 2 and any("2 of 1213 rows dropped" in n for n in res.notes)
    comb = unspoken.combined_list_direct(d, "y", "treat", "d")
    assert comb.n == len(d) - 2 and any("2 of 1213 rows dropped" in n for n in comb.notes)
    # missing="error" names the rows instead
    with pytest.raises(DataError) as ei:
        unspoken.list_experiment(d, "y ~ age", J=3, missing="error")
    assert ei.value.column == "y" and list(ei.value.rows) == [3, 8]
    # the command line reports the same counts (JSON notes and text)
    path = tmp_path / "missing.csv"
    d.to_csv(path, index=False)
    import json

    code, out, _ = run(capsys, ["list", str(path), "--formula", "y ~ age", "--J", "3", "--json"])
    assert code == 0
    js = json.loads(out)
    assert js["n"] == 1210 and any("3 of 1213 rows dropped" in n for n in js["notes"])
    code, out, _ = run(capsys, ["list", str(path), "--formula", "y ~ age", "--J", "3"])
    assert code == 0 and "3 of 1213 rows dropped" in " ".join(out.split())


@pytest.mark.parametrize(
    ("args", "column"),
    [
        ("list {path} --formula 'y ~ agee' --J 3", "agee"),
        ("list {path} --formula 'yy ~ age' --J 3", "yy"),
        ("list {path} --treat tr --J 3", "tr"),
        ("list {path} --J 3 --weights wt", "wt"),
        ("design-test {path} --outcome yy --treat treat --J 3", "yy"),
        ("gap {path} --outcome y --treat treat --J 3 --direct dd", "dd"),
        ("combined {path} --outcome y --treat treat --direct d --covariates 'age + sex'", "sex"),
        ("rr {path} --formula 'y ~ agee' --design mirrored --p 0.7", "agee"),
    ],
)
def test_missing_column_is_named(capsys, tmp_path, args, column):
    path = tmp_path / "race.csv"
    _race().to_csv(path, index=False)
    code, out, err = run(capsys, argv(args, path=path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"'{column}'" in err, err


def test_J_inconsistent_with_the_data(capsys, tmp_path):
    d = _race()
    with pytest.warns(UserWarning, match="no respondent reported 6"):
        fit = unspoken.list_experiment(d, "y ~ 1", J=6, method="dim")
    assert any("check that J" in n for n in fit.notes)
    with pytest.raises(DataError, match="positive integer"):
        unspoken.list_experiment(d, "y ~ 1", J=0)
    with pytest.raises(DataError, match="positive integer"):
        unspoken.combined_list_direct(d, "y", "treat", "d", J=0)
    # J too small: the counts above it are named (control J = 2 -> rows with y = 3)
    with pytest.raises(DataError) as ei:
        unspoken.list_experiment(d, "y ~ 1", J=2, method="dim")
    control3 = np.flatnonzero((d["treat"] == 0).to_numpy() & (d["y"] == 3).to_numpy())
    assert ei.value.column == "y" and list(ei.value.rows)[:3] == control3[:3].tolist()
    path = tmp_path / "race.csv"
    d.to_csv(path, index=False)
    code, out, err = run(capsys, ["list", str(path), "--J", "2", "--json"])
    assert code == 2 and out == "" and "column 'y'" in err and str(control3[0]) in err


def test_unreadable_and_mislabelled_files(capsys, tmp_path):
    text_sav = tmp_path / "survey.sav"
    text_sav.write_text("y,treat\n1,0\n")
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    cp1251 = tmp_path / "ru.csv"
    cp1251.write_bytes("y;treat;группа\n1;0;а\n2;1;б\n".encode("cp1251"))
    cases = [
        (tmp_path / "nothere.csv", "file not found"),
        (text_sav, "should be an SPSS .sav file but it is plain text"),
        (junk, "binary data"),
        (cp1251, "encoding="),
        (tmp_path, "is a folder"),
    ]
    for path, needle in cases:
        with pytest.raises(DataError, match=needle):
            unspoken.read_data(path)
        for cmd in (
            ["list", str(path), "--J", "3", "--json"],
            ["rr", str(path), "--formula", "y ~ 1", "--p", "0.7", "--design", "mirrored", "--json"],
        ):
            code, out, err = run(capsys, cmd)
            assert code == 2 and out == "" and "Traceback" not in err
            assert needle in " ".join(err.split()), err


def test_rr_answers_outside_the_answer_set(capsys, tmp_path):
    d = datasets.load("nigeria")[["rr.q1", "cov.female"]].dropna().reset_index(drop=True)
    d.loc[[4, 10], "rr.q1"] = 3
    with pytest.raises(DataError) as ei:
        unspoken.rr_regression(d, "rr.q1 ~ cov.female", "mirrored", p=0.7)
    assert ei.value.column == "rr.q1" and list(ei.value.rows) == [4, 10]
    path = tmp_path / "rr.csv"
    d.to_csv(path, index=False)
    code, out, err = run(
        capsys,
        argv(
            "rr {path} --formula 'rr.q1 ~ cov.female' --design mirrored --p 0.7 --json", path=path
        ),
    )
    assert code == 2 and out == "" and "rr.q1" in err and "rows 4, 10" in err


@pytest.mark.parametrize(
    "call",
    [
        lambda d: unspoken.list_experiment(d, "y ~ age + south", J=3),
        lambda d: unspoken.list_experiment(d, "y ~ age", J=3, method="nls"),
        lambda d: unspoken.rr_regression(d, "d ~ age", "mirrored", p=0.7),
        lambda d: unspoken.combined_list_direct(d, "y", "treat", "d", covariates="age"),
        lambda d: unspoken.gap(d, "y", "treat", 3, "d", method="ml", covariates="age"),
    ],
    ids=["list_ml", "list_nls", "rr", "combined", "gap_ml"],
)
def test_infinite_covariate_is_named(call):
    """Before: 'rank deficient' (list, rr), a LAPACK error (combined) or a convergence error
    (gap) that named no row."""
    d = _race().astype({"age": float})
    d.loc[[5, 17], "age"] = np.inf
    with pytest.raises(DataError, match="not a finite number") as ei:
        call(d)
    assert ei.value.column == "age" and list(ei.value.rows) == [5, 17]


@pytest.mark.parametrize(
    "args",
    [
        "list {path} --formula 'y ~ {payload}' --J 3",
        "rr {path} --formula 'd ~ {payload}' --design mirrored --p 0.7",
        "combined {path} --outcome y --treat treat --direct d --covariates {payload}",
        "gap {path} --outcome y --treat treat --J 3 --direct d --method ml "
        "--covariates 'age + {payload}'",
    ],
    ids=["list", "rr", "combined", "gap"],
)
def test_formula_code_injection_through_every_command(capsys, tmp_path, args):
    """Every command taking a formula or covariates refuses code before running it: the
    payload (no quote characters) would create a marker file."""
    path = tmp_path / "race.csv"
    _race().to_csv(path, index=False)
    marker = tmp_path / "ran"
    code = "+".join(f"chr({ord(c)})" for c in f"open({str(marker)!r}, 'w').close()")
    for payload in (f"I(exec({code}))", f"C(eval({code}))", f"log(__import__({code}))"):
        status, out, err = run(capsys, argv(args, path=path, payload=payload))
        assert status == 2 and out == "" and "Traceback" not in err
        assert "not allowed" in err, err
        assert not marker.exists()
