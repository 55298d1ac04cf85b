"""Safe formula parsing: what passes, what is refused, and the matrices it builds."""

import numpy as np
import pandas as pd
import pytest

from unspoken.errors import DataError
from unspoken.formula import check_full_rank, formula_columns, model_matrix, split_formula


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "cov.age": rng.integers(18, 80, 50).astype(float),
            "x": rng.integers(0, 2, 50),
            "g": rng.choice(["a", "b", "c"], 50),
        }
    )


def test_dotted_names_and_r_power_inside_I(df):
    d = model_matrix("cov.age + x + I((cov.age/10)^2) + x:cov.age", df)
    assert d.names == ["Intercept", "cov.age", "x", "I((cov.age/10)^2)", "x:cov.age"]
    np.testing.assert_allclose(d.X[:, 3], (df["cov.age"] / 10) ** 2)
    np.testing.assert_allclose(d.X[:, 4], df["x"] * df["cov.age"])
    assert d.columns == ["cov.age", "x"]


def test_intercept_only_and_categorical(df):
    assert model_matrix("1", df).names == ["Intercept"]
    d = model_matrix("C(g)", df)
    assert d.names == ["Intercept", "C(g)[T.b]", "C(g)[T.c]"]
    assert d.X.shape == (50, 3)


def test_design_rebuilds_on_new_data(df):
    d = model_matrix("cov.age + C(g)", df)
    new = df.iloc[:5].assign(**{"cov.age": 99.0})
    X = d.on(new)
    assert X.shape == (5, 4)
    assert np.all(X[:, 1] == 99.0)


@pytest.mark.parametrize(
    "bad",
    [
        "I(__import__('os').system('echo hacked'))",
        "__import__",
        "x.__class__",
        "open(x)",
        "eval(x)",
        "x[0]",
        "x; import os",
        "lambda: 1",
        "x @ x",
        "x + 'a'",
    ],
)
def test_code_is_never_evaluated(df, bad):
    with pytest.raises(DataError):
        model_matrix(bad, df)


def test_unknown_column_is_named_with_suggestion(df):
    with pytest.raises(DataError, match=r"column 'cov.agee'.*did you mean 'cov.age'"):
        model_matrix("cov.agee", df)


def test_split_and_columns(df):
    assert split_formula("y ~ x + g") == ("y", "x + g")
    assert split_formula("~ x") == (None, "x")
    assert split_formula("y ~ ") == ("y", "1")
    assert formula_columns("x + C(g) + x:g", df.columns) == ["x", "g"]
    with pytest.raises(DataError):
        split_formula("y ~ x ~ z")


def test_rank_deficiency_names_the_column(df):
    X = np.column_stack([np.ones(50), df["x"], 2 * df["x"]])
    with pytest.raises(DataError, match="'x2'"):
        check_full_rank(X, ["Intercept", "x", "x2"])


@pytest.mark.parametrize("wrap", ["I({})", "C({})", "log({})", "x + {}", "x:{}"])
@pytest.mark.parametrize("fn", ["exec", "eval", "__import__"])
def test_refused_code_has_no_side_effect(df, tmp_path, wrap, fn):
    """A refusal must come before evaluation: each payload (no quote characters) would
    create a marker file if any part of it ran."""
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()"
    spelled = "+".join(f"chr({ord(c)})" for c in code)
    payload = f"{fn}({spelled})"
    with pytest.raises(DataError, match="not allowed"):
        model_matrix(wrap.format(payload), df)
    assert not marker.exists()


def test_infinite_values_name_term_column_and_rows(df):
    bad = df.assign(**{"cov.age": df["cov.age"].astype(float)})
    bad.loc[[3, 7], "cov.age"] = np.inf
    with pytest.raises(DataError, match=r"term 'cov.age' is not a finite number") as ei:
        model_matrix("x + cov.age", bad)
    assert ei.value.column == "cov.age" and list(ei.value.rows) == [3, 7]
    # a transformation that is not finite (log of 0) names the source column
    with np.errstate(divide="ignore"), pytest.raises(DataError, match=r"'log\(x\)'") as ei:
        model_matrix("log(x)", df)
    assert ei.value.column == "x"
    assert list(ei.value.rows) == np.flatnonzero(df["x"].to_numpy() == 0).tolist()[:5]


@pytest.mark.parametrize(
    "rhs",
    [
        "I(x ** 9 ** 9 ** 9)",
        "I(x ^ 9 ^ 9)",
        "I(9 ** (9 ** 9))",
        "I(x ** 1000)",
        "I(x ^ -101)",
        "I(x * 123456789012345678901234567890)",
        "I(" * 13 + "x" + ")" * 13,
        "x ** 2 ** 3",
        "I(2 ** sqrt(x))",
        "x + " * 2000 + "x",
    ],
)
def test_explosive_literal_arithmetic_is_refused_before_evaluation(rhs):
    """Each of these would run for minutes or hours inside formulaic (Python evaluates I())."""
    import time

    df = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    t0 = time.perf_counter()
    with pytest.raises(DataError, match="formula"):
        model_matrix(rhs, df)
    assert time.perf_counter() - t0 < 1.0


def test_ordinary_powers_still_work():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    dm = model_matrix("x + I(x^2) + I((x/10)**2) + I(x ^ -1) + I(x^(1/2))", df)
    x = df["x"].to_numpy()
    np.testing.assert_allclose(dm.X[:, 2], x**2)
    np.testing.assert_allclose(dm.X[:, 3], (x / 10) ** 2)
    np.testing.assert_allclose(dm.X[:, 4], 1 / x)
    np.testing.assert_allclose(dm.X[:, 5], np.sqrt(x))


def test_cli_refuses_a_power_tower_fast():
    """The formula that froze `unspoken serve` (issue 9): exit 2 and a message, in seconds."""
    import subprocess
    import sys
    import time

    t0 = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "unspoken.cli.main",
            "list",
            "race",
            "--formula",
            "y ~ I(age ** 9 ** 9 ** 9)",
            "--treat",
            "treat",
            "--J",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "powers of powers" in out.stderr
    assert "Traceback" not in out.stderr
    assert time.perf_counter() - t0 < 10  # includes interpreter start-up; measured ~1 s
