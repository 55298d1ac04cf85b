"""multilevel_list(method='bayes') engine (unspoken.multilevel.bayes, NUTS in NumPyro): the
model's log density against the model written out with scipy, the convergence diagnostics on
draws with known answers, the optional extra, and one simulated data set fitted by both
routes (issue 14: laplace and bayes agree within a tenth of a posterior SD for the area
estimates; the posterior intervals cover the truth). One data set is a regression check, not
a study: over many data sets the largest difference of an area exceeds 0.1 posterior SD on
some (a weakly identified SD of the sensitive item: docs/multilevel_bayes.md, measured by
benchmarks/multilevel_bayes.py --coverage)."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import binom, gamma, norm

from unspoken.errors import UnsupportedError
from unspoken.multilevel import mcmc_diagnostics as mcd
from unspoken.multilevel.bayes import (
    PRIOR_RATE,
    PRIOR_SD_FIXED,
    PRIOR_SHAPE,
    BayesData,
    area_summaries,
    converged,
    diagnostics,
    sample_posterior,
)

# ---------------------------------------------------------------- diagnostics (numpy only)


def _ar1(rng, phi, shape):
    """Stationary AR(1) chains along axis 1 with unit innovations, shape (chains, draws, p)."""
    e = rng.normal(size=shape)
    x = np.empty(shape)
    x[:, 0] = e[:, 0] / np.sqrt(1 - phi**2)
    for s in range(1, shape[1]):  # a recursion over the draws of a test fixture
        x[:, s] = phi * x[:, s - 1] + e[:, s]
    return x


def test_iid_draws_have_rhat_one_and_ess_near_the_number_of_draws() -> None:
    x = np.random.default_rng(1).normal(size=(4, 1000, 20))
    r, eb, et = mcd.rhat(x), mcd.ess_bulk(x), mcd.ess_tail(x)
    # R-hat of 8 half chains of 500 iid draws: sqrt(1 + O(1/500)); ESS of iid draws: S = 4000
    # with a sampling error of a few per cent (the tail ESS, of 5% indicators, more)
    assert np.all(np.abs(r - 1) < 0.01), r
    assert np.all((eb > 0.85 * 4000) & (eb < 1.15 * 4000)), eb
    assert np.all((et > 0.7 * 4000) & (et < 1.3 * 4000)), et


def test_ess_of_an_autoregressive_chain_matches_its_theory() -> None:
    # AR(1) with phi: the integrated autocorrelation time is (1 + phi) / (1 - phi)
    phi = 0.7
    x = _ar1(np.random.default_rng(2), phi, (4, 4000, 10))
    expected = 16000 * (1 - phi) / (1 + phi)
    ratio = mcd.ess(x) / expected
    assert np.all((ratio > 0.85) & (ratio < 1.15)), ratio
    assert np.all(np.abs(mcd.ess_bulk(x) / expected - 1) < 0.15)


def test_rhat_flags_chains_that_disagree_in_location_or_scale() -> None:
    rng = np.random.default_rng(3)
    shifted = rng.normal(size=(4, 1000, 5))
    shifted[0] += 1.0  # one chain elsewhere
    assert np.all(mcd.rhat(shifted) > 1.05)
    scaled = rng.normal(size=(4, 1000, 5))
    scaled[0] *= 3.0  # same centre, wider: invisible to the bulk R-hat, seen by the folded one
    bulk = mcd.split_rhat(mcd._rank_normal(scaled))
    assert np.all(bulk < 1.01), bulk
    assert np.all(mcd.rhat(scaled) > 1.05)
    # one chain drifting within itself: split R-hat sees the halves disagree
    trend = rng.normal(size=(4, 1000, 5)) + np.linspace(0, 2, 1000)[None, :, None]
    assert np.all(mcd.split_rhat(trend) > 1.05)


def test_unnormalised_diagnostics_equal_numpyros() -> None:
    pytest.importorskip("numpyro")
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

    rng = np.random.default_rng(4)
    for x in (rng.normal(size=(4, 1000, 3)), _ar1(rng, 0.6, (3, 777, 4))):
        np.testing.assert_allclose(mcd.split_rhat(x), split_gelman_rubin(x), rtol=1e-12)
        np.testing.assert_allclose(mcd.ess(x), effective_sample_size(x), rtol=1e-10)


def test_converged_flag() -> None:
    good = {"a": {"rhat": 1.002, "ess_bulk": 900.0, "ess_tail": 700.0}}
    assert mcd.converged(good)
    assert not mcd.converged({**good, "b": {"rhat": 1.02, "ess_bulk": 900.0, "ess_tail": 9.0}})
    assert not mcd.converged({**good, "b": {"rhat": 1.0, "ess_bulk": 350.0, "ess_tail": 900.0}})


# ---------------------------------------------------------------- the optional extra


def test_without_numpyro_the_error_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "numpyro", None)  # import numpyro -> ImportError
    data = _data(np.random.default_rng(0), [5, 5])
    with pytest.raises(UnsupportedError, match=r'pip install "unspoken\[bayes\]"') as err:
        sample_posterior(data, chains=1, warmup=50, draws=100)
    assert err.value.param == "method"
    # and through the public function, before any sampling
    import unspoken

    df = pd.DataFrame({"y": [0, 1, 2, 1] * 5, "t": [0, 1] * 10, "a": np.repeat([0, 1], 10)})
    with pytest.raises(UnsupportedError, match=r'pip install "unspoken\[bayes\]"'):
        unspoken.multilevel_list(df, "y ~ 1", "t", J=2, area="a", method="bayes")


# ---------------------------------------------------------------- the model's log density


def _data(rng, sizes, J=3, direct=False, slope=False, correlated=True):
    """A small mixed design: some rows answered the list only, some the direct question
    only, some both; masked answers are NaN."""
    A = len(sizes)
    area = np.repeat(np.arange(A), sizes)
    n = len(area)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    t = rng.integers(0, 2, n).astype(float)
    y = rng.integers(0, J + 1, n) + t * rng.integers(0, 2, n)  # 0..J+1 for the treated
    in_list = np.ones(n, bool)
    d = in_direct = None
    if direct:
        in_list = rng.random(n) < 0.7
        in_direct = ~in_list | (rng.random(n) < 0.5)
        d = np.where(in_direct, rng.integers(0, 2, n), np.nan)
        y = np.where(in_list, y, np.nan)
        t = np.where(in_list, t, np.nan)
    z = rng.normal(size=n) if slope else None
    return BayesData(X, area, A, J, y, t, in_list, d, in_direct, z, ("Intercept", "x"), correlated)


def _log_joint_scipy(data, p):
    """The log joint density written out with scipy: priors (N(0, 5^2) fixed effects,
    Gamma(2, 1) SDs, N(0, 1) loading of the said effect on the hidden one, standard normal
    b) plus the likelihood."""
    lp = sum(
        norm.logpdf(p[k], 0, PRIOR_SD_FIXED).sum() for k in ("delta", "psi", "gamma") if k in p
    )
    lp += sum(
        gamma.logpdf(p[k], a=PRIOR_SHAPE, scale=1 / PRIOR_RATE)
        for k in ("sigma_u", "sigma_v", "l_ww", "sigma_s")
        if k in p
    )
    lp += norm.logpdf(p["b"]).sum() + (norm.logpdf(p["l_wu"], 0, 1) if "l_wu" in p else 0.0)
    l_wu = p.get("l_wu", 0.0)  # 0: the said and hidden area effects independent
    a, X, J = data.area, data.X, data.J
    b = p["b"]
    eta = X @ p["delta"] + p["sigma_u"] * b[a, 0]
    if "sigma_s" in p:
        eta = eta + data.z * p["sigma_s"] * b[a, 2]  # the slope's normal follows u, v
    pi, q = expit(eta), expit(X @ p["psi"] + p["sigma_v"] * b[a, 1])
    rows = np.flatnonzero(data.in_list)
    for i in rows:  # respondent by respondent: the definition, not the vectorised code
        yi = data.y[i]
        if data.t[i] == 1:
            li = pi[i] * binom.pmf(yi - 1, J, q[i]) + (1 - pi[i]) * binom.pmf(yi, J, q[i])
        else:
            li = binom.pmf(yi, J, q[i])
        lp += np.log(li)
    if "gamma" in p:
        w = l_wu * b[:, 0] + p["l_ww"] * b[:, -1]  # the said effect's own normal: last
        r = expit(X @ p["gamma"] + w[a])
        di = np.flatnonzero(data.in_direct)
        lp += np.sum(np.where(data.d[di] == 1, np.log(r[di]), np.log(1 - r[di])))
    return lp


@pytest.mark.parametrize(
    ("direct", "slope", "correlated"),
    [(False, False, True), (True, False, True), (True, True, True), (True, True, False)],
)
def test_log_density_is_the_model_written_out(direct, slope, correlated) -> None:
    pytest.importorskip("numpyro")
    import numpyro
    from numpyro.infer.util import log_density

    from unspoken.multilevel.bayes import _build_model, _patterns

    numpyro.enable_x64()
    rng = np.random.default_rng(5)
    data = _data(rng, [1, 7, 20, 12], direct=direct, slope=slope, correlated=correlated)
    m = 2 + direct + slope
    p = {
        "delta": np.array([-0.4, 0.6]),
        "psi": np.array([0.2, -0.3]),
        "sigma_u": 0.9,
        "sigma_v": 0.4,
        "b": rng.normal(size=(4, m)),
    }
    if direct:
        p.update(gamma=np.array([0.5, 0.1]), l_ww=0.6)
        if correlated:
            p["l_wu"] = -0.3
    if slope:
        p["sigma_s"] = 0.3
    model = _build_model(_patterns(data), data)
    got = float(log_density(model, (), {}, p)[0])
    assert got == pytest.approx(_log_joint_scipy(data, p), rel=1e-12, abs=1e-9)


# ---------------------------------------------------------------- laplace and bayes agree


@pytest.fixture(scope="module")
def simulated():
    """One data set of the direct-question simulation (40 areas of 10-100 respondents, a
    covariate, everyone asked both ways) and each area's true hidden share, said share and
    gap (the mean of the respondents' probabilities)."""
    from test_multilevel_direct_simulation import simulate

    return simulate(np.random.default_rng(20261207))


#: the agreement tests fit "y ~ 1" (the covariate's effect is then part of each area's
#: share): a few hundred answer patterns instead of one per respondent make NUTS fast enough
#: for 4 x 2000 draws, whose Monte Carlo error (about 0.015 posterior SD per area) leaves
#: room under the 0.1 for the routes' own difference (up to 0.056 here, measured with
#: 4 x 6000 draws on y ~ x)
AGREE = {"J": 3, "area": "area", "min_n": 1}
BAYES = {"method": "bayes", "warmup": 500, "draws": 2000}


@pytest.fixture(scope="module")
def both_fits(simulated):
    """The list experiment alone fitted through the public API by adaptive quadrature
    (empirical Bayes) and by NUTS."""
    pytest.importorskip("numpyro")
    import unspoken

    df, truth = simulated
    eb = unspoken.multilevel_list(df, "y ~ 1", "t", **AGREE)
    fb = unspoken.multilevel_list(df, "y ~ 1", "t", **AGREE, **BAYES, seed=1)
    return eb, fb, truth["hidden"].to_numpy()


def _agreement(eb, fb, attr: str = "estimate") -> np.ndarray:
    """|EB estimate - posterior mean| / posterior SD over the areas."""
    e = np.array([getattr(a, attr).estimate for a in eb.areas])
    post = [getattr(a, attr) for a in fb.areas]
    return np.abs(e - [p.estimate for p in post]) / [p.std_error for p in post]


@pytest.mark.slow  # the fixture samples 4 chains x 2500 iterations
def test_laplace_and_bayes_area_estimates_agree_within_a_tenth_of_a_posterior_sd(
    both_fits,
) -> None:
    eb, fb, _ = both_fits
    e, b = eb.area_frame(), fb.area_frame()  # bayes: posterior means and SDs
    ratio = _agreement(eb, fb)
    print(f"|EB - posterior mean| / posterior SD: max {ratio.max():.3f}, mean {ratio.mean():.3f}")
    assert ratio.max() < 0.1
    # the EB standard errors approximate the posterior SDs
    sd_ratio = (e["std_error"] / b["std_error"]).to_numpy()
    print(f"EB s.e. / posterior SD: {sd_ratio.min():.3f} to {sd_ratio.max():.3f}")
    assert np.all(np.abs(sd_ratio - 1) < 0.15), sd_ratio


@pytest.mark.slow
def test_posterior_converges_and_its_intervals_cover_the_truth(both_fits) -> None:
    _, fb, truth = both_fits
    assert fb.method == "bayes"
    assert fb.converged, fb.diagnostics
    assert fb.state["posterior"].divergences == 0
    assert set(fb.diagnostics) == {
        "sensitive:Intercept",
        "control:Intercept",
        "sd(area):sensitive",
        "sd(area):control",
        "hidden share (worst area)",
    }
    assert all(v["rhat"] < 1.01 and v["ess_bulk"] > 400 for v in fb.diagnostics.values())
    fr = fb.area_frame()
    covered = (fr["ci_low"] <= truth) & (truth <= fr["ci_high"])
    # one data set, 40 areas: Binomial(40, 0.95) >= 34 with probability 0.996
    assert covered.sum() >= 34, covered.mean()
    # the same model and prior: the posterior mode (laplace) lies inside the credible interval
    sd_u, mode = fb.sd["sensitive"], both_fits[0].sd["sensitive"].estimate
    assert sd_u.ci_low < mode < sd_u.ci_high
    assert np.all((fr["ci_low"] < fr["estimate"]) & (fr["estimate"] < fr["ci_high"]))


def test_area_summaries_of_a_short_run_are_the_draws_summarised() -> None:
    """A short run on 5 areas (fast; the slow tests above check the numbers): the shares
    are each area's mean of expit(index) per draw, recomputed here draw by draw."""
    pytest.importorskip("numpyro")
    data = _data(np.random.default_rng(8), [4, 9, 15, 6, 11], direct=True, slope=True)
    # a tree depth of 4 keeps this short: the weakly identified SDs of 5 areas would send
    # NUTS to its limit of 1023 steps per draw
    draws = sample_posterior(
        data, chains=2, warmup=100, draws=100, seed=2, progress=False, max_tree_depth=4
    )
    assert draws.samples["b"].shape == (2, 100, 5, 4)
    post = area_summaries(data, draws, 0.9)
    s = draws.samples
    for c, k in ((0, 0), (1, 99)):  # two draws, recomputed from the parameters
        b = s["b"][c, k]
        eta = data.X @ s["delta"][c, k] + s["sigma_u"][c, k] * b[data.area, 0]
        eta = eta + data.z * s["sigma_s"][c, k] * b[data.area, 2]
        r, sw = s["rho"][c, k], s["sigma_w"][c, k]  # sigma_w, rho: derived from l_wu, l_ww
        w = sw * (r * b[:, 0] + np.sqrt(1 - r**2) * b[:, 3])
        eta_w = data.X @ s["gamma"][c, k] + w[data.area]
        frame = pd.DataFrame({"a": data.area, "h": expit(eta), "d": expit(eta_w)})
        means = frame.groupby("a").mean()
        row = c * 100 + k
        np.testing.assert_allclose(post["hidden"]["draws"][row], means["h"], rtol=1e-12)
        np.testing.assert_allclose(post["direct"]["draws"][row], means["d"], rtol=1e-12)
    h = post["hidden"]
    np.testing.assert_allclose(h["mean"], h["draws"].mean(0), rtol=1e-12)
    np.testing.assert_allclose(h["ci_high"], np.quantile(h["draws"], 0.95, axis=0), rtol=1e-12)
    diag = diagnostics(draws, post)
    assert {"sd(area):slope", "direct:x", "hidden share (worst area)"} <= set(diag)
    assert draws.seconds > draws.seconds_compile > 0


# ---------------------------------------------------------------- the direct question


@pytest.mark.slow
def test_with_a_direct_question_laplace_and_bayes_agree_on_all_three_shares(simulated) -> None:
    """The same data with the direct question (everyone asked both ways: independent area
    effects of the hidden and the said share in both routes): the hidden share, the said
    share and the gap agree within a tenth of a posterior SD, and the posterior intervals
    of the hidden and said shares cover the truth."""
    pytest.importorskip("numpyro")
    import unspoken

    df, truth = simulated
    eb = unspoken.multilevel_list(df, "y ~ 1", "t", **AGREE, direct="d")
    fb = unspoken.multilevel_list(df, "y ~ 1", "t", **AGREE, direct="d", **BAYES, seed=2)
    assert fb.converged, fb.diagnostics
    assert "cor(area):sensitive,direct" not in fb.diagnostics  # not correlated here
    for attr, q in (("estimate", "hidden"), ("direct", "direct"), ("gap", "gap")):
        ratio = _agreement(eb, fb, attr)
        print(
            f"{q}: |EB - posterior mean| / posterior SD max {ratio.max():.3f}, "
            f"mean {ratio.mean():.3f}"
        )
        assert ratio.max() < 0.1, q
        if q != "gap":  # the gap's intervals are conservative by design (see the fit's note)
            post = [getattr(a, attr) for a in fb.areas]
            lo, hi = np.array([p.ci_low for p in post]), np.array([p.ci_high for p in post])
            tr = truth[q].to_numpy()
            assert ((lo <= tr) & (tr <= hi)).sum() >= 34, q


@pytest.mark.slow
def test_direct_and_gap_recover_the_truth_with_correlated_area_effects() -> None:
    """40 areas, everyone asked both questions; the area intercepts of the sensitive item
    and of saying "support" correlated (rho = 0.6): the posterior intervals of the hidden
    share, the direct share and the gap cover the truth, and those of sigma_w and rho
    cover theirs."""
    pytest.importorskip("numpyro")
    rng = np.random.default_rng(77)
    A, sw, rho, g0 = 40, 0.6, 0.6, 0.4
    DELTA0, SD_U, PSI0, SD_V, J = -0.5, 0.8, -2.0, 0.3, 2
    sizes = rng.integers(10, 101, A)
    area = np.repeat(np.arange(A), sizes)
    n = len(area)
    b = rng.normal(size=(A, 3))
    u = SD_U * b[:, 0]
    w = sw * (rho * b[:, 0] + np.sqrt(1 - rho**2) * b[:, 2])
    t = rng.integers(0, 2, n)
    zz = rng.random(n) < expit(DELTA0 + u[area])
    c = rng.binomial(J, expit(PSI0 + SD_V * b[area, 1]))
    d = (rng.random(n) < expit(g0 + w[area])).astype(float)
    ones = np.ones(n, bool)
    data = BayesData(np.ones((n, 1)), area, A, J, c + t * zz, t, ones, d, ones, None, ("1",))
    draws = sample_posterior(data, chains=4, warmup=500, draws=500, seed=3, progress=False)
    post = area_summaries(data, draws, 0.95)
    diag = diagnostics(draws, post)
    assert converged(diag), diag
    assert {"direct:1", "sd(area):direct", "cor(area):sensitive,direct"} <= set(diag)
    assert {"gap share (worst area)", "direct share (worst area)"} <= set(diag)
    truth = {"hidden": expit(DELTA0 + u), "direct": expit(g0 + w)}
    truth["gap"] = truth["hidden"] - truth["direct"]
    for q, tr in truth.items():
        covered = (post[q]["ci_low"] <= tr) & (tr <= post[q]["ci_high"])
        # Binomial(40, 0.95) >= 34 with probability 0.996
        assert covered.sum() >= 34, (q, covered.mean())
    np.testing.assert_allclose(
        post["gap"]["draws"], post["hidden"]["draws"] - post["direct"]["draws"]
    )
    # the SD and correlation of the 40 simulated area effects (0.49 and 0.72 here; the
    # population values 0.6 and 0.6): one data set informs about the effects it drew
    realised = {"sigma_w": w.std(), "rho": np.corrcoef(u, w)[0, 1]}
    for name, true in realised.items():
        lo, hi = np.quantile(draws.samples[name], [0.025, 0.975])
        assert lo < true < hi, (name, lo, hi)


# ---------------------------------------------------------------- bad arguments


def test_impossible_counts_are_refused_by_the_engine() -> None:
    """The public function checks the data first; the engine refuses them too rather than
    clipping a count silently."""
    data = _data(np.random.default_rng(0), [5, 5])
    y = data.y.copy()
    y[3] = data.J + 2  # more than J + 1 items
    with pytest.raises(ValueError, match=r"rows \[3\]"):
        sample_posterior(replace(data, y=y))


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"chains": 0}, "chains"),
        ({"draws": 10}, "draws"),
        ({"warmup": 2.5}, "warmup"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_sampler_settings_are_refused(kw, name) -> None:
    data = _data(np.random.default_rng(0), [5, 5])
    with pytest.raises(UnsupportedError, match=name) as err:
        sample_posterior(data, **kw)
    assert err.value.param == name
