"""Power and sample size (R rr 1.4.2 power.rr.test, tests/reference/rr_power.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from unspoken.errors import UnsupportedError
from unspoken.rr import ForcedKnown
from unspoken.rr.power import rr_power

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "rr_power.json").read_text())


def _args(call: str) -> dict:
    """Arguments of an R power.rr.test call (numbers, fractions and strings)."""
    out = {}
    for key, val in re.findall(r"([\w.]+) = (\"[^\"]*\"|[\d./]+)", call):
        if val.startswith('"'):
            out[key] = val.strip('"')
        elif "/" in val:
            num, den = val.split("/")
            out[key] = float(num) / float(den)
        else:
            out[key] = float(val)
    return out


@pytest.mark.parametrize("case", REF["cases"], ids=[c["name"] for c in REF["cases"]])
def test_every_reference_case(case):
    a = _args(case["call"])
    names = {
        "presp.null": "presp_null",
        "sig.level": "alpha",
        "prespT": "presp_t",
        "prespC": "presp_c",
        "prespT.null": "presp_t_null",
        "prespC.null": "presp_c_null",
    }
    kw = {names.get(k, k): v for k, v in a.items()}
    if "n" in kw:
        kw["n"] = int(kw["n"])
    res = rr_power(**kw)
    want = case["result"]
    if "power" in a:
        assert res.n == want["n"]
    else:
        assert res.power == pytest.approx(want["power"], rel=1e-8)


def test_sample_size_matches_closed_form_one_sided():
    """One-sided: n = ((z_{1-alpha} s0 + z_{power} s1) / effect)^2, rounded up."""
    d = ForcedKnown(p=2 / 3, p0=1 / 6, p1=1 / 6)

    def sd(pi):
        lam = d.a + d.b * pi
        return np.sqrt(lam * (1 - lam)) / d.b

    for presp, null, alpha, target in [(0.2, 0.0, 0.01, 0.8), (0.15, 0.05, 0.05, 0.9)]:
        n_exact = (
            (norm.ppf(1 - alpha) * sd(null) + norm.ppf(target) * sd(presp)) / (presp - null)
        ) ** 2
        res = rr_power(d, presp=presp, presp_null=null, alpha=alpha, power=target)
        assert res.n == int(np.ceil(n_exact))
        assert res.achieved_power >= target
        below = rr_power(d, presp=presp, presp_null=null, alpha=alpha, n=res.n - 1)
        assert below.power < target


def test_r_rule_for_sample_size():
    """R returns the first n whose power is within 0.01 of the target (often below it)."""
    r = rr_power("mirrored", p=2 / 3, presp=0.2, alpha=0.01, power=0.8, n_rule="r")
    m = rr_power("mirrored", p=2 / 3, presp=0.2, alpha=0.01, power=0.8)
    assert abs(r.achieved_power - 0.8) < 0.01 and r.n < m.n
    assert rr_power("mirrored", p=2 / 3, presp=0.2, alpha=0.01, n=r.n - 1).power < 0.79


def test_two_sample_and_two_sided():
    d = dict(design="forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6)
    one = rr_power(**d, presp_t=0.3, presp_c=0.2, n=500, type="two.sample")
    two = rr_power(**d, presp_t=0.3, presp_c=0.2, n=500, type="two.sample", alternative="two.sided")
    assert two.power < one.power
    # two-sided power of a one-sample test with z = effect / se
    lam = lambda pi: d["p1"] + d["p"] * pi  # noqa: E731
    s = lambda pi: np.sqrt(lam(pi) * (1 - lam(pi)) / 500) / d["p"]  # noqa: E731
    se = np.hypot(s(0.3), s(0.2))
    se0 = np.hypot(s(0.2), s(0.2))
    z = norm.ppf(0.975)
    want = norm.sf((z * se0 - 0.1) / se) + norm.cdf((-z * se0 - 0.1) / se)
    assert two.power == pytest.approx(want, rel=1e-10)


def test_power_by_simulation():
    """The rejection rate of the closed-form test in simulated surveys is the power."""
    rng = np.random.default_rng(5)
    p, n, presp, alpha = 2 / 3, 200, 0.2, 0.01  # mirrored: P(yes) = 1/3 + pi/3
    res = rr_power("mirrored", p=p, n=n, presp=presp, presp_null=0, alpha=alpha)
    a, b = 1 - p, 2 * p - 1
    reps = 20_000
    ybar = rng.binomial(n, a + b * presp, size=reps) / n
    se0 = np.sqrt(a * (1 - a) / n) / b
    reject = (ybar - a) / b > norm.ppf(1 - alpha) * se0
    assert reject.mean() == pytest.approx(res.power, abs=4 * np.sqrt(0.25 / reps) + 0.01)


def test_bad_power_arguments():
    with pytest.raises(UnsupportedError, match="exactly one of n and power"):
        rr_power("mirrored", p=0.7, presp=0.2)
    with pytest.raises(UnsupportedError, match="exactly one of n and power"):
        rr_power("mirrored", p=0.7, presp=0.2, n=100, power=0.8)
    with pytest.raises(UnsupportedError, match="presp"):
        rr_power("mirrored", p=0.7, presp=1.2, n=100)
    with pytest.raises(UnsupportedError, match="not reached"):
        rr_power("mirrored", p=0.7, presp=0.01, power=0.8, max_n=1000)
    with pytest.raises(UnsupportedError, match="no difference to detect"):
        rr_power("mirrored", p=0.7, presp=0.0, power=0.8, max_n=1000)
    with pytest.raises(UnsupportedError, match="does not identify"):
        rr_power("crosswise", p=0.5, presp=0.2, n=100)


def test_old_name_sig_level_still_works_with_a_warning():
    new = rr_power("mirrored", p=2 / 3, presp=0.2, alpha=0.01, n=300)
    with pytest.warns(DeprecationWarning, match="alpha"):
        old = rr_power("mirrored", p=2 / 3, presp=0.2, sig_level=0.01, n=300)
    assert old.to_dict() == new.to_dict()
    assert new.to_dict()["alpha"] == 0.01 and "sig_level" not in new.to_dict()
