"""The main job (``unspoken demo``) runs end to end and prints the numbers R prints."""

import json

import pytest

from unspoken.cli.main import main
from unspoken.datasets import load


def test_demo_json_agrees_with_r(capsys):
    main(["demo", "--json"])
    out = json.loads(capsys.readouterr().out)
    dim = out["difference_in_means"]["prevalence"]
    # R list 9.2.6, tests/reference race_lm_nocov.json: derived diff_in_means and Welch SE
    assert dim["estimate"] == pytest.approx(0.0677974402507511, rel=1e-10)
    assert dim["std_error"] == pytest.approx(0.049578289054338, rel=1e-10)
    ml = out["maximum_likelihood"]
    # R: predict(fit, avg = TRUE) = 0.155329 (its EM stops ~1e-4 short of the maximum)
    assert ml["prevalence"]["estimate"] == pytest.approx(0.155329051372416, abs=2e-4)
    assert ml["converged"] is True
    assert [g["group"] for g in ml["by"]] == [{"south": 0}, {"south": 1}]
    assert 0 < out["design_test"]["p_bonferroni"] <= 1
    race = load("race")
    treated = race.loc[race["treat"] == 1, "y"]
    assert out["treated_share_floor"] == pytest.approx((treated == 0).mean(), rel=1e-12)
    assert out["treated_share_ceiling"] == pytest.approx((treated == 4).mean(), rel=1e-12)


def test_demo_prints_a_readable_table(capsys):
    main(["demo"])
    text = capsys.readouterr().out
    assert "difference in means" in text and "maximum likelihood" in text
    assert "Design-effect test" in text and "95% interval" in text
