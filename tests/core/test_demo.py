"""The main job (``unspoken demo``) runs end to end and prints the numbers R prints."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from unspoken.cli.main import main
from unspoken.datasets import load

REF = Path(__file__).resolve().parents[1] / "reference"


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
