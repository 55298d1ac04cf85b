"""multilevel_list (issue 14, method='laplace'): the quadrature against brute-force
integration, its exact derivatives, the reduction to the standard ML fit, area-level
predictors, the small-cell rule and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import binom, norm

import unspoken
from unspoken.errors import DataError, UnsupportedError
from unspoken.multilevel.model import MultilevelListModel


def _simulate(rng, sizes, d=(-0.3, 0.5), p=(-0.5, 0.3), su=0.7, sv=0.4, J=3):
    A = len(sizes)
    area = np.repeat(np.arange(A), sizes)
    n = len(area)
    u, v = rng.normal(0, su, A), rng.normal(0, sv, A)
    x = rng.normal(size=n)
    t = rng.integers(0, 2, n)
    z = rng.random(n) < expit(d[0] + d[1] * x + u[area])
    c = rng.binomial(J, expit(p[0] + p[1] * x + v[area]))
    return pd.DataFrame({"y": c + t * z, "t": t, "x": x, "area": area})


def _brute_force_loglik(df, theta, J):
    """log of prod_a ∫∫ prod_i L_i(u, v) phi(u; su) phi(v; sv) du dv on a dense grid
    (trapezoid on ±9 SD, 601 x 601 points), written from the model's definition."""
    d0, d1, p0, p1, lsu, lsv = theta
    su, sv = np.exp(lsu), np.exp(lsv)
    gu, gv = np.linspace(-9, 9, 601) * su, np.linspace(-9, 9, 601) * sv
    wu = norm.pdf(gu, 0, su) * np.gradient(gu)
    wv = norm.pdf(gv, 0, sv) * np.gradient(gv)
    total = 0.0
    for _, g in df.groupby("area"):
        y, t, x = g["y"].to_numpy(), g["t"].to_numpy(), g["x"].to_numpy()
        gi = expit(d0 + d1 * x[:, None] + gu[None, :])  # (n, U)
        pi = expit(p0 + p1 * x[:, None] + gv[None, :])  # (n, V)
        f0 = binom.pmf(y[:, None], J, pi)  # control count = y
        f1 = binom.pmf(y[:, None] - 1, J, pi)  # treated with the trait: control count y - 1
        # log L_i(u, v) summed over respondents, as a (U, V) grid
        li = np.where(
            t[:, None, None] == 1,
            gi[:, :, None] * f1[:, None, :] + (1 - gi[:, :, None]) * f0[:, None, :],
            f0[:, None, :],
        )
        s = np.log(li).sum(0)
        m = s.max()
        total += m + np.log(wu @ np.exp(s - m) @ wv)
    return total


def _model(df, nodes, J=3, penalized=False):
    """The model (without the SD penalty unless asked: the quadrature of the marginal
    likelihood itself)."""
    X = np.column_stack([np.ones(len(df)), df["x"]])
    return MultilevelListModel(
        df["y"], df["t"], X, df["area"], np.ones(len(df)), J, nodes, penalized=penalized
    )


THETA = np.array([-0.3, 0.5, -0.5, 0.3, np.log(0.7), np.log(0.4)])


def test_adaptive_quadrature_matches_brute_force_integration() -> None:
    df = _simulate(np.random.default_rng(3), [5, 12, 25, 40])
    exact = _brute_force_loglik(df, THETA, 3)
    errors = []
    for nodes in (3, 7, 11):
        m = _model(df, nodes)
        errors.append(abs(m.evaluate(THETA, m.adapt(THETA), 0)[0] - exact))
    # the quadrature error falls fast with the nodes (about 2e-4, 3e-7, 2e-9 here); the
    # dense trapezoid grid of a smooth integrand is far more accurate than that
    assert errors[0] > errors[1] > errors[2], errors
    assert errors[1] < 1e-6, errors
    assert errors[2] < 1e-8, errors


def test_gradient_and_hessian_are_exact_at_fixed_nodes() -> None:
    df = _simulate(np.random.default_rng(4), [10, 30, 50, 20, 60])
    m = _model(df, 5)
    nodes = m.adapt(THETA)
    _, g, H = m.evaluate(THETA, nodes, 2)
    h = 1e-5
    eye = np.eye(len(THETA))
    g_num = np.array(
        [
            (m.evaluate(THETA + h * e, nodes, 0)[0] - m.evaluate(THETA - h * e, nodes, 0)[0])
            / (2 * h)
            for e in eye
        ]
    )
    H_num = np.column_stack(
        [(m.evaluate(THETA + h * e, nodes, 1)[1] - m.evaluate(THETA - h * e, nodes, 1)[1]) / (2 * h)
         for e in eye]
    )  # fmt: skip
    # central differences: error O(h^2 |f'''|) + rounding O(eps |f| / h), about 1e-6 here
    np.testing.assert_allclose(g, g_num, atol=1e-5)
    np.testing.assert_allclose(H, (H_num + H_num.T) / 2, atol=1e-5)


def test_without_random_effects_it_is_the_standard_ml_fit() -> None:
    race = unspoken.datasets.load("race")
    f = unspoken.multilevel_list(
        race, "y ~ age + male", "treat", J=3, area="state", random_effects=False
    )
    s = unspoken.list_experiment(race, "y ~ age + male", treat="treat", J=3, method="ml")
    np.testing.assert_allclose(f.params_, s.params_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(f.std_errors, s.std_errors.to_numpy(), rtol=1e-5)
    assert f.loglik == pytest.approx(s.loglik, abs=1e-6)


def test_one_area_reduces_to_the_standard_fit() -> None:
    """With a single area and no random effect the model is the standard ML fit; with the
    random intercepts and no SD penalty, they are confounded with the intercepts: the
    maximum likelihood SDs go to 0 and the fixed effects are the standard fit's again."""
    race = unspoken.datasets.load("race").assign(one="all")
    s = unspoken.list_experiment(race, "y ~ age + male", treat="treat", J=3, method="ml")
    args = (race, "y ~ age + male", "treat", 3, "one")
    f = unspoken.multilevel_list(*args, random_effects=False)
    np.testing.assert_allclose(f.params_, s.params_, rtol=0, atol=1e-6)
    assert f.loglik == pytest.approx(s.loglik, abs=1e-6)
    g = unspoken.multilevel_list(*args, penalty=False)
    assert g.sd["sensitive"].estimate < 1e-3 and g.sd["control"].estimate < 1e-3
    np.testing.assert_allclose(g.params_, s.params_, rtol=0, atol=1e-6)


def test_area_level_predictor_and_its_check() -> None:
    race = unspoken.datasets.load("race")
    f = unspoken.multilevel_list(
        race, "y ~ age", "treat", J=3, area="state", area_formula="~ south"
    )
    assert "south" in f.terms
    bad = race.copy()
    bad.loc[bad.index[bad["state"] == "TX"][0], "south"] = 0
    before = bad.copy()
    with pytest.raises(DataError, match=r"'south' is not constant within area 'TX'"):
        unspoken.multilevel_list(bad, "y ~ age", "treat", J=3, area="state", area_formula="~ south")
    pd.testing.assert_frame_equal(bad, before)


def test_areas_small_cells_and_shrinkage() -> None:
    df = _simulate(np.random.default_rng(5), [8, 12, 40, 60, 90, 25, 70, 100])
    f = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area")
    fr = f.area_frame()
    assert list(fr["n"]) == [8, 12, 40, 60, 90, 25, 70, 100]
    small = fr["n"] < 30
    assert fr.loc[small, "raw"].isna().all() and fr.loc[~small, "raw"].notna().all()
    assert (fr["ci_low"] < fr["estimate"]).all() and (fr["estimate"] < fr["ci_high"]).all()
    assert "raw" not in f.tidy().columns
    d = f.to_dict()
    assert all(a["raw_share"] is None for a in d["areas"] if a["n"] < 30)
    text = f.summary()
    assert "model-based" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "mcmc"}, UnsupportedError, "method"),
        ({"nodes": 0}, UnsupportedError, "nodes"),
        ({"nodes": 2.5}, UnsupportedError, "nodes"),
        ({"area": "nope"}, DataError, "nope"),
        ({"area": "x"}, DataError, "cannot be a covariate"),
        ({"area_formula": "z ~ x"}, DataError, "right-hand side"),
        ({"formula": "y ~ x - 1"}, UnsupportedError, "intercept"),
        ({"level": 95}, UnsupportedError, "level"),
    ],
)
def test_bad_input(kwargs, error, match) -> None:
    df = _simulate(np.random.default_rng(6), [20, 30])
    args = {"formula": "y ~ x", "treat": "t", "J": 3, "area": "area", **kwargs}
    with pytest.raises(error, match=match):
        unspoken.multilevel_list(df, **args)


def _area_h(g: pd.DataFrame, theta: np.ndarray, b: np.ndarray, J: int = 3) -> float:
    """log of prod_i L_i(u, v) phi(b1) phi(b2) at u = su b1, v = sv b2, from the model's
    definition."""
    d0, d1, p0, p1, lsu, lsv = theta
    y, t, x = g["y"].to_numpy(), g["t"].to_numpy(), g["x"].to_numpy()
    gi = expit(d0 + d1 * x + np.exp(lsu) * b[0])
    pi = expit(p0 + p1 * x + np.exp(lsv) * b[1])
    li = np.where(
        t == 1,
        gi * binom.pmf(y - 1, J, pi) + (1 - gi) * binom.pmf(y, J, pi),
        binom.pmf(y, J, pi),
    )
    return float(np.log(li).sum() + norm.logpdf(b).sum())


def test_one_node_is_the_laplace_approximation() -> None:
    """Laplace: log L_a ≈ h(b^) + log 2π - log det(-h''(b^)) / 2, with the mode found by
    scipy and the curvature by central differences, independently of the model code."""
    from scipy.optimize import minimize

    df = _simulate(np.random.default_rng(3), [5, 12, 25, 40])
    total = 0.0
    for _, g in df.groupby("area"):
        m = minimize(lambda b, g=g: -_area_h(g, THETA, b), np.zeros(2), method="BFGS", tol=1e-12)
        h, eye = 1e-4, np.eye(2)
        H = np.array(
            [
                [
                    (
                        _area_h(g, THETA, m.x + h * ei + h * ej)
                        - _area_h(g, THETA, m.x + h * ei - h * ej)
                        - _area_h(g, THETA, m.x - h * ei + h * ej)
                        + _area_h(g, THETA, m.x - h * ei - h * ej)
                    )
                    / (4 * h * h)
                    for ej in eye
                ]
                for ei in eye
            ]
        )
        total += -m.fun + np.log(2 * np.pi) - 0.5 * np.log(np.linalg.det(-H))
    model = _model(df, 1)
    # finite-difference curvature: relative error about 1e-7 in the determinant
    assert model.evaluate(THETA, model.adapt(THETA), 0)[0] == pytest.approx(total, abs=1e-6)


def test_laplace_fit_is_close_to_the_quadrature_fit() -> None:
    df = _simulate(np.random.default_rng(8), list(range(10, 100, 3)))
    lap = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", nodes=1)
    agq = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", nodes=9)
    assert lap.converged and agq.converged
    # the Laplace approximation's error is small against the sampling error
    assert np.all(np.abs(lap.params_ - agq.params_) < 0.1 * agq.std_errors)
    assert lap.loglik != agq.loglik
