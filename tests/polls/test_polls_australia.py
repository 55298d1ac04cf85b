"""Bundled Australian polls: the published pattern (Jackman 2005, 2009) and a brute-force check.

Jackman (2009), Bayesian Analysis for the Social Sciences, Example 9.3 (2004-2007 ALP first
preferences, anchored on both elections) reports house effects of about Galaxy -1.2, Morgan
face-to-face +2.7, Morgan phone +0.8, Newspoll +1.2, Nielsen +0.9 points (posterior means,
sigma integrated over its prior). Jackman (2005, AJPS) finds Morgan and Newspoll understating
the Coalition's two-party-preferred vote in the 2004 campaign by several points.

Independent check (stated choice): a brute-force dense-Gaussian computation of the same model
(``polls_dense.dense_fit``: the walk integrated out as a T x T covariance, GLS for the house
effects, REML likelihood maximised separately with scipy) on the bundled data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from polls_dense import dense_fit
from scipy.optimize import minimize_scalar

from unspoken.polls import fit_polls
from unspoken.polls.data import prepare_polls
from unspoken.polls.model import _anchor_date, _identification, fieldwork_weights, make_grid
from unspoken.polls.smoother import build_design

pytestmark = pytest.mark.filterwarnings("ignore::unspoken.polls.PollDataWarning")

ELECTIONS = ["value:2004-10-09:37.64:0", "value:2007-11-24:43.38:0"]
JACKMAN = {
    "Galaxy": -1.2,
    "Morgan, F2F": 2.7,
    "Morgan, Phone": 0.8,
    "Newspoll": 1.2,
    "Nielsen": 0.9,
}
AUS = dict(start="startDate", end="endDate", n="sampleSize")


def _fit_2004_2007(**options):
    """The 2004-2007 polls of the ALP vote, anchored at both elections."""
    return fit_polls("australia_polls_2004_2007", "ALP", "org", anchor=ELECTIONS, **AUS, **options)


def _he(r) -> dict[str, float]:
    return dict(zip(r.house_effects["pollster"], r.house_effects["estimate"], strict=True))


def test_2004_2007_house_effects_jackman_model() -> None:
    # Jackman's specification: poll dated at its fieldwork midpoint, no extra variance
    r = _fit_2004_2007(extra_variance=False, fieldwork="midpoint")
    he = _he(r)
    for name, published in JACKMAN.items():
        assert he[name] == pytest.approx(published, abs=0.5), name
    se = r.house_effects.set_index("pollster")["std_error"]
    assert se.between(0.6, 1.0).all()
    # order of the houses as published
    assert sorted(he, key=he.get) == [
        "Galaxy",
        "Morgan, Phone",
        "Nielsen",
        "Newspoll",
        "Morgan, F2F",
    ]
    # the anchors are met exactly
    assert r.estimate_on("2004-10-09").estimate == pytest.approx(37.64, abs=1e-9)
    assert r.estimate_on("2007-11-24").estimate == pytest.approx(43.38, abs=1e-9)
    assert r.estimate_on("2007-11-24").std_error == 0


def test_2004_2007_default_model_same_pattern() -> None:
    r = _fit_2004_2007()
    he = _he(r)
    for name, published in JACKMAN.items():
        assert he[name] == pytest.approx(published, abs=1.0), name
    # Morgan face-to-face scatters more than its sampling error alone
    extra = r.house_effects.set_index("pollster")["extra_sd"]
    assert extra["Morgan, F2F"] > 0.5
    assert r.converged


def test_2004_campaign_two_party_preferred() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_polls(
            "australia_polls_2004_campaign",
            "coalition2PP",
            "org",
            start="start",
            end="end",
            n="sampleSize",
            anchor="value:2004-10-09:52.74:0",
            extra_variance=False,
            fieldwork="midpoint",
        )
    he = _he(r)
    assert he["Roy Morgan"] < -3.0
    assert he["Newspoll"] < -2.0
    assert he["Galaxy"] == pytest.approx(0.0, abs=1.5)
    # Jackman (2005): the ANU online poll and Morgan have large biases, the phone polls small
    assert he["ANU"] < -4.0
    assert abs(he["AC Nielsen"]) < 2.0
    assert (
        len(r.trend) == (np.datetime64("2004-10-09") - np.datetime64("2004-06-18")).item().days + 1
    )


def _dense_setup(data, share, pollster, anchors, fieldwork="midpoint", **kw):
    polls = prepare_polls(data, share=share, pollster=pollster, **kw)
    _ident, C, anc = _identification(list(anchors), polls.pollsters)
    grid = make_grid(polls, anc, "day")
    first, lens, w = fieldwork_weights(polls, grid, fieldwork)
    t = polls.table
    p = t["share"].to_numpy()
    nn = t["n"].to_numpy()
    vb = p * (1 - p) / nn
    house = np.searchsorted(polls.pollsters, t["pollster"].to_numpy())
    a = [
        (int(grid.index(np.array([_anchor_date(x)]))[0]), x.estimate / 100, x.std_error / 100)
        for x in anc
    ]
    d = build_design(p, vb, house, C, first, (lens, w), grid.T, a)
    return d, a


@pytest.mark.parametrize(
    "case",
    [
        (
            "australia_polls_2004_campaign",
            "coalition2PP",
            "org",
            ["value:2004-10-09:52.74:0"],
            dict(start="start", end="end", n="sampleSize"),
        ),
        pytest.param(
            ("australia_polls_2004_2007", "ALP", "org", ELECTIONS, AUS), marks=pytest.mark.slow
        ),
    ],
    ids=["campaign-2pp", "2004-2007"],
)
def test_bundled_data_agree_with_dense_gaussian(case) -> None:
    data, share, pollster, anchors, kw = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_polls(
            data,
            share,
            pollster,
            anchor=anchors,
            extra_variance=False,
            fieldwork="midpoint",
            bands="plugin",
            **kw,
        )
        d, a = _dense_setup(data, share, pollster, anchors, **kw)
    Wd = d.W.toarray()

    def neg_reml(log_sigma: float) -> float:
        s2 = np.exp(2 * log_sigma)
        return -dense_fit(Wd, d.y, d.vb, d.HC, d.T, s2, a, reml_only=True)["reml"]

    opt = minimize_scalar(
        neg_reml, bounds=(np.log(1e-4), np.log(5e-2)), method="bounded", options={"xatol": 1e-9}
    )
    sigma_dense = float(np.exp(opt.x)) * 100
    assert r.sigma == pytest.approx(sigma_dense, rel=2e-4)
    dn = dense_fit(Wd, d.y, d.vb, d.HC, d.T, (r.sigma / 100) ** 2, a)
    np.testing.assert_allclose(r.house_effects["estimate"], dn["beta"][1:] * 100, atol=1e-8)
    np.testing.assert_allclose(
        r.house_effects["std_error"], np.sqrt(np.diag(dn["beta_cov"])[1:]) * 100, rtol=1e-6
    )
    np.testing.assert_allclose(r.trend["estimate"], dn["alpha"] * 100, atol=1e-8)
    free = r.trend["std_error"].to_numpy() > 0
    np.testing.assert_allclose(
        r.trend["std_error"][free], np.sqrt(dn["alpha_var"][free]) * 100, rtol=1e-5
    )


def test_posterior_mean_over_sigma_is_close_to_ml() -> None:
    """Integrating sigma out (uniform prior, quadrature over the exact restricted likelihood)
    hardly moves the house effects: the gap to Jackman's numbers is not ML vs Bayes."""
    from unspoken.polls.smoother import solve

    d, _ = _dense_setup("australia_polls_2004_2007", "ALP", "org", ELECTIONS, **AUS)
    grid = np.linspace(0.0005, 0.01, 200)
    ll, he = [], []
    for s in grid:
        sol = solve(d, s * s, np.zeros(d.J))
        ll.append(sol.loglik)
        he.append(d.C @ sol.eta * 100)
    w = np.exp(np.array(ll) - max(ll))
    w /= w.sum()
    post = w @ np.array(he)
    r = _fit_2004_2007(extra_variance=False, fieldwork="midpoint")
    np.testing.assert_allclose(post, r.house_effects["estimate"], atol=0.1)
    assert w @ grid * 100 == pytest.approx(r.sigma, rel=0.05)
