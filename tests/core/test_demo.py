"""The main job (``unspoken demo``) runs end to end and prints the numbers R prints."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from unspoken.cli.main import main
from unspoken.datasets import load

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = Path(__file__).resolve().parents[2] / "src" / "unspoken" / "datasets" / "data"


def _ref(name: str) -> dict:
    return json.loads((REF / name).read_text())


def test_demo_json_agrees_with_r(capsys):
    main(["demo", "--json"])
    out = json.loads(capsys.readouterr().out)
    dim = out["difference_in_means"]["prevalence"]
    # R list 9.2.6, tests/reference/race_lm_nocov.json: derived diff_in_means and Welch SE
    derived = _ref("race_lm_nocov.json")["derived"]
    assert dim["estimate"] == pytest.approx(derived["diff_in_means"], rel=1e-10)
    assert dim["std_error"] == pytest.approx(derived["diff_in_means_se_welch"], rel=1e-10)
    ml = out["maximum_likelihood"]
    # tests/reference/race_ml_constrained.json: the prevalence is mean expit(x'delta) at the
    # polished maximum (crosscheck_base_R); R's own predict(avg = TRUE) is at its EM stop,
    # 2e-4 from the maximum in the coefficients, 8e-6 in the prevalence
    con = _ref("race_ml_constrained.json")
    race = load("race")
    X = np.column_stack([np.ones(len(race)), race[["south", "age", "male", "college"]]])
    delta = np.asarray(con["crosscheck_base_R"]["polished_estimates"][:5])
    assert ml["prevalence"]["estimate"] == pytest.approx(expit(X @ delta).mean(), rel=1e-6)
    r_avg = con["predict"]["avg_confidence_95_se"]["result"]
    assert ml["prevalence"]["estimate"] == pytest.approx(r_avg["fit"][0], abs=2e-5)
    assert ml["prevalence"]["std_error"] == pytest.approx(r_avg["se_fit"][0], rel=1e-3)
    assert ml["converged"] is True
    assert [g["group"] for g in ml["by"]] == [{"south": 0}, {"south": 1}]
    # tests/reference/race_ict_test.json: with the paper's GMS the race test is the same as
    # R's without GMS; compat="list" is R's default call
    ict = _ref("race_ict_test.json")
    assert out["design_test"]["p_bonferroni"] == pytest.approx(
        ict["gms_false"]["p"]["Sensitive Item 1"], rel=1e-9
    )
    assert out["design_test_r_compat"]["p_bonferroni"] == pytest.approx(
        ict["gms_true"]["p"]["Sensitive Item 1"], rel=1e-9
    )
    treated = race.loc[race["treat"] == 1, "y"]
    assert out["treated_share_floor"] == pytest.approx((treated == 0).mean(), rel=1e-12)
    assert out["treated_share_ceiling"] == pytest.approx((treated == 4).mean(), rel=1e-12)


def test_demo_prints_a_readable_table(capsys):
    main(["demo"])
    text = capsys.readouterr().out
    assert "difference in means" in text and "maximum likelihood" in text
    assert "Design-effect test" in text and "95% interval" in text


# --------------------------------------------------------------------------- the gap, the report


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """The demo writes unspoken-demo.html to the current directory: keep it out of the repo."""
    monkeypatch.chdir(tmp_path)


def _mexico() -> pd.DataFrame:
    """The bundled CSV read with pandas alone (not through unspoken)."""
    return pd.read_csv(DATA / "list" / "mexico.csv")


def _gap_by_hand(sub: pd.DataFrame, n_all: int) -> dict[str, float]:
    """Direct share, list difference in means and gap in the rows ``sub``, with standard
    errors for a direct question asked of the same respondents as the list.

    Textbook moments instead of influence values: with d = mean(direct) over the domain D
    and h = ybar_T - ybar_C (arms within D),
    Var(h) = v_T/n_T + v_C/n_C, Var(d) = v_d/n_D, Cov(h, d) = (c_T - c_C)/n_D, where v and c
    are within-arm variances of y and covariances of (y, direct) with divisor n; every term
    times n/(n - 1) for the with-replacement survey variance over all n respondents (R
    survey::svymean's factor)."""
    t, c = sub[sub["mex.t"] == 1], sub[sub["mex.t"] == 0]
    y, d = "mex.y.all", "mex.direct"
    f = n_all / (n_all - 1)
    var_h = f * (t[y].var(ddof=0) / len(t) + c[y].var(ddof=0) / len(c))
    var_d = f * sub[d].var(ddof=0) / len(sub)
    cov_t = ((t[y] - t[y].mean()) * (t[d] - t[d].mean())).mean()
    cov_c = ((c[y] - c[y].mean()) * (c[d] - c[d].mean())).mean()
    cov = f * (cov_t - cov_c) / len(sub)
    return {
        "direct": sub[d].mean(),
        "list": t[y].mean() - c[y].mean(),
        "direct_se": np.sqrt(var_d),
        "list_se": np.sqrt(var_h),
        "gap_se": np.sqrt(var_h + var_d - 2 * cov),
        "gap_se_independent": np.sqrt(var_h + var_d),
    }


def _check_row(row: dict, ref: dict[str, float]) -> None:
    z = 1.959963984540054
    assert row["direct"]["estimate"] == pytest.approx(ref["direct"], rel=1e-12)
    assert row["list"]["estimate"] == pytest.approx(ref["list"], rel=1e-12)
    gap = ref["list"] - ref["direct"]
    assert row["gap"]["estimate"] == pytest.approx(gap, rel=1e-12)
    assert row["direct"]["std_error"] == pytest.approx(ref["direct_se"], rel=1e-10)
    assert row["list"]["std_error"] == pytest.approx(ref["list_se"], rel=1e-10)
    assert row["gap"]["std_error"] == pytest.approx(ref["gap_se"], rel=1e-10)
    assert row["gap"]["std_error_independent"] == pytest.approx(
        ref["gap_se_independent"], rel=1e-10
    )
    assert row["gap"]["ci_low"] == pytest.approx(gap - z * ref["gap_se"], rel=1e-9)
    assert row["gap"]["ci_high"] == pytest.approx(gap + z * ref["gap_se"], rel=1e-9)


def test_demo_gap_equals_a_hand_computation(capsys):
    main(["demo", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["gap_data"] == "mexico"
    g = out["gap"]
    mex = _mexico()
    # datasets README: 57 of the 1004 respondents report an attempt to buy their vote
    assert int(mex["mex.direct"].sum()) == 57 and len(mex) == 1004
    assert g["layout"] == "everyone" and g["n"] == 1004
    assert g["overall"]["counts"] == {"treated": 508, "control": 496, "direct": 1004}
    _check_row(g["overall"], _gap_by_hand(mex, len(mex)))
    # same respondents: the covariance matters (the gap's s.e. is not the independent one)
    assert g["overall"]["gap"]["std_error"] < g["overall"]["gap"]["std_error_independent"]
    groups = {row["group"]["area"]: row for row in g["by"]}
    assert set(groups) == {"urban", "rural"}
    for area, urban in (("urban", 1), ("rural", 0)):
        sub = mex[mex["mex.urban"] == urban]
        assert groups[area]["counts"]["direct"] == len(sub)
        _check_row(groups[area], _gap_by_hand(sub, len(mex)))


def _unconstrained_ml_without_covariates(race: pd.DataFrame) -> float:
    """The prevalence g of the unconstrained intercept-only model, maximised here with scipy:
    Z ~ Bernoulli(g), control items Binomial(J, p_z) with p_0 != p_1, the treated report
    Y* + Z (Imai 2011; Blair & Imai 2012)."""
    from scipy.optimize import minimize
    from scipy.stats import binom

    J = 3
    y, t = race["y"].to_numpy(), race["treat"].to_numpy()

    def nll(theta):
        g, p0, p1 = expit(theta)
        with_trait = g * binom.pmf(y - t, J, p1)
        without = (1 - g) * binom.pmf(y, J, p0)
        return -np.log(with_trait + without).sum()

    best = min(
        (minimize(nll, x0, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12,
                                                            "maxiter": 20000})
         for x0 in ([-2.0, 0.5, 0.5], [-1.0, 1.0, 0.0], [-3.0, 0.0, 1.5])),
        key=lambda r: r.fun,
    )  # fmt: skip
    return float(expit(best.x[0]))


def test_demo_explains_dim_versus_ml_with_r_numbers(capsys):
    """The sentence on why 6.8% and 15.5% differ quotes ML without covariates and the linear
    model with covariates; both agree with R list 9.2.6."""
    main(["demo", "--json"])
    out = json.loads(capsys.readouterr().out)
    # tests/reference/race_ml_nocov.json: prevalence at the polished maximum (base R)
    ml0 = _ref("race_ml_nocov.json")["crosscheck_base_R"]["polished_prevalence"][0]
    assert out["ml_without_covariates"]["prevalence"]["estimate"] == pytest.approx(ml0, rel=1e-6)
    # tests/reference/race_lm.json: the prevalence is the mean of x'delta (sensitive part)
    lm = _ref("race_lm.json")["result"]
    race = load("race")
    X = np.column_stack([np.ones(len(race)), race[["south", "age", "male", "college"]]])
    lm_prev = float((X @ np.asarray(lm["estimates"][:5])).mean())
    assert out["linear_with_covariates"]["prevalence"]["estimate"] == pytest.approx(
        lm_prev, rel=1e-8
    )
    # tests/reference/race_ml_unconstrained.json: psi_0 != psi_1, polished maximum (base R)
    delta_u = np.asarray(
        _ref("race_ml_unconstrained.json")["crosscheck_base_R"]["polished_estimates"][:5]
    )
    u_prev = float(expit(X @ delta_u).mean())
    assert out["ml_unconstrained"]["prevalence"]["estimate"] == pytest.approx(u_prev, rel=1e-5)
    u0_prev = _unconstrained_ml_without_covariates(race)
    assert out["ml_unconstrained_without_covariates"]["prevalence"]["estimate"] == pytest.approx(
        u0_prev, abs=1e-5
    )
    main(["demo", "--no-html"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"without them gives {100 * ml0:.1f}%, a linear regression with them" in text
    assert f"a linear regression with them {100 * lm_prev:.1f}%" in text
    assert f"it gives {100 * u_prev:.1f}%, and {100 * u0_prev:.1f}% without covariates" in text
    # tests/reference/race_ict_test.json: the default equals R without GMS; R's rule is gms=TRUE
    ict = _ref("race_ict_test.json")
    p_default = ict["gms_false"]["p"]["Sensitive Item 1"]
    p_r = ict["gms_true"]["p"]["Sensitive Item 1"]
    assert "no evidence at the 5% level that adding the sensitive item changed answers" in text
    assert f"(Bonferroni p = {p_default:.4f})" in text
    assert (
        f"list::ict.test, here unspoken design-test --compat list) gives Bonferroni p = {p_r:.4f}"
        in text
    )


def test_demo_text_report_and_path(capsys, tmp_path):
    main(["demo"])
    captured = capsys.readouterr()
    text = captured.out
    assert "GMS) on" not in text and "GMS) off" not in text
    lines = [x for x in text.splitlines() if x.strip()]
    report = tmp_path / "unspoken-demo.html"
    assert lines[-1] == f"Report written to {report.resolve()} (open it in a web browser)"
    page = report.read_text(encoding="utf-8")
    mex = _mexico()
    direct = 100 * mex["mex.direct"].mean()
    headline = f"Asked directly, {direct:.1f}% said someone had tried to buy their vote"
    assert headline in " ".join(text.split())
    ref = _gap_by_hand(mex, len(mex))
    gap, half = ref["list"] - ref["direct"], 1.959963984540054 * ref["gap_se"]
    said = (
        f"The gap is {100 * gap:.1f} points (95% interval {100 * (gap - half):.1f} to "
        f"{100 * (gap + half):.1f}): vote selling is under-reported when people are asked "
        "directly."
    )
    assert headline in page and said in page and f"estimated {100 * ref['list']:.1f}%" in page
    assert "Part 1." in page and "Part 2." in page and "<svg" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "GMS) on" not in page


def test_demo_report_options(capsys, tmp_path):
    main(["demo", "--no-html"])
    assert "Report written" not in capsys.readouterr().out
    assert not (tmp_path / "unspoken-demo.html").exists()
    main(["demo", "--json", "--html", "out.html"])
    captured = capsys.readouterr()
    json.loads(captured.out)  # stdout stays one JSON object; the path goes to stderr
    assert f"Report written to {(tmp_path / 'out.html').resolve()}" in captured.err
    assert "Asked directly" in (tmp_path / "out.html").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        main(["demo", "--html", str(tmp_path / "no" / "such" / "dir.html")])
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot write the report" in captured.err
