"""Parts of the R list 9.2.6 reference files not checked elsewhere (all in tests/reference/,
produced by 10_list_race.R, see each file's ``meta``):

* race_ml_fit_start.json: R's three starting-value methods stop EM at three points near one
  maximum; our likelihood at each of R's points equals R's log-likelihood, and our
  optimiser reaches the same (polished) maximum from each of them and from other starts;
* race_ml_constrained.json ``crosscheck_base_R``: log-likelihood, gradient and accurate-
  Hessian SEs at R's own estimates;
* race_ml_nocov.json ``predict_avg_newdata_1x1`` and race_predict_south.json (``ml_diff``,
  ``nls_diff``, the subgroup fits) evaluated at R's own estimates, so the formulas are
  compared to closed-form precision rather than to R's EM/nls stopping error.

Tolerances: closed forms (predictions and their SEs at R's estimates) 1e-8 relative;
log-likelihoods 1e-6 absolute; ML estimates 1e-6 relative to the polished maximum.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.listexp import list_experiment
from unspoken.listexp.ml import BinomialListModel, ml_core

REF = Path(__file__).resolve().parents[1] / "reference"
FORMULA = "y ~ south + age + male + college"


def ref(name: str) -> dict:
    return json.loads((REF / name).read_text())


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


@pytest.fixture(scope="module")
def race() -> pd.DataFrame:
    return datasets.load("race")


@pytest.fixture(scope="module")
def ml_fit(race):
    return list_experiment(race, FORMULA, J=3, method="ml")


@pytest.fixture(scope="module")
def model(race, ml_fit):
    y, t = race["y"].to_numpy(), race["treat"].to_numpy()
    return BinomialListModel(y, t, ml_fit.X_, 3, True)


def test_fit_start_runs_are_one_maximum(race, ml_fit, model):
    fs = ref("race_ml_fit_start.json")
    polished = ref("race_ml_constrained.json")["crosscheck_base_R"]
    assert [r["fit.start"] for r in fs["runs"]] == ["lm", "glm", "nls"]
    assert fs["coef_names"] == ref("race_ml_constrained.json")["result"]["coef_names"]
    y, t = race["y"].to_numpy(), race["treat"].to_numpy()
    for run in fs["runs"]:
        assert run["ok"]
        theta = np.asarray(run["estimates"], float)
        # our log-likelihood at R's point is R's log-likelihood there
        assert model.loglik(theta) == pytest.approx(run["loglik"], abs=1e-6)
        # and no R run beats our maximum (R's EM stops up to 6e-8 below it)
        assert ml_fit.loglik >= run["loglik"] - 1e-9
        # started from R's point, the optimiser lands on the polished maximum
        core = ml_core(y, t, ml_fit.X_, ml_fit.terms[:5], 3, None, True, start=theta)
        assert core.converged
        assert rel(core.theta, polished["polished_estimates"]) < 1e-6
    # R's spread between starts (max 3.8e-4) is EM stopping error, not several maxima
    assert max(r["max_abs_diff_vs_default"] for r in fs["runs"]) < 1e-3


@pytest.mark.parametrize("start", ["lm", "nls", "zeros"])
def test_other_starting_values_reach_the_polished_maximum(race, ml_fit, start):
    """As R's fit.start: the two-step lm or nls estimates used as logit-scale starts, and a
    naive all-zero start; the maximum found does not depend on where the search begins."""
    y, t = race["y"].to_numpy(), race["treat"].to_numpy()
    if start == "zeros":
        theta0 = np.zeros(10)
    else:
        theta0 = list_experiment(race, FORMULA, J=3, method=start).params_
    core = ml_core(y, t, ml_fit.X_, ml_fit.terms[:5], 3, None, True, start=theta0)
    polished = ref("race_ml_constrained.json")["crosscheck_base_R"]
    assert core.converged
    assert rel(core.theta, polished["polished_estimates"]) < 1e-6
    assert core.loglik == pytest.approx(polished["polished_loglik"], abs=1e-6)


def test_likelihood_gradient_and_se_at_r_estimates(model):
    r = ref("race_ml_constrained.json")
    cb = r["crosscheck_base_R"]
    theta = np.asarray(r["result"]["estimates"], float)
    ll, g, H = model.evaluate(theta)
    assert ll == pytest.approx(cb["loglik_at_package_estimate"], abs=1e-6)
    assert ll == pytest.approx(r["result"]["loglik"], abs=1e-6)
    # R's EM stop is visibly off the maximum: the largest score there is 3.7e-3
    assert np.max(np.abs(g)) == pytest.approx(cb["max_abs_grad_at_package_estimate"], rel=1e-6)
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    assert rel(se, cb["se_accurate_hessian_at_package_estimate"]) < 1e-6


def _at_r(fit, result: dict):
    """The fit with R's own estimates and vcov plugged in (checks the formulas tightly)."""
    return replace(
        fit, params_=np.asarray(result["estimates"], float), cov=np.asarray(result["vcov"], float)
    )


def test_nocov_prediction_on_a_one_row_newdata(race):
    r = ref("race_ml_nocov.json")
    fit = list_experiment(race, "y ~ 1", J=3)
    at_r = _at_r(fit, r["result"])
    p = at_r.predict(newdata=pd.DataFrame({"x": [1.0]}))
    want = r["predict_avg_newdata_1x1"]
    assert p.estimate == pytest.approx(want["fit"][0], rel=1e-10)
    assert p.std_error == pytest.approx(want["se_fit"][0], rel=1e-8)
    # intercept only: the same as the average over the sample, with its t(n) interval
    avg = at_r.predict(avg=True)
    conf = r["predict_avg_confidence"]
    assert avg.estimate == pytest.approx(conf["fit"][0], rel=1e-10)
    assert avg.ci_low == pytest.approx(conf["lwr"][0], rel=1e-8)
    assert avg.ci_high == pytest.approx(conf["upr"][0], rel=1e-8)


@pytest.mark.parametrize(("key", "method"), [("ml_diff", "ml"), ("nls_diff", "nls")])
def test_south_minus_nonsouth_at_r_estimates(race, key, method):
    """race_predict_south.json ml_diff / nls_diff (R's estimates and vcov from
    race_ml_constrained.json / race_nls.json, the same calls)."""
    src = "race_ml_constrained.json" if method == "ml" else "race_nls.json"
    fit = _at_r(list_experiment(race, FORMULA, J=3, method=method), ref(src)["result"])
    want = ref("race_predict_south.json")["results"][key]["predict"]
    south, nonsouth = race.assign(south=1), race.assign(south=0)
    got = [fit.predict(newdata=south), fit.predict(newdata=nonsouth)]
    got.append(fit.predict(newdata=south, newdata_diff=nonsouth))
    assert rel([e.estimate for e in got], want["fit"]) < 1e-10
    assert rel([e.std_error for e in got], want["se_fit"]) < 1e-8


@pytest.mark.parametrize(("key", "south"), [("ml_nocov_south", 1), ("ml_nocov_nonsouth", 0)])
def test_subgroup_fits_likelihood_and_prediction_at_r_estimates(race, key, south):
    r = ref("race_predict_south.json")["results"][key]
    sub = race[race["south"] == south]
    fit = list_experiment(sub, "y ~ 1", J=3)
    theta = np.asarray(r["estimates"], float)
    m = BinomialListModel(sub["y"].to_numpy(), sub["treat"].to_numpy(), fit.X_, 3, True)
    assert m.loglik(theta) == pytest.approx(r["loglik"], abs=1e-6)
    assert fit.loglik >= r["loglik"] - 1e-9  # ours is the maximum, R's EM stops below it
    # the SEs R reports are those of the inverse Hessian at its estimates (R's finite-
    # difference Hessian agrees with our exact one to ~1.4e-7 on these two-parameter fits)
    H = m.evaluate(theta)[2]
    assert rel(np.sqrt(np.diag(np.linalg.inv(-H))), r["se"]) < 1e-5
    at_r = replace(fit, params_=theta, cov=np.linalg.inv(-H))
    p = at_r.predict(newdata=pd.DataFrame({"x": [1.0]}))
    assert p.estimate == pytest.approx(r["predict"]["fit"][0], rel=1e-10)
    assert p.std_error == pytest.approx(r["predict"]["se_fit"][0], rel=1e-5)


def test_unconstrained_at_r_estimates_and_lr_statistic(race, ml_fit):
    """race_ml_unconstrained.json: likelihood, score and the average prediction at R's
    estimates; the likelihood-ratio statistic of constrained vs unconstrained (R's, from the
    package log-likelihoods) from our two maxima."""
    r = ref("race_ml_unconstrained.json")
    cb = r["crosscheck_base_R"]
    fit = list_experiment(race, FORMULA, J=3, constrained=False)
    theta = np.asarray(r["result"]["estimates"], float)
    m = BinomialListModel(race["y"].to_numpy(), race["treat"].to_numpy(), fit.X_, 3, False)
    ll, g, _ = m.evaluate(theta)
    assert ll == pytest.approx(cb["loglik_at_package_estimate"], abs=1e-6)
    assert np.max(np.abs(g)) == pytest.approx(cb["max_abs_grad_at_package_estimate"], rel=1e-6)
    at_r = _at_r(fit, r["result"])
    p = at_r.predict(avg=True)
    want = r["predict_avg_confidence"]
    assert p.estimate == pytest.approx(want["fit"][0], rel=1e-10)
    assert p.std_error == pytest.approx(want["se_fit"][0], rel=1e-8)
    assert p.ci_low == pytest.approx(want["lwr"][0], rel=1e-8)
    assert p.ci_high == pytest.approx(want["upr"][0], rel=1e-8)
    lr = 2 * (fit.loglik - ml_fit.loglik)
    polished = 2 * (
        cb["polished_loglik"]
        - ref("race_ml_constrained.json")["crosscheck_base_R"]["polished_loglik"]
    )
    assert lr == pytest.approx(polished, abs=2e-6)
    # R's statistic comes from two EM stops, each < 1e-6 below its maximum
    want_lr = r["lr_test_constrained_vs_unconstrained"]
    assert lr == pytest.approx(want_lr["statistic"], abs=4e-6)
    assert want_lr["df"] == fit.params_.size - ml_fit.params_.size
