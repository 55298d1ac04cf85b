"""Weighted, clustered and stratified list estimators against R ``survey`` 4.1.1 ``svyglm``.

Golden: ``tests/reference/survey/survey_race.json`` (a copy of the shared reference file
``survey/survey_race.json``), written by ``tests/reference/scripts/50_survey_race.R`` with R
4.2.2 and ``survey`` 4.1.1 on ``tests/reference/survey/survey_race.csv`` (list's ``race``
data plus the synthetic weights ``w = 0.5 + ((i - 1) mod 7) / 7``). Each case is one of::

    svyglm(y ~ (south + age + male + college) * treat, design = d)   # method = "lm"
    svyglm(y ~ treat, design = d)                                    # method = "dim"

with ``d`` one of (the case name's prefix)::

    weights  svydesign(ids = ~1, weights = ~w, data = race)
    cluster  svydesign(ids = ~state, weights = ~w, data = race)
    strata   svydesign(ids = ~state, strata = ~south, weights = ~w, nest = TRUE, data = race)

What R did, read from the script: Taylor linearisation (svyglm's default), no finite
population correction (no ``fpc=``: the with-replacement variance), the default
``survey.lonely.psu = "fail"`` (never triggered: the strata hold 39 and 10 states), 49 PSUs.
The golden holds coefficients and standard errors (not the full covariance matrix nor
intervals). The treat terms of R's fit are unspoken's ``sensitive`` part, the others the
``control`` part (the script's ``rows_of``).

Intervals are a convention difference, not compared with R numbers: unspoken's coefficient
intervals (``conf_int``/``tidy``) use the normal critical value and its prevalence interval
the t value on ``n`` degrees of freedom (R ``list``'s convention), whereas R's
``confint(svyglm)`` in survey 4.1.1 uses the t value on ``df.residual = degf(design) + 1 -
p`` (n - p with weights only; PSUs - p with clusters; PSUs - strata + 1 - p with strata: 46
for the stratified difference in means, so R's 95% interval is 2.6% wider there).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import unspoken
from unspoken.cli.main import main
from unspoken.errors import DataError

SURVEY = Path(__file__).resolve().parents[1] / "reference" / "survey"
GOLDEN = json.loads((SURVEY / "survey_race.json").read_text())
CASES = {c["name"]: c for c in GOLDEN["cases"]}
DESIGNS = {
    "weights": {"weights": "w"},
    "cluster": {"weights": "w", "cluster": "state"},
    "strata": {"weights": "w", "cluster": "state", "strata": "south"},
}

# Both sides solve the same weighted least squares: R by QR of sqrt(w) X, unspoken through
# the normal equations A = X'WX, whose condition number here is 2.2e3 (7 for the difference
# in means), so each side's relative error is at most about cond(A) * eps = 5e-13 (observed:
# 3.2e-13 for the control 'age' coefficient, 2e-14 for the standard errors); the golden's 15
# significant digits add 5e-16. 1e-11 leaves a factor of 20 and still fails for any change in
# the variance formula (a missing n/(n-1) or G/(G-1) is a relative change of 1e-3 to 2e-2).
# No absolute floor: the smallest coefficient is 0.024, the smallest standard error 0.021.
RTOL = 1e-11


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(SURVEY / "survey_race.csv")


def golden_rows(case: dict) -> dict[tuple[str, str], tuple[float, float]]:
    return {(r["part"], r["term"]): (r["estimate"], r["std_error"]) for r in case["rows"]}


def fit_case(data: pd.DataFrame, name: str, **extra):
    case = CASES[name]
    design = DESIGNS[name.rsplit("_", 1)[0]]
    kw = {"vcov": "survey", **design, **extra}
    return unspoken.list_experiment(data, case["formula"], "treat", 3, method=case["method"], **kw)


def compare(parts, terms, estimates, std_errors, case: dict) -> None:
    want = golden_rows(case)
    got = {(p, t): (e, s) for p, t, e, s in zip(parts, terms, estimates, std_errors, strict=True)}
    assert set(got) == set(want)  # the same parameters, named the same way
    for key, (est, se) in want.items():
        assert got[key][0] == pytest.approx(est, rel=RTOL), key
        assert got[key][1] == pytest.approx(se, rel=RTOL), key


def test_golden_is_the_one_described():
    assert GOLDEN["survey_version"] == "4.1.1"
    assert sorted(CASES) == sorted(f"{d}_{m}" for d in DESIGNS for m in ("lm", "dim"))
    assert all(c["call"].startswith("svyglm(") for c in GOLDEN["cases"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_coefficients_and_standard_errors_match_svyglm(data, name):
    fit = fit_case(data, name)
    assert fit.vcov_type == "survey"
    assert fit.n == len(data) == 1213
    compare(fit.parts, fit.terms, fit.params_, fit.std_errors.to_numpy(), CASES[name])


@pytest.mark.parametrize("name", ["cluster_lm", "cluster_dim"])
def test_cluster_variance_equals_svyglm_with_one_stratum(data, name):
    """With clusters and no strata svyglm centres the PSU totals of the scores and scales by
    G/(G-1); least-squares scores sum to zero, so the centring does nothing and the
    cluster-robust variance (vcov='cluster', the default with a cluster column) is R's."""
    for vcov in ("cluster", None):
        fit = fit_case(data, name, vcov=vcov)
        assert fit.vcov_type == "cluster"
        compare(fit.parts, fit.terms, fit.params_, fit.std_errors.to_numpy(), CASES[name])


def test_default_variance_with_strata_is_svyglm(data):
    fit = fit_case(data, "strata_lm", vcov=None)
    assert fit.vcov_type == "survey"
    compare(fit.parts, fit.terms, fit.params_, fit.std_errors.to_numpy(), CASES["strata_lm"])


@pytest.mark.parametrize("name", ["weights_dim", "cluster_dim", "strata_dim"])
def test_difference_in_means_prevalence_and_interval(data, name):
    """The prevalence of 'dim' is svyglm's treat coefficient; its interval follows unspoken's
    documented convention (t on n degrees of freedom, R list's), evaluated at R's numbers."""
    est, se = golden_rows(CASES[name])[("sensitive", "Intercept")]
    prev = fit_case(data, name).prevalence
    assert prev.estimate == pytest.approx(est, rel=RTOL)
    assert prev.std_error == pytest.approx(se, rel=RTOL)
    crit = stats.t.ppf(0.975, len(data))
    assert prev.ci_low == pytest.approx(est - crit * se, rel=RTOL)
    assert prev.ci_high == pytest.approx(est + crit * se, rel=RTOL)


@pytest.mark.parametrize("name", ["weights_lm", "strata_lm"])
def test_coefficient_intervals_use_the_normal_value(data, name):
    """conf_int(): estimate -/+ qnorm(0.975) * SE with R's estimate and SE (R's confint(svyglm)
    would use qt(0.975, df.residual) instead; see the module docstring)."""
    ci = fit_case(data, name).conf_int()
    z = stats.norm.ppf(0.975)
    for (part, term), (est, se) in golden_rows(CASES[name]).items():
        assert ci.loc[(part, term), "ci_low"] == pytest.approx(est - z * se, rel=RTOL)
        assert ci.loc[(part, term), "ci_high"] == pytest.approx(est + z * se, rel=RTOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_command_line_flags_of_the_golden(capsys, name):
    """``unspoken list`` with the flags recorded in the golden gives R's numbers in --json."""
    case = CASES[name]
    args = ["list", str(SURVEY / "survey_race.csv"), "--formula", case["formula"]]
    args += ["--method", case["method"], "--J", "3", *case["flags"], "--json"]
    with pytest.raises(SystemExit) as ei:
        main(args)
        raise SystemExit(0)
    assert ei.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["vcov"] == "survey"
    p = out["params"]
    compare(
        [r["part"] for r in p],
        [r["term"] for r in p],
        [r["estimate"] for r in p],
        [r["std_error"] for r in p],
        case,
    )


def test_a_stratum_with_one_psu_is_refused_as_r_does(data):
    """R's default survey.lonely.psu = "fail" stops on a stratum with a single PSU; so does
    unspoken (a DataError, not a variance that silently drops the stratum)."""
    df = data.copy()
    df["stratum"] = np.where(df["state"] == "TX", "alone", "rest")
    with pytest.raises(DataError, match="single PSU"):
        unspoken.list_experiment(
            df, "y ~ 1", "treat", 3, method="dim", weights="w", cluster="state", strata="stratum"
        )
