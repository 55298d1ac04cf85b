"""Analytic power and sample size for list experiments and the falsification gap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from unspoken import datasets
from unspoken.errors import DataError, UnsupportedError
from unspoken.power import control_variance, gap_power, list_power

# ----------------------------------------------------------------------------- variances


def _binary_cov(rho_latent: float, p: float, q: float) -> float:
    """Exact covariance of 1{X<a}, 1{Y<b} for a standard bivariate normal with correlation r."""
    a, b = norm.ppf(p), norm.ppf(q)
    joint = multivariate_normal(mean=[0, 0], cov=[[1, rho_latent], [rho_latent, 1]]).cdf([a, b])
    return float(joint - p * q)


def test_variance_formulas_against_brute_force_item_counts():
    """Items from a Gaussian copula with mixed-sign correlations: the formula's V0 (with the
    exact average inter-item correlation) and V1 (with the exact item-count / sensitive-item
    correlation) agree with the Monte Carlo variance of simulated counts."""
    rng = np.random.default_rng(20261128)
    J, p, pi = 5, 0.3, 0.25
    load = np.array([0.6, -0.5, 0.4, -0.55, 0.5])  # control items
    lz = 0.45  # sensitive item loading
    # exact binary correlations implied by the latent one-factor model
    covs = [_binary_cov(load[i] * load[j], p, p) for i in range(J) for j in range(J) if i < j]
    rho = 2 * sum(covs) / (J * (J - 1)) / (p * (1 - p))
    assert rho < 0  # a negatively correlated list, the design Glynn (2013) recommends
    cov_yz = sum(_binary_cov(load[j] * lz, p, pi) for j in range(J))
    v0 = control_variance(J, control_mean=J * p, rho=rho)
    r = cov_yz / math.sqrt(v0 * pi * (1 - pi))
    v1 = list_power(J, pi, control_mean=J * p, rho=rho, sensitive_cor=r, n=100).treated_var

    N = 400_000
    f = rng.standard_normal(N)
    lat = f[:, None] * load + rng.standard_normal((N, J)) * np.sqrt(1 - load**2)
    items = lat < norm.ppf(p)
    z = (f * lz + rng.standard_normal(N) * math.sqrt(1 - lz**2)) < norm.ppf(pi)
    y0 = items.sum(axis=1).astype(float)
    y1 = y0 + z
    for v, y in ((v0, y0), (v1, y1)):
        s2 = y.var(ddof=1)
        mc_se = math.sqrt((np.mean((y - y.mean()) ** 4) - s2**2) / N)
        assert abs(s2 - v) < 4 * mc_se, (s2, v, mc_se)
    # and the covariance term matters: ignoring it would be far off
    assert abs(y1.var() - (v0 + pi * (1 - pi))) > 10 * mc_se


def test_control_variance_closed_form():
    # independent items at 50%: binomial variance J/4; perfectly correlated: J^2/4
    assert control_variance(4) == pytest.approx(1.0, rel=1e-12)
    assert control_variance(4, rho=1.0) == pytest.approx(4.0, rel=1e-12)
    # the most negative average correlation leaves no variance
    assert control_variance(4, rho=-1 / 3) == pytest.approx(0.0, abs=1e-12)
    assert control_variance(5, 1.5) == pytest.approx(5 * 0.3 * 0.7, rel=1e-12)


def test_power_matches_hand_computation():
    res = list_power(4, 0.2, 0.1, n=1000)
    v0, v1 = 1.0, 1.0 + 0.2 * 0.8
    se = math.sqrt(v1 / 500 + v0 / 500)
    z = norm.ppf(0.975)
    want = norm.cdf(0.1 / se - z) + norm.cdf(-0.1 / se - z)
    assert res.std_error == pytest.approx(se, rel=1e-12)
    assert res.power == pytest.approx(want, rel=1e-10)
    one = list_power(4, 0.2, 0.1, n=1000, alternative="one.sided")
    assert one.power == pytest.approx(norm.cdf(0.1 / se - norm.ppf(0.95)), rel=1e-10)
    # the optimal allocation is the Neyman split sqrt(V1) : sqrt(V0)
    s = math.sqrt(v1) / (math.sqrt(v1) + math.sqrt(v0))
    assert res.optimal_treated_share == pytest.approx(s, rel=1e-12)
    opt = list_power(4, 0.2, 0.1, n=1000, treated_share="optimal")
    grid = np.linspace(0.3, 0.7, 401)
    assert opt.std_error <= min(math.sqrt((v1 / g + v0 / (1 - g)) / 1000) for g in grid) + 1e-15


@pytest.mark.parametrize("alternative", ["two.sided", "one.sided"])
def test_power_monotone_in_n(alternative):
    ns = np.arange(20, 20000, 37)
    pw = [list_power(3, 0.15, 0.05, n=k, alternative=alternative).power for k in ns]
    assert np.all(np.diff(pw) > 0)
    pg = [gap_power(4, gap=-0.1, direct_share=0.71, n=k, alternative=alternative).power for k in ns]
    assert np.all(np.diff(pg) > 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(J=4, prevalence=0.2, null=0.1, power=0.8),
        dict(J=3, prevalence=0.05, null=0.0, power=0.9, alternative="one.sided"),
        dict(J=5, prevalence=0.3, null=0.4, power=0.8, treated_share=0.3, rho=-0.1),
        dict(J=4, prevalence=0.4, null=0.0, power=0.95, control_var=0.6),
        dict(J=2, prevalence=0.6, null=0.5, power=0.5, sensitive_cor=0.3),
    ],
)
def test_sample_size_reaches_power_and_one_less_does_not(kwargs):
    res = list_power(**kwargs)
    target = kwargs["power"]
    n = res.n
    assert isinstance(n, int)
    fixed = {k: v for k, v in kwargs.items() if k != "power"}
    assert list_power(**fixed, n=n).power >= target
    assert list_power(**fixed, n=n - 1).power < target
    assert res.n_optimal is not None and res.n_optimal <= n


@pytest.mark.parametrize("link", ["falsification", "independent", "conservative", 0.2])
def test_gap_sample_size_reaches_power_and_one_less_does_not(link):
    kw = dict(J=4, gap=-0.10, direct_share=0.71, direct_link=link)
    n = gap_power(**kw, power=0.8).n
    assert gap_power(**kw, n=n).power >= 0.8
    assert gap_power(**kw, n=n - 1).power < 0.8


def test_gap_variance_decomposition_and_links():
    """Var(gap) = Var(DiM) + [d(1-d) - 2 Cov(Z, D)] / n; the falsification link
    (P(Z=1, D=1) = min(pi, d)) gives the smallest variance, the Frechet lower bound the
    largest."""
    n, pi, d = 3000, 0.61, 0.71
    dim = list_power(4, pi, n=n)
    by = {
        k: gap_power(4, prevalence=pi, direct_share=d, n=n, direct_link=k)
        for k in ("falsification", "independent", "conservative")
    }
    for k, cov in (
        ("falsification", pi - pi * d),
        ("independent", 0.0),
        ("conservative", pi + d - 1 - pi * d),
    ):
        want = dim.std_error**2 + (d * (1 - d) - 2 * cov) / n
        assert by[k].std_error ** 2 == pytest.approx(want, rel=1e-12)
        assert by[k].cov_direct == pytest.approx(cov, rel=1e-12, abs=1e-15)
    se = [by[k].std_error for k in ("falsification", "independent", "conservative")]
    assert se[0] < se[1] < se[2]
    assert by["falsification"].gap == pytest.approx(-0.10, abs=1e-12)
    # any two of gap, direct share and prevalence give the same answer
    a = gap_power(4, gap=-0.1, direct_share=d, n=n).power
    b = gap_power(4, gap=-0.1, prevalence=pi, n=n).power
    assert a == pytest.approx(b, rel=1e-12) == pytest.approx(by["falsification"].power)


def test_russian_2022_example():
    """71% direct vs 61% list, n = 3000, J = 4 items at 50%: power of about 0.75 for the
    10-point gap under the falsification link; 80% power needs about 3,400."""
    res = gap_power(4, gap=-0.10, direct_share=0.71, n=3000)
    assert 0.70 < res.power < 0.80
    need = gap_power(4, gap=-0.10, direct_share=0.71, power=0.8)
    assert 3000 < need.n < 4000
    assert need.n_conservative is not None and need.n_conservative > need.n


def test_list_vs_direct_variance_ratio_illustration():
    """Blair, Coppock & Moor (2020, Discussion): list experiments are "approximately 14 times
    noisier than direct questions" under typical conditions. With three independent control
    items at 50%, prevalence 50% and an even split, Var(DiM) / Var(direct share) at equal n is
    (4 V0 + 2 pi (1 - pi)) / (pi (1 - pi)) = (3 + 0.5) / 0.25 = 14. (Their exact conditions
    were not available to us: an illustration, not a reproduction.)"""
    n = 1000
    res = list_power(3, 0.5, n=n)
    direct_var = 0.25 / n
    assert res.std_error**2 / direct_var == pytest.approx(14.0, rel=1e-12)


def test_control_variance_from_bundled_data():
    race = datasets.load("race")
    ctrl = race.loc[race["treat"] == 0, "y"].astype(float)
    res = list_power(3, 0.2, data="race", n=1000)
    assert res.control_var == pytest.approx(ctrl.var(ddof=1), rel=1e-12)
    assert res.control_mean == pytest.approx(ctrl.mean(), rel=1e-12)
    res2 = list_power(3, 0.2, data=race, n=1000)
    assert res2.power == pytest.approx(res.power, rel=1e-14)
    assert list(race.columns) == list(datasets.load("race").columns)  # input not modified


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(J=0, prevalence=0.2, power=0.8), "J = 0"),
        (dict(J=2.5, prevalence=0.2, power=0.8), "whole number"),
        (dict(J=4, prevalence=0.0, power=0.8), "prevalence = 0 must lie strictly"),
        (dict(J=4, prevalence=1.2, power=0.8), "prevalence = 1.2"),
        (dict(J=4, prevalence=0.2, power=1.0), "power = 1 must lie strictly"),
        (dict(J=4, prevalence=0.2, power=0.0), "power = 0 must lie strictly"),
        (dict(J=4, prevalence=0.2), "exactly one of n and power"),
        (dict(J=4, prevalence=0.2, n=100, power=0.8), "exactly one of n and power"),
        (dict(J=4, prevalence=0.2, null=0.2, power=0.8), "no difference"),
        (dict(J=4, prevalence=0.2, rho=-0.5, power=0.8), "rho = -0.5"),
        (dict(J=4, prevalence=0.2, control_mean=4, power=0.8), "control_mean = 4"),
        (dict(J=4, prevalence=0.2, control_var=5, power=0.8), "exceeds J"),
        (dict(J=4, prevalence=0.2, treated_share=1, power=0.8), "treated_share"),
        (dict(J=4, prevalence=0.2, alternative="greater", power=0.8), "alternative"),
        (dict(J=4, prevalence=0.2, alpha=0.0, power=0.8), "alpha"),
        (dict(J=4, prevalence=0.2, n=1), "n = 1"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs, pattern):
    with pytest.raises(UnsupportedError, match=pattern):
        list_power(**kwargs)


def test_bad_gap_input():
    with pytest.raises(UnsupportedError, match="exactly two"):
        gap_power(4, gap=-0.1, n=100)
    with pytest.raises(UnsupportedError, match="not a prevalence"):
        gap_power(4, gap=0.4, direct_share=0.71, n=100)
    with pytest.raises(UnsupportedError, match="impossible"):
        gap_power(4, gap=-0.1, direct_share=0.71, n=100, direct_link=0.99)
    with pytest.raises(UnsupportedError, match="direct_link"):
        gap_power(4, gap=-0.1, direct_share=0.71, n=100, direct_link="maybe")


def test_bad_treatment_column_names_column_and_rows():
    df = datasets.load("race").copy()
    df.loc[[3, 7], "treat"] = 2
    with pytest.raises(DataError) as e:
        list_power(3, 0.2, data=df, n=100)
    assert e.value.column == "treat" and e.value.rows[:2] == [3, 7]
