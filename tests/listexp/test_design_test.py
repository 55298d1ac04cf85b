"""Blair & Imai (2012) design-effect test against R list 9.2.6 ``ict.test`` and by simulation.

Golden values: tests/reference/race_ict_test.json (R 4.2.2, list 9.2.6; see its ``meta``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize, nnls

from unspoken.cli.main import main
from unspoken.datasets import load
from unspoken.errors import DataError, UnsupportedError
from unspoken.listexp.design_test import chibar_weights, design_test

REF = json.loads((Path(__file__).parents[1] / "reference" / "race_ict_test.json").read_text())


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


@pytest.fixture(scope="module")
def race() -> pd.DataFrame:
    return load("race")


# --------------------------------------------------------------------------- R reference


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("gms_true", {"gms": True}),
        ("gms_false", {"gms": False}),
        ("gms_true_alpha_0.1", {"gms": True, "alpha": 0.1}),
    ],
)
def test_bonferroni_p_matches_r_list(race, case, kwargs):
    res = design_test(race, "y", "treat", J=3, compat="list", **kwargs)
    r_p = REF[case]["p"]["Sensitive Item 1"]
    assert _rel(res.p_bonferroni, r_p) < 1e-9
    # R's rounded table is the same numbers rounded to 4 decimals
    tb = REF[case]["pi_table_rounded_by_package"]
    assert [round(p.estimate, 4) for p in res.pi] == pytest.approx(tb["est"], abs=1e-12)
    assert [round(p.std_error, 4) for p in res.pi] == pytest.approx(tb["se"], abs=1e-12)


def test_pi_table_matches_r_unrounded(race):
    res = design_test(race, "y", "treat", J=3)
    ref = REF["pi_table_unrounded"]
    names = [f"pi(Y_i(0) = {p.y}, Z_i = {p.z})" for p in res.pi]
    assert names == ref["rows"]
    for p, est, se in zip(res.pi, ref["est"], ref["se"], strict=True):
        assert _rel(p.estimate, est) < 1e-8
        assert _rel(p.std_error, se) < 1e-8


def test_race_paper_gms_uses_standard_errors(race):
    """Andrews-Soares GMS standardises each share by its own s.e.: the z = 1 shares
    (t = -2.0, 0.42, 0.71) are all kept, the z = 0 shares (t > 12) all dropped; R's
    scaling by the spread of the estimates drops y = 1, 2 as well."""
    paper = design_test(race, "y", "treat", J=3, gms=True)
    t1 = paper.tests[1]
    assert paper.tests[0].moments == [] and paper.tests[0].dropped_gms == [1, 2, 3]
    assert t1.z == 1 and t1.moments == [0, 1, 2] and t1.dropped_gms == []
    nogms = design_test(race, "y", "treat", J=3, gms=False)
    assert paper.p_bonferroni == pytest.approx(nogms.p_bonferroni, rel=1e-12)
    # the R reference without GMS is 2 * p(z = 1): the same chi-bar-square test
    assert _rel(paper.p_bonferroni, REF["gms_false"]["p"]["Sensitive Item 1"]) < 1e-9
    lst = design_test(race, "y", "treat", J=3, gms=True, compat="list")
    assert lst.tests[1].moments == [0] and lst.tests[1].dropped_gms == [1, 2]
    assert lst.tests[1].method == "welch-t"
    assert not paper.design_effect and lst.design_effect


def test_lr_statistic_against_direct_minimisation(race):
    """lambda = min over theta >= 0 of the Mahalanobis distance, by a general optimiser."""
    res = design_test(race, "y", "treat", J=3, gms=False)
    y = race["y"].to_numpy()
    t = race["treat"].to_numpy()
    f0 = np.array([np.mean(y[t == 0] <= k) for k in range(3)])
    f1 = np.array([np.mean(y[t == 1] <= k) for k in range(3)])
    n0, n1 = (t == 0).sum(), (t == 1).sum()
    est = f0 - f1
    cov = np.array(
        [
            [
                f0[min(a, b)] * (1 - f0[max(a, b)]) / n0 + f1[min(a, b)] * (1 - f1[max(a, b)]) / n1
                for b in range(3)
            ]
            for a in range(3)
        ]
    )
    qi = np.linalg.inv(cov)
    opt = minimize(
        lambda th: (est - th) @ qi @ (est - th),
        np.maximum(est, 0),
        jac=lambda th: -2 * qi @ (est - th),
        bounds=[(0, None)] * 3,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    assert res.tests[1].statistic == pytest.approx(opt.fun, rel=1e-6)
    assert res.tests[0].statistic == 0.0


# --------------------------------------------------------------------------- weights


def _kudo3(sigma: np.ndarray) -> np.ndarray:
    """Kudo's (1963) closed form for three dimensions with partial correlations."""
    s = np.sqrt(np.diag(sigma))
    r = sigma / np.outer(s, s)
    r12, r13, r23 = r[0, 1], r[0, 2], r[1, 2]
    p12 = (r12 - r13 * r23) / math.sqrt((1 - r13**2) * (1 - r23**2))
    p13 = (r13 - r12 * r23) / math.sqrt((1 - r12**2) * (1 - r23**2))
    p23 = (r23 - r12 * r13) / math.sqrt((1 - r12**2) * (1 - r13**2))
    w0 = (2 * math.pi - math.acos(r12) - math.acos(r13) - math.acos(r23)) / (4 * math.pi)
    w1 = (3 * math.pi - math.acos(p12) - math.acos(p13) - math.acos(p23)) / (4 * math.pi)
    return np.array([w0, w1, 0.5 - w0, 0.5 - w1])


def _mc_weights(sigma: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Weights by simulating Z ~ N(0, sigma) and projecting each draw (Lawson-Hanson NNLS)."""
    p = sigma.shape[0]
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(p), sigma, size=draws)
    a = np.linalg.cholesky(np.linalg.inv(sigma)).T  # a'a = sigma^-1
    counts = np.zeros(p + 1)
    for row in z:
        theta, _ = nnls(a, a @ row)
        counts[p - int(np.sum(theta > 1e-12))] += 1
    return counts / draws


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_three_dim_weights_equal_kudo_closed_form(seed):
    a = np.random.default_rng(seed).normal(size=(3, 5))
    sigma = a @ a.T
    assert np.allclose(chibar_weights(sigma), _kudo3(sigma), rtol=0, atol=1e-13)


def test_two_dim_weights_closed_form():
    rho = -0.4
    sigma = np.array([[1.0, rho], [rho, 1.0]])
    w = chibar_weights(sigma)
    a = math.acos(rho) / (2 * math.pi)
    assert np.allclose(w, [0.5 - a, 0.5, a], atol=1e-14)


@pytest.mark.parametrize("p", [4, 5])
def test_higher_dim_weights_against_projection_simulation(p):
    a = np.random.default_rng(10 + p).normal(size=(p, p + 2))
    sigma = a @ a.T
    w = chibar_weights(sigma, np.random.default_rng(0))
    draws = 20000
    mc = _mc_weights(sigma, draws, seed=p)
    se = np.sqrt(np.maximum(w * (1 - w), 1e-6) / draws)
    assert np.all(np.abs(mc - w) < 4.5 * se)
    assert w.sum() == pytest.approx(1.0, abs=1e-4)
    # the chi-bar-square weights with even and with odd index each add up to 1/2
    assert w[::2].sum() == pytest.approx(0.5, abs=1e-4)


def _j4_data(seed: int, n: int = 1200, deff: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    J = 4
    t = rng.permutation(np.repeat([0, 1], n // 2))
    y0 = rng.choice(J + 1, size=n)
    z = (y0 == J) & (rng.random(n) < 0.5)
    y = y0 + t * z
    drop = (t == 1) & (y0 > 0) & (rng.random(n) < deff)
    return pd.DataFrame({"count": y - drop, "arm": np.where(t == 1, "list B", "list A")})


def test_seed_reproducible_for_four_items():
    d = _j4_data(3)
    a = design_test(d, "count", "arm", J=4, gms=False, seed=42, control="list A")
    b = design_test(d, "count", "arm", J=4, gms=False, seed=42, control="list A")
    c = design_test(d, "count", "arm", J=4, gms=False, seed=7, control="list A")
    assert len(a.tests[1].moments) == 4  # the quasi-Monte Carlo weights are in use
    assert a.p_values == b.p_values
    assert abs(a.p_values[1] - c.p_values[1]) < 1e-4
    assert a.seed == 42 and a.to_dict()["seed"] == 42


# --------------------------------------------------------------------------- simulation


def _sim_data(rng: np.random.Generator, n: int, J: int, deff: float = 0.0) -> pd.DataFrame:
    """No design effect: Z = 1 only among Y(0) = J (half of them), so every pi(y, 1),
    y < J, is 0 (the least favourable null for z = 1). ``deff``: that share of treated
    respondents with Y(0) > 0 drop one control item (a design effect)."""
    t = rng.permutation(np.repeat([0, 1], n // 2))
    y0 = rng.choice(J + 1, size=n)
    z = (y0 == J) & (rng.random(n) < 0.5)
    drop = (t == 1) & (y0 > 0) & (rng.random(n) < deff)
    return pd.DataFrame({"y": y0 + t * z - drop, "treat": t})


@pytest.mark.slow
@pytest.mark.parametrize(("J", "reps"), [(3, 1000), (4, 250)])
def test_size_at_the_least_favourable_null(J, reps):
    rng = np.random.default_rng(2024 + J)
    p1 = np.empty(reps)
    pb = np.empty(reps)
    for r in range(reps):
        res = design_test(_sim_data(rng, 1000, J), "y", "treat", J=J, gms=True, seed=r)
        p1[r], pb[r] = res.p_values[1], res.p_bonferroni
    rej1 = np.mean(p1 < 0.05)
    se = math.sqrt(0.05 * 0.95 / reps)
    # the z = 1 test is exact at this null; Bonferroni over the two tests is below alpha
    assert abs(rej1 - 0.05) < 3 * se
    assert np.mean(pb < 0.05) <= 0.05 + 2 * se


@pytest.mark.slow
def test_power_against_a_design_effect():
    rng = np.random.default_rng(99)
    reps = 150
    rej = [
        design_test(_sim_data(rng, 2000, 3, deff=0.3), "y", "treat", J=3).design_effect
        for _ in range(reps)
    ]
    # 30% of treated with Y(0) > 0 dropping an item: power about 0.95 at n = 2000
    assert np.mean(rej) > 0.85


def test_detects_a_strong_design_effect():
    d = _sim_data(np.random.default_rng(5), 3000, 3, deff=0.3)
    res = design_test(d, "y", "treat", J=3)
    assert res.design_effect and res.p_bonferroni < 1e-3
    headline = res.summary().split("\n\n")[1]  # the verdict is the headline, under the title
    assert headline.startswith("Evidence of a design effect")
    assert "most negative share pi(y = " in res.verdict


# --------------------------------------------------------------------------- results


def test_result_protocol(race):
    res = design_test(race, "y", "treat", J=3)
    d = json.loads(res.to_json())
    assert d["model"] == "list.design_test"
    assert [p["z"] for p in d["p_values"]] == [0, 1]
    assert d["p_bonferroni"] == pytest.approx(min(1, 2 * min(res.p_values.values())))
    assert len(d["pi"]) == 8 and set(d["pi"][0]) == {"y", "z", "estimate", "std_error"}
    assert d["floor_ceiling"]["treated_0"] == pytest.approx(np.mean(race.y[race.treat == 1] == 0))
    text = res.summary()
    assert "No evidence of a design effect at alpha = 0.05 (Bonferroni p = 0.1539)" in text
    assert "ceiling" in text and "floor" in text
    t = res.tidy()  # the shares pi(y, z) in the one tidy layout (issue 11)
    assert t.shape == (8, 6) and t["term"].iloc[0] == "y=0,z=1"
    np.testing.assert_array_equal(t["estimate"], [p.estimate for p in res.pi])
    assert "<table>" in res._repr_html_()


def test_missing_rows_are_dropped_with_a_note_and_user_frame_untouched(race):
    d = race.copy()
    d.loc[[3, 10], "y"] = np.nan
    before = d.copy()
    res = design_test(d, "y", "treat", J=3)
    pd.testing.assert_frame_equal(d, before)
    assert res.n == len(race) - 2
    assert any("2 of 1213 rows dropped" in note for note in res.notes)
    with pytest.raises(DataError, match="missing"):
        design_test(d, "y", "treat", J=3, missing="error")


# --------------------------------------------------------------------------- bad input


def test_control_count_above_J_names_rows(race):
    d = race.copy()
    rows = np.flatnonzero(d["treat"].to_numpy() == 0)[:2]
    d.loc[rows, "y"] = 4
    with pytest.raises(DataError) as err:
        design_test(d, "y", "treat", J=3)
    assert err.value.column == "y"
    assert err.value.rows == rows.tolist()
    assert "control" in str(err.value) and "J = 3" in str(err.value)


def test_treated_count_above_J_plus_1(race):
    d = race.copy()
    d.loc[5, "y"] = 5
    with pytest.raises(DataError) as err:
        design_test(d, "y", "treat", J=3)
    assert err.value.column == "y" and err.value.rows == [5]


def test_negative_and_fractional_counts(race):
    d = race.copy()
    d.loc[7, "y"] = -1
    with pytest.raises(DataError, match="'y'"):
        design_test(d, "y", "treat", J=3)
    d = race.copy()
    d["y"] = d["y"].astype(float)
    d.loc[8, "y"] = 1.5
    with pytest.raises(DataError, match="whole numbers"):
        design_test(d, "y", "treat", J=3)


def test_non_binary_treatment(race):
    d = race.copy()
    d.loc[0, "treat"] = 2
    with pytest.raises(DataError) as err:
        design_test(d, "y", "treat", J=3)
    assert err.value.column == "treat" and 0 in err.value.rows


def test_empty_arm(race):
    d = race[race["treat"] == 1]
    with pytest.raises(DataError, match="empty") as err:
        design_test(d, "y", "treat", J=3)
    assert err.value.column == "treat"


def test_bad_options(race):
    with pytest.raises(DataError, match="not found"):
        design_test(race, "count", "treat", J=3)
    # the package's own errors (ValueError subclasses), which the CLI and web page report
    with pytest.raises(DataError, match="J"):
        design_test(race, "y", "treat", J=0)
    with pytest.raises(UnsupportedError, match="compat"):
        design_test(race, "y", "treat", J=3, compat="R")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedError, match="alpha"):
        design_test(race, "y", "treat", J=3, alpha=1.5)
    with pytest.raises(UnsupportedError, match="missing"):
        design_test(race, "y", "treat", J=3, missing="drop")  # type: ignore[arg-type]
    assert issubclass(DataError, ValueError) and issubclass(UnsupportedError, ValueError)


# --------------------------------------------------------------------------- CLI


def test_cli_json(capsys):
    main(["design-test", "race", "--outcome", "y", "--treat", "treat", "--J", "3", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["model"] == "list.design_test"
    assert _rel(d["p_bonferroni"], REF["gms_false"]["p"]["Sensitive Item 1"]) < 1e-9
    assert [(p["y"], p["z"]) for p in d["pi"]][:2] == [(0, 1), (1, 1)]
    assert _rel(d["pi"][0]["estimate"], REF["pi_table_unrounded"]["est"][0]) < 1e-8


def test_cli_json_list_compat(capsys):
    main(
        [
            "design-test", "race", "--outcome", "y", "--treat", "treat", "--J", "3",
            "--compat", "list", "--alpha", "0.1", "--json",
        ]
    )  # fmt: skip
    d = json.loads(capsys.readouterr().out)
    assert _rel(d["p_bonferroni"], REF["gms_true_alpha_0.1"]["p"]["Sensitive Item 1"]) < 1e-9
    assert d["design_effect"] is True and d["alpha"] == 0.1
    main(
        [
            "design-test", "race", "--outcome", "y", "--treat", "treat", "--J", "3",
            "--compat", "list", "--no-gms", "--json",
        ]
    )  # fmt: skip
    d = json.loads(capsys.readouterr().out)
    assert _rel(d["p_bonferroni"], REF["gms_false"]["p"]["Sensitive Item 1"]) < 1e-9


def test_cli_text_and_control_option(capsys, tmp_path):
    d = _j4_data(3)
    path = tmp_path / "lists.csv"
    d.to_csv(path, index=False)
    args = ["design-test", str(path), "--outcome", "count", "--treat", "arm", "--J", "4"]
    main([*args, "--control", "list A", "--seed", "1"])
    out = capsys.readouterr().out
    assert "Bonferroni-corrected p-value" in out
    assert "evidence of a design effect" in out.lower()
    with pytest.raises(SystemExit) as ex:
        main(args)  # which of "list A"/"list B" is control cannot be guessed
    assert ex.value.code == 2
    assert "--control" in capsys.readouterr().err


def test_cli_bad_input_exit_code(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"y": [0, 1, 4, 2], "t": [0, 0, 0, 1]}).to_csv(path, index=False)
    with pytest.raises(SystemExit) as ex:
        main(["design-test", str(path), "--outcome", "y", "--treat", "t", "--J", "3"])
    assert ex.value.code == 2
    assert "row 2" in capsys.readouterr().err


def test_duplicate_moments_when_a_count_is_never_given():
    """Nobody answers 2 in either arm: pi(1, 1) and pi(2, 1) are the same estimate, so the
    duplicate is left out (its covariance would make Sigma singular)."""
    rng = np.random.default_rng(8)
    n = 1000
    t = rng.integers(0, 2, n)
    y0 = rng.choice([0, 1, 3], size=n)
    y = y0 + t * ((y0 == 3) & (rng.random(n) < 0.4))
    res = design_test(pd.DataFrame({"y": y, "t": t}), "y", "t", J=3, gms=False)
    assert res.tests[1].moments == [0, 1]
    assert res.tests[0].moments == [1, 2, 3]  # F1(2) - F0(1) differs from F1(1) - F0(0)
    assert all(0 <= p <= 1 for p in res.p_values.values())


def test_one_control_item():
    rng = np.random.default_rng(4)
    n = 2000
    t = rng.integers(0, 2, n)
    y = rng.integers(0, 2, n)
    y = y + t * ((y == 1) & (rng.random(n) < 0.5))
    res = design_test(pd.DataFrame({"y": y, "t": t}), "y", "t", J=1, gms=False)
    assert [len(b.moments) for b in res.tests] == [1, 1]
    assert res.tests[0].p_value == 1.0  # pi(1, 0) > 0: no evidence against the null
