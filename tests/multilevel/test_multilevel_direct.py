"""multilevel_list with a direct question (issue 14, item 2): the joint quadrature against
brute-force integration, its exact derivatives (with a random slope), the reduction to the
standard list ML fit plus a logistic regression, the layouts of the direct question, "don't
know", area data, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from scipy.stats import binom

import unspoken
from unspoken.errors import DataError, UnsupportedError
from unspoken.multilevel.model import MultilevelListModel


def _simulate(rng, sizes, J=3, layout="everyone"):
    """Hidden trait with area effect u, control items with v; a person with the trait says
    "yes", one without it says "yes" with an area-specific probability."""
    A = len(sizes)
    area = np.repeat(np.arange(A), sizes)
    n = len(area)
    u, v, f = rng.normal(0, 0.7, A), rng.normal(0, 0.3, A), rng.normal(0, 0.5, A)
    x = rng.normal(size=n)
    t = rng.integers(0, 2, n)
    z = rng.random(n) < expit(-0.2 + 0.5 * x + u[area])
    c = rng.binomial(J, expit(-0.4 + 0.3 * x + v[area]))
    d = (z | (rng.random(n) < expit(-1 + f[area]))).astype(float)
    df = pd.DataFrame({"y": c + t * z, "t": t, "x": x, "area": area, "d": d})
    if layout == "control":
        df.loc[df["t"] == 1, "d"] = np.nan
    return df


# delta (2), psi (2), gamma (2), log sd_u, log sd_v, log sd_slope, l_wu, log l_ww
THETA = np.array([-0.2, 0.5, -0.4, 0.3, 0.3, 0.4, np.log(0.7), np.log(0.3), np.log(0.2), 0.3,
                  np.log(0.4)])  # fmt: skip


def _model(df, nodes, slope=None, correlated=True, penalized=True):
    X = np.column_stack([np.ones(len(df)), df["x"]])
    has_d = df["d"].notna().to_numpy()
    return MultilevelListModel(
        df["y"], df["t"], X, df["area"], np.ones(len(df)), 3, nodes,
        d=df["d"].fillna(0).to_numpy(), in_direct=has_d, slope=slope, correlated=correlated,
        penalized=penalized,
    )  # fmt: skip


def test_gradient_and_hessian_are_exact_with_direct_and_slope() -> None:
    df = _simulate(np.random.default_rng(4), [10, 30, 25])
    m = _model(df, 3, slope=1)
    assert [ld.name for ld in m.loadings] == [
        "sensitive", "control", "slope", "direct|sensitive", "direct"
    ]  # fmt: skip
    nodes = m.adapt(THETA)
    _, g, H = m.evaluate(THETA, nodes, 2)
    h, eye = 1e-5, np.eye(len(THETA))

    def f(th, order):
        return m.evaluate(th, nodes, order)

    g_num = np.array([(f(THETA + h * e, 0)[0] - f(THETA - h * e, 0)[0]) / (2 * h) for e in eye])
    H_num = np.column_stack([(f(THETA + h * e, 1)[1] - f(THETA - h * e, 1)[1]) / (2 * h)
                             for e in eye])  # fmt: skip
    # central differences: error O(h^2 |f'''|) + rounding O(eps |f| / h), about 1e-6 here
    np.testing.assert_allclose(g, g_num, atol=1e-5)
    np.testing.assert_allclose(H, (H_num + H_num.T) / 2, atol=1e-5)


def _brute_force(df, theta, J=3, half=7.0, points=61):
    """log prod_a ∫∫∫ prod_i L_i(b) phi_3(b) db on a trapezoid grid in b (written from the
    model's definition: u = su b1, v = sv b2, w = l_wu b1 + l_ww b3)."""
    d0, d1, p0, p1, g0, g1, lsu, lsv, lwu, lww = theta
    su, sv, ww = np.exp(lsu), np.exp(lsv), np.exp(lww)
    grid = np.linspace(-half, half, points)
    wt = np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi) * np.gradient(grid)
    B1, B2, B3 = np.meshgrid(grid, grid, grid, indexing="ij")
    W = wt[:, None, None] * wt[None, :, None] * wt[None, None, :]
    total = 0.0
    for _, g in df.groupby("area"):
        s = np.zeros(B1.shape)
        for y, t, x, d in g[["y", "t", "x", "d"]].to_numpy():
            pi = expit(d0 + d1 * x + su * B1)
            pc = expit(p0 + p1 * x + sv * B2)
            li = (
                (pi * binom.pmf(y - 1, J, pc) + (1 - pi) * binom.pmf(y, J, pc))
                if t == 1
                else (binom.pmf(y, J, pc))
            )
            s += np.log(li)
            if not np.isnan(d):
                e = g0 + g1 * x + lwu * B1 + ww * B3
                s += log_expit(e) if d == 1 else log_expit(-e)
        mx = s.max()
        total += mx + np.log((W * np.exp(s - mx)).sum())
    return total


def test_joint_quadrature_matches_brute_force_integration() -> None:
    df = _simulate(np.random.default_rng(3), [4, 8, 12], layout="control")
    theta = np.array([-0.2, 0.5, -0.4, 0.3, 0.3, 0.4, np.log(0.7), np.log(0.3), 0.3, np.log(0.4)])
    exact = _brute_force(df, theta)
    errors = []
    for nodes in (3, 5, 7):
        m = _model(df, nodes, penalized=False)
        errors.append(abs(m.evaluate(theta, m.adapt(theta), 0)[0] - exact))
    assert errors[0] > errors[2], errors
    assert errors[2] < 1e-5, errors


def _logistic(X, d):
    """A logistic regression by scipy's BFGS (independent of the package's optimiser)."""

    def nll(b):
        e = X @ b
        return -(d * log_expit(e) + (1 - d) * log_expit(-e)).sum()

    def grad(b):
        return -X.T @ (d - expit(X @ b))

    r = minimize(nll, np.zeros(X.shape[1]), jac=grad, method="BFGS", options={"gtol": 1e-10})
    return r.x, -r.fun


def test_without_random_effects_it_is_the_list_ml_fit_plus_a_logistic_regression() -> None:
    df = _simulate(np.random.default_rng(7), [40] * 10)
    f = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", direct="d",
                                 random_effects=False)  # fmt: skip
    s = unspoken.list_experiment(df, "y ~ x", treat="t", J=3, method="ml")
    X = np.column_stack([np.ones(len(df)), df["x"]])
    gamma, ll_d = _logistic(X, df["d"].to_numpy())
    np.testing.assert_allclose(f.params_[:4], s.params_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(f.params_[4:], gamma, rtol=0, atol=1e-6)
    assert f.loglik == pytest.approx(s.loglik + ll_d, abs=1e-6)
    assert list(f.params.index.get_level_values("part").unique()) == [
        "sensitive", "control", "direct"
    ]  # fmt: skip


def test_layouts_direct_shares_and_gap() -> None:
    rng = np.random.default_rng(11)
    sizes = rng.integers(20, 80, 25)
    every = _simulate(np.random.default_rng(12), sizes)
    f = unspoken.multilevel_list(every, "y ~ x", "t", J=3, area="area", direct="d")
    assert "correlation" not in f.sd and "direct" in f.sd
    assert any("modelled as independent" in n for n in f.notes)
    for a in f.areas:
        assert a.gap.estimate == pytest.approx(a.estimate.estimate - a.direct.estimate)
        assert a.direct.ci_low < a.direct.estimate < a.direct.ci_high
        assert a.gap.ci_low < a.gap.estimate < a.gap.ci_high
    # the raw direct share is the area's own share saying yes, shown under the rule
    raw = every.groupby("area")["d"].mean()
    for a in f.areas:
        if a.n >= 30:
            assert a.raw_direct == pytest.approx(raw[a.area])
        else:
            assert a.raw_direct is None
    ctrl = _simulate(np.random.default_rng(12), sizes, layout="control")
    g = unspoken.multilevel_list(ctrl, "y ~ x", "t", J=3, area="area", direct="d")
    assert "correlation" in g.sd and -1 < g.sd["correlation"].estimate < 1
    assert any("layout of the direct question: control" in n for n in g.notes)
    d = g.to_dict()
    assert d["direct"] == "d" and "gap" in d["areas"][0] and "correlation" in d["sd"]
    draws = g.area_draws(500, quantity="gap")
    assert draws.shape == (500, len(g.areas))


def test_separate_subsample_and_dont_know() -> None:
    rng = np.random.default_rng(21)
    df = _simulate(rng, rng.integers(20, 60, 15)).astype({"d": object})
    df.loc[df.index % 2 == 0, ["y", "t"]] = np.nan  # half answered the list only ...
    df.loc[df.index % 2 == 1, "d"] = None  # ... the other half the direct question only
    df.loc[df.index[::10], "d"] = "dk"
    df["d"] = df["d"].map({1.0: "yes", 0.0: "no", "dk": "dk"})
    before = df.copy()
    no = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", direct="d", support="yes")
    drop = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", direct="d",
                                    support="yes", dk="drop")  # fmt: skip
    pd.testing.assert_frame_equal(df, before)
    assert any("layout of the direct question: separate" in n for n in no.notes)
    assert any("count as not saying support" in n for n in no.notes)
    assert any("left out of the direct share" in n for n in drop.notes)
    # "don't know" as "no" lowers the share saying yes
    assert no.national_direct < drop.national_direct
    with pytest.raises(UnsupportedError, match="dk"):
        unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", direct="d",
                                 support="yes", dk="bounds")  # fmt: skip


def test_area_data_is_joined_by_area_and_checked() -> None:
    df = _simulate(np.random.default_rng(5), [30, 40, 50, 35])
    areas = pd.DataFrame({"area": [0, 1, 2, 3], "z": [0.1, -0.5, 0.3, 1.2]})
    f = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", area_formula="~ z",
                                 area_data=areas)  # fmt: skip
    g = unspoken.multilevel_list(df.assign(z=df["area"].map(areas.set_index("area")["z"])),
                                 "y ~ x", "t", J=3, area="area", area_formula="~ z")  # fmt: skip
    np.testing.assert_allclose(f.params_, g.params_, rtol=1e-10)
    with pytest.raises(DataError, match=r"more than one row for area\(s\) \['1'\]"):
        unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area",
                                 area_data=pd.concat([areas, areas.iloc[[1]]]))  # fmt: skip
    with pytest.raises(DataError, match=r"no row for area\(s\) \['3'\]"):
        unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", area_data=areas.iloc[:3])
    with pytest.raises(DataError, match=r"'x' is in both the data and area_data, and they differ"):
        unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area",
                                 area_data=areas.assign(x=1.0))  # fmt: skip
    # a column in both that agrees area by area is accepted
    same = df.assign(z=df["area"].map(areas.set_index("area")["z"]))
    h = unspoken.multilevel_list(same, "y ~ x", "t", J=3, area="area", area_formula="~ z",
                                 area_data=areas)  # fmt: skip
    np.testing.assert_allclose(h.params_, f.params_, rtol=1e-10)


def test_random_slope() -> None:
    df = _simulate(np.random.default_rng(8), [40] * 20)
    f = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", random_slope="x")
    assert set(f.sd) == {"sensitive", "control", "slope"}
    assert f.converged
    with pytest.raises(UnsupportedError, match="random_slope"):
        unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", random_slope="age")


def test_correlation_where_everyone_answered_both_sets_treated_direct_answers_aside() -> None:
    rng = np.random.default_rng(31)
    df = _simulate(rng, rng.integers(20, 80, 25))
    f = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", direct="d",
                                 correlation=True)  # fmt: skip
    n_treated = int((df["t"] == 1).sum())
    assert "correlation" in f.sd and -1 < f.sd["correlation"].estimate < 1
    assert any(f"direct answers of the {n_treated} respondents" in n for n in f.notes)
    # the national and raw direct shares still use every direct answer
    assert f.national_direct == pytest.approx(df["d"].mean())
    # the same fit as when those answers were never given
    ctrl = df.assign(d=df["d"].where(df["t"] == 0))
    g = unspoken.multilevel_list(ctrl, "y ~ x", "t", J=3, area="area", direct="d")
    np.testing.assert_allclose(f.params_, g.params_, rtol=1e-8)
    no = unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", direct="d",
                                  correlation=False)  # fmt: skip
    assert "correlation" not in no.sd
    with pytest.raises(UnsupportedError, match="correlation"):
        unspoken.multilevel_list(df, "y ~ x", "t", J=3, area="area", direct="d",
                                 correlation="yes")  # fmt: skip
