"""rr_power for the designs with an unknown probability (R rr 1.4.2 ``power.rr.test``,
``design = "forced-unknown"`` and ``"unrelated-unknown"``).

A share ``r`` of the respondents answers with ``P(Y=1) = p pi + (1-p) q``, the rest with
``(1-p) pi + p q``; ``q`` is unknown. The R reference values of these two calls are not in
``tests/reference/rr_power.json`` (they are checked independently), so the numbers are
derived here by other routes:

* the 2 x 2 Fisher information of ``(pi, q)`` built from the two binomial subsamples: R's
  variance is ``1 / I[pi, pi]`` (``q`` treated as known), ours by default ``inv(I)[pi, pi]``;
* simulation of the two-subsample survey: the spread of the estimators (the moment
  estimator that estimates ``q``; the maximum likelihood estimator when ``q`` is known) and
  the rejection rate of the test, against the analytic power, within Monte Carlo error.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import norm

import unspoken
from unspoken.errors import UnsupportedError
from unspoken.rr.power import rr_power

# the two R calls of the reference script (scripts/20_rr_nigeria.R, power.rr.test section)
R_FORCED = dict(p=2 / 3, p1=1 / 6, p0=1 / 6, r=0.5, n=200, presp=0.2, presp_null=0.0)
R_UNRELATED = dict(p=2 / 3, q=1 / 3, r=0.5, n=200, presp=0.2, presp_null=0.0)


def _information(p: float, q: float, r: float, pi: float) -> np.ndarray:
    """Fisher information of (pi, q) per respondent: sum over subsamples of
    share * grad(lambda) grad(lambda)' / (lambda (1 - lambda))."""
    info = np.zeros((2, 2))
    for share, (wp, wq) in ((r, (p, 1 - p)), (1 - r, (1 - p, p))):
        lam = wp * pi + wq * q
        g = np.array([wp, wq])
        info += share * np.outer(g, g) / (lam * (1 - lam))
    return info


def _sd(p, q, r, pi, rule):
    info = _information(p, q, r, pi)
    return np.sqrt(1 / info[0, 0] if rule == "r" else np.linalg.inv(info)[0, 0])


def _power_from_information(p, q, r, n, presp, null, alpha, rule, two_sided=False):
    se, se0 = _sd(p, q, r, presp, rule) / np.sqrt(n), _sd(p, q, r, null, rule) / np.sqrt(n)
    if not two_sided:
        return norm.sf(null + norm.ppf(1 - alpha) * se0, presp, se)
    z = norm.ppf(1 - alpha / 2)
    return norm.cdf(null - z * se0, presp, se) + norm.sf(null + z * se0, presp, se)


# --------------------------------------------------------------------------- the R calls


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_r_calls_as_r_computes_them(alpha):
    """se_rule="r": R's variance 1 / I[pi, pi]; forced-unknown takes q = 1 (R's default when
    q is not given: p0 and p1 are only checked)."""
    got = rr_power("forced-unknown", **R_FORCED, alpha=alpha, se_rule="r")
    want = _power_from_information(2 / 3, 1.0, 0.5, 200, 0.2, 0.0, alpha, "r")
    assert got.power == pytest.approx(want, rel=1e-12)
    assert got.q == 1.0 and got.r == 0.5 and got.se_rule == "r"
    got = rr_power("unrelated-unknown", **R_UNRELATED, alpha=alpha, se_rule="r")
    want = _power_from_information(2 / 3, 1 / 3, 0.5, 200, 0.2, 0.0, alpha, "r")
    assert got.power == pytest.approx(want, rel=1e-12)


def test_r_call_forced_unknown_by_hand():
    """R's forced-unknown call worked by hand: q = 1, lambda_A = 2/3 pi + 1/3,
    lambda_B = 1/3 pi + 2/3. Under the null both are 1/3 and 2/3 (V = 2/9 each), so
    I = 1/2 (4/9)/(2/9) + 1/2 (1/9)/(2/9) = 5/4."""
    la, lb = 2 / 3 * 0.2 + 1 / 3, 1 / 3 * 0.2 + 2 / 3
    info_alt = 0.5 * (4 / 9) / (la * (1 - la)) + 0.5 * (1 / 9) / (lb * (1 - lb))
    thr = norm.ppf(0.99) * np.sqrt(4 / 5 / 200)
    want = norm.sf(thr, 0.2, np.sqrt(1 / info_alt / 200))
    got = rr_power("forced-unknown", **R_FORCED, alpha=0.01, se_rule="r").power
    assert got == pytest.approx(want, rel=1e-12)
    assert 0.79 < got < 0.7915  # a sanity bound on the hand computation itself


@pytest.mark.parametrize(
    ("design", "kw", "q"),
    [("forced-unknown", R_FORCED, 0.5), ("unrelated-unknown", R_UNRELATED, 1 / 3)],
)
def test_default_variance_allows_for_estimating_q(design, kw, q):
    """The default (se_rule="joint") uses inv(I)[pi, pi]; forced-unknown's planned q is
    p1 / (p0 + p1). Its power is lower than R's."""
    got = rr_power(design, **kw, alpha=0.01)
    want = _power_from_information(2 / 3, q, 0.5, 200, 0.2, 0.0, 0.01, "joint")
    assert got.power == pytest.approx(want, rel=1e-12)
    assert got.q == pytest.approx(q) and got.se_rule == "joint"
    assert got.power < rr_power(design, **kw, alpha=0.01, se_rule="r").power


# --------------------------------------------------------------------------- simulation


def _simulate(p, q, r, n, pi, reps, rng, known_q):
    """Estimates of pi from `reps` surveys of the two-subsample design: the moment estimator
    (q estimated) or, with q known, the maximum likelihood estimator (Fisher scoring)."""
    na = round(r * n)
    nb = n - na
    ya = rng.binomial(na, p * pi + (1 - p) * q, reps) / na
    yb = rng.binomial(nb, (1 - p) * pi + p * q, reps) / nb
    if not known_q:
        return (p * ya - (1 - p) * yb) / (2 * p - 1)
    est = np.full(reps, pi)
    for _ in range(30):
        la = np.clip(p * est + (1 - p) * q, 1e-9, 1 - 1e-9)
        lb = np.clip((1 - p) * est + p * q, 1e-9, 1 - 1e-9)
        score = na * p * (ya - la) / (la * (1 - la)) + nb * (1 - p) * (yb - lb) / (lb * (1 - lb))
        info = na * p**2 / (la * (1 - la)) + nb * (1 - p) ** 2 / (lb * (1 - lb))
        est = est + score / info
    return est


@pytest.mark.slow
@pytest.mark.parametrize(("rule", "known_q"), [("joint", False), ("r", True)])
@pytest.mark.parametrize(("design", "q"), [("unrelated-unknown", 1 / 3), ("forced-unknown", 1.0)])
def test_simulated_spread_and_rejection_rate_match_the_analytic_power(rule, known_q, design, q):
    """n = 4000 (r = 0.3), 200,000 surveys. The SD of the estimates matches the analytic SE
    (Monte Carlo relative error of an SD: 1/sqrt(2 reps) = 0.16%; tolerance 1%), and the
    share of surveys past the test's threshold matches the power (Monte Carlo SE <= 0.0011;
    tolerance 0.006, four of them plus the normal approximation's error, which at this n is
    below 0.002 for a binomial mean). The other rule's SE is at least 10% off: the check
    tells the two variances apart."""
    rng = np.random.default_rng(20151)
    p, r, n, pi, null, alpha, reps = 0.7, 0.3, 4000, 0.03, 0.0, 0.05, 200_000
    kw = dict(p=p, q=q) if design == "unrelated-unknown" else dict(p=p, p0=0.0, p1=1 - p, q=q)
    res = rr_power(design, **kw, r=r, n=n, presp=pi, presp_null=null, alpha=alpha, se_rule=rule)
    est = _simulate(p, q, r, n, pi, reps, rng, known_q)
    se = _sd(p, q, r, pi, rule) / np.sqrt(n)
    other = _sd(p, q, r, pi, "r" if rule == "joint" else "joint") / np.sqrt(n)
    assert abs(other / se - 1) > 0.1
    assert est.std() / se == pytest.approx(1, abs=0.01)
    assert est.mean() == pytest.approx(pi, abs=4 * se / np.sqrt(reps))
    threshold = null + norm.ppf(1 - alpha) * _sd(p, q, r, null, rule) / np.sqrt(n)
    rate = float(np.mean(est > threshold))
    assert 0.2 < res.power < 0.9
    assert rate == pytest.approx(res.power, abs=0.006)


@pytest.mark.slow
def test_at_the_r_calls_a_survey_that_estimates_q_has_our_power_not_rs():
    """R's two calls (n = 200, r = 1/2, alpha = 0.01), 400,000 simulated surveys that
    estimate q from the two subsamples: the rejection rate is within 0.012 of our power
    (Monte Carlo SE 0.0008; the normal approximation with 100 respondents per subsample is
    off by up to about 0.005) and at least 0.25 below R's, which is the power of a survey
    that knew q. (R's forced-unknown call uses q = 1, so the survey simulated has q = 1.)"""
    rng = np.random.default_rng(2015)
    for design, q, kw in (
        ("forced-unknown", 1.0, {**R_FORCED, "q": 1.0}),  # R's q for this call
        ("unrelated-unknown", 1 / 3, R_UNRELATED),
    ):
        est = _simulate(2 / 3, q, 0.5, 200, 0.2, 400_000, rng, known_q=False)
        threshold = norm.ppf(0.99) * _sd(2 / 3, q, 0.5, 0.0, "joint") / np.sqrt(200)
        rate = float(np.mean(est > threshold))
        ours = rr_power(design, **kw, alpha=0.01).power
        theirs = rr_power(design, **kw, alpha=0.01, se_rule="r").power
        assert rate == pytest.approx(ours, abs=0.012)
        assert theirs - rate > 0.25


# --------------------------------------------------------------------------- structure


def test_r_to_one_gives_the_known_design_under_r_rule():
    """With every respondent in the first subsample R's variance is that of the design with
    known probabilities: unrelated-known (p, q), and forced-known with p1 = 1 - p for R's
    forced-unknown (q = 1)."""
    base = dict(n=300, presp=0.15, presp_null=0.0, alpha=0.05)
    near = 1 - 1e-9
    a = rr_power("unrelated-unknown", p=0.7, q=0.4, r=near, se_rule="r", **base).power
    b = rr_power("unrelated-known", p=0.7, q=0.4, **base).power
    assert a == pytest.approx(b, rel=1e-6)
    a = rr_power("forced-unknown", p=0.7, p1=0.3, p0=0.0, r=near, se_rule="r", **base).power
    b = rr_power("forced-known", p=0.7, p1=0.3, p0=0.0, **base).power
    assert a == pytest.approx(b, rel=1e-6)


def test_joint_rule_loses_everything_without_a_second_subsample():
    """With q estimated, moving everyone into one subsample leaves q unidentified: the SE
    grows without bound and the power falls towards the level (one-sided: alpha ...
    at most, since the alternative lies above the null)."""
    base = dict(p=0.7, q=0.4, n=300, presp=0.15, alpha=0.05)
    powers = [rr_power("unrelated-unknown", r=r, **base).power for r in (0.5, 0.9, 0.99, 1 - 1e-6)]
    assert np.all(np.diff(powers) < 0)
    assert powers[-1] < 0.06


def test_power_rises_with_n_and_the_joint_power_never_exceeds_r():
    for design, kw in (("forced-unknown", R_FORCED), ("unrelated-unknown", R_UNRELATED)):
        kw = {k: v for k, v in kw.items() if k != "n"}
        for rule in ("joint", "r"):
            pw = [rr_power(design, **kw, n=n, se_rule=rule).power for n in (50, 100, 200, 800)]
            assert np.all(np.diff(pw) > 0)
        for presp in (0.05, 0.2, 0.5):
            kw2 = {**kw, "presp": presp}
            joint = rr_power(design, **kw2, n=200).power
            assert joint <= rr_power(design, **kw2, n=200, se_rule="r").power


@pytest.mark.parametrize("rule", ["joint", "r"])
@pytest.mark.parametrize("alternative", ["one.sided", "two.sided"])
def test_solving_for_n_inverts_the_power(rule, alternative):
    kw = {k: v for k, v in R_UNRELATED.items() if k != "n"}
    res = rr_power("unrelated-unknown", **kw, power=0.8, se_rule=rule, alternative=alternative)
    n = res.n
    assert res.solved_for == "n" and isinstance(n, int)
    at = rr_power("unrelated-unknown", **kw, n=n, se_rule=rule, alternative=alternative)
    before = rr_power("unrelated-unknown", **kw, n=n - 1, se_rule=rule, alternative=alternative)
    assert at.power == pytest.approx(res.achieved_power, rel=1e-12)
    assert at.power >= 0.8 > before.power
    # R's rule: the first n from 2 whose power is within 0.01 of the target
    rres = rr_power("unrelated-unknown", **kw, power=0.8, se_rule=rule, n_rule="r",
                    alternative=alternative)  # fmt: skip
    assert abs(rres.achieved_power - 0.8) < 0.01
    prev = rr_power("unrelated-unknown", **kw, n=rres.n - 1, se_rule=rule, alternative=alternative)
    assert abs(prev.power - 0.8) >= 0.01


def test_two_samples_add_the_variances():
    kw = dict(p=2 / 3, q=1 / 3, r=0.4, n=500, alpha=0.05)
    res = rr_power("unrelated-unknown", **kw, type="two.sample", presp_t=0.3, presp_c=0.1)
    sd = np.hypot(_sd(2 / 3, 1 / 3, 0.4, 0.3, "joint"), _sd(2 / 3, 1 / 3, 0.4, 0.1, "joint"))
    sd0 = np.sqrt(2) * _sd(2 / 3, 1 / 3, 0.4, 0.1, "joint")
    want = norm.sf(norm.ppf(0.95) * sd0 / np.sqrt(500), 0.2, sd / np.sqrt(500))
    assert res.power == pytest.approx(want, rel=1e-12)
    assert res.presp == pytest.approx(0.2) and res.presp_null == 0


def test_json_and_view():
    res = rr_power("forced-unknown", **R_FORCED, alpha=0.01)
    d = res.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["design"] == {"design": "forced-unknown", "p": 2 / 3, "p0": 1 / 6, "p1": 1 / 6,
                           "q": 0.5}  # fmt: skip
    assert (d["r"], d["se_rule"], d["q"]) == (0.5, "joint", 0.5)
    # known designs keep their JSON keys
    assert "r" not in rr_power("mirrored", p=0.7, presp=0.2, n=100).to_dict()
    text = res.summary()
    assert "one-sided test (prevalence above 0)" in text and "estimating q" in text
    two = rr_power("mirrored", p=0.7, presp=0.2, n=100, alternative="two.sided").summary()
    assert "two-sided test (prevalence different from 0)" in two


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(design="forced-known", p=2 / 3, p1=1 / 6, r=0.5), "r is the share"),
        (dict(design="unrelated-unknown", p=2 / 3, q=0.3, r=1.0), r"r = 1.0 must lie in \(0, 1\)"),
        (dict(design="unrelated-unknown", p=2 / 3, q=0.3, r="half"), "r must be a number"),
        (dict(design="unrelated-unknown", p=0.5, q=0.3), "p = 1/2 does not identify"),
        (dict(design="unrelated-unknown", p=2 / 3), "needs the parameter q"),
        (dict(design="unrelated-unknown", p=2 / 3, q=0.3, p0=0.1), "does not use"),
        (dict(design="forced-unknown", p=2 / 3), "needs the planned share q"),
        (dict(design="forced-unknown", p=2 / 3, p0=0.3, p1=0.3), "must sum to 1"),
        (dict(design="unrelated-unknown", p=2 / 3, q=0.3, se_rule="wald"), "se_rule must be"),
    ],
)
def test_bad_arguments(kw, match):
    with pytest.raises(UnsupportedError, match=match):
        rr_power(**kw, presp=0.2, n=200)


def test_regressions_refuse_the_unknown_designs_naming_design():
    df = unspoken.datasets.load("nigeria")
    before = df.copy()
    calls = [
        lambda d: unspoken.rr_regression(df, "rr.q1 ~ cov.female", **d),
        lambda d: unspoken.rr_prevalence(df, outcome="rr.q1", **d),
        lambda d: unspoken.rr_predictor(df, "civic ~ cov.female + rr.q1", rr_item="rr.q1", **d),
    ]
    for call in calls:
        for d in (
            dict(design="forced-unknown", p=2 / 3, p0=1 / 6, p1=1 / 6),
            dict(design="unrelated-unknown", p=2 / 3, q=0.3),
        ):
            with pytest.raises(UnsupportedError, match="supported by rr_power only") as e:
                call(d)
            assert e.value.param == "design" and d["design"] in str(e.value)
    assert df.equals(before)


# --------------------------------------------------------------------------- CLI


def test_cli_matches_the_api_and_names_flags(cli):
    args = ("rr-power", "--design", "forced-unknown", "--p", "2/3", "--p1", "1/6", "--p0",
            "1/6", "--r", "0.5", "--presp", "0.2", "--n", "200", "--alpha", "0.01")  # fmt: skip
    for rule in ("joint", "r"):
        out = cli(*args, "--se-rule", rule, "--json")
        assert out.returncode == 0, out.stderr
        api = rr_power("forced-unknown", **R_FORCED, alpha=0.01, se_rule=rule).to_dict()
        assert json.loads(out.stdout) == json.loads(json.dumps(api))
    out = cli(*args)
    assert out.returncode == 0 and "one-sided test (prevalence above 0)" in out.stdout
    out = cli(*args, "--power", "0.8")
    assert out.returncode == 2 and "--n" in out.stderr and "--power" in out.stderr
    out = cli("rr-power", "--p", "2/3", "--p1", "1/6", "--presp", "0.2", "--presp-null",
              "0.2", "--n", "100")  # fmt: skip
    assert out.returncode == 2 and "--presp-null" in out.stderr and "presp_null" not in out.stderr
    out = cli("rr-power", "--p", "2/3", "--p1", "1/6", "--presp", "0.2", "--n", "100", "--r", ".3")
    assert out.returncode == 2 and out.stderr.startswith("Error: --r is the share")


# --------------------------------------------------------------------------- web form


def test_web_form_matches_the_api():
    from unspoken import datasets
    from unspoken.results import json_text
    from unspoken.web.analyses import ANALYSES, defaults, run

    a = ANALYSES["rr-power"]
    df = datasets.load("race")
    values = defaults(a, [str(c) for c in df.columns])
    for rule in ("joint", "r"):
        form = {**values, "design": "unrelated-unknown", "p": "2/3", "q": "1/3", "p0": "",
                "p1": "", "r": "0.5", "n": "200", "power": "", "alpha": "0.01",
                "se_rule": rule}  # fmt: skip
        web, _ = run(a, df, form)
        api = rr_power("unrelated-unknown", **R_UNRELATED, alpha=0.01, se_rule=rule)
        assert json.loads(json_text(web)) == json.loads(json_text(api))
