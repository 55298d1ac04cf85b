"""list_joint: exact derivatives, EM, weights, variances, subgroups, predictions, refusals.
(R agreement: test_joint_reference.py; coverage by simulation: test_joint_simulation.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import unspoken
from unspoken.errors import DataError, UnsupportedError
from unspoken.listexp.joint_model import JointListModel


def simulate_joint(n, model="linear", gamma=1.0, seed=0, J=3):
    """A joint list/outcome data set (the model of Imai, Park & Greene 2015)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.random(n) < expit(-0.4 + 0.8 * x)
    t = (rng.random(n) < 0.5).astype(int)
    y = rng.binomial(J, expit(-0.3 + 0.4 * x)) + t * z
    mu = 1.0 + 0.5 * x + gamma * z
    noise = rng.normal(size=n) if model == "linear" else rng.random(n)
    v = mu + noise if model == "linear" else (noise < expit(mu)).astype(int)
    return pd.DataFrame({"y": y, "treat": t, "x": x, "v": v, "g": rng.integers(0, 3, n)})


def central_grad(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])


@pytest.mark.parametrize("model", ["linear", "logistic"])
@pytest.mark.parametrize("constrained", [True, False])
def test_gradient_and_hessian_are_exact(model, constrained):
    df = simulate_joint(400, model, seed=1)
    X = np.column_stack([np.ones(len(df)), df["x"]])
    w = np.random.default_rng(2).uniform(0.3, 2, len(df))
    m = JointListModel(df["y"], df["treat"], df["v"], X, 3, model, constrained, w)
    theta = np.random.default_rng(3).normal(scale=0.4, size=m.n_params)
    _, g, H = m.evaluate(theta)
    np.testing.assert_allclose(g, central_grad(m.loglik, theta), rtol=1e-6, atol=1e-5)
    Hn = central_grad(lambda th: m.evaluate(th, 1)[1], theta)
    np.testing.assert_allclose(H, Hn, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(m.scores(theta).T @ w, g, rtol=1e-10)


@pytest.mark.parametrize("model", ["linear", "logistic"])
def test_em_steps_never_lower_the_likelihood(model):
    df = simulate_joint(500, model, seed=4)
    X = np.column_stack([np.ones(len(df)), df["x"]])
    m = JointListModel(df["y"], df["treat"], df["v"], X, 3, model, True)
    theta = np.zeros(m.n_params)
    ll = m.loglik(theta)
    for _ in range(15):
        theta = m.mstep(theta, m.estep(theta))
        new = m.loglik(theta)
        assert new >= ll - 1e-9
        ll = new


@pytest.mark.parametrize("model", ["linear", "logistic"])
def test_large_sample_recovers_the_truth(model):
    df = simulate_joint(20000, model, gamma=1.0, seed=5)
    fit = unspoken.list_joint(df, "y ~ x", J=3, outcome="v", outcome_model=model)
    truth = {
        ("sensitive", "Intercept"): -0.4,
        ("sensitive", "x"): 0.8,
        ("control", "x"): 0.4,
        ("outcome", "x"): 0.5,
        ("outcome", "sensitive"): 1.0,
    }
    for key, value in truth.items():
        est, se = fit.params[key], fit.std_errors[key]
        assert abs(est - value) < 4 * se, (key, est, se)
    if model == "linear":
        assert abs(fit.sigma.estimate - 1) < 4 * fit.sigma.std_error


def test_frequency_weights_equal_repeated_rows():
    df = simulate_joint(300, seed=6)
    reps = np.random.default_rng(7).integers(1, 4, len(df))
    long = df.loc[df.index.repeat(reps)].reset_index(drop=True)
    a = unspoken.list_joint(long, "y ~ x", J=3, outcome="v")
    b = unspoken.list_joint(df.assign(w=reps), "y ~ x", J=3, outcome="v", weights="w", vcov="hc0")
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-6, atol=1e-8)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-10)


def test_outcome_by_trait_and_predict():
    df = simulate_joint(800, seed=8)
    fit = unspoken.list_joint(df, "y ~ x", J=3, outcome="v")
    gamma = fit.params[("outcome", "sensitive")]
    by = fit.outcome_by_trait
    assert by["difference"].estimate == pytest.approx(gamma)
    assert by["difference"].std_error == pytest.approx(fit.std_errors[("outcome", "sensitive")])
    X = np.column_stack([np.ones(len(df)), df["x"]])
    b = fit.part("outcome")
    assert by["without"].estimate == pytest.approx(np.mean(X @ b[["Intercept", "x"]].to_numpy()))
    p = fit.predict()
    assert list(p.index) == ["without", "with", "difference", "prevalence"]
    assert p.loc["prevalence", "estimate"] == pytest.approx(fit.prevalence.estimate)
    assert p.loc["prevalence", "std_error"] == pytest.approx(fit.prevalence.std_error)
    q = fit.predict(newdata=df)
    pd.testing.assert_frame_equal(p, q)
    post = fit.posterior()
    assert len(post) == len(df) and ((post >= 0) & (post <= 1)).all()


def test_logistic_predictions_are_probabilities():
    df = simulate_joint(1500, "logistic", seed=9)
    fit = unspoken.list_joint(df, "y ~ x", J=3, outcome="v", outcome_model="logistic")
    assert fit.sigma is None
    X = np.column_stack([np.ones(len(df)), df["x"]])
    b = fit.part("outcome")
    q1 = expit(X @ b[["Intercept", "x"]].to_numpy() + b["sensitive"]).mean()
    assert fit.outcome_by_trait["with"].estimate == pytest.approx(q1)
    d = fit.to_dict()
    assert d["sigma"] is None and set(d["outcome_by_trait"]) == {"without", "with", "difference"}


def test_variances_and_the_design():
    df = simulate_joint(600, seed=10)
    df["cl"] = np.arange(len(df)) // 6
    base = unspoken.list_joint(df, "y ~ x", J=3, outcome="v")
    assert base.vcov_type == "model"
    for kind in ("opg", "hc0", "hc1"):
        f = unspoken.list_joint(df, "y ~ x", J=3, outcome="v", vcov=kind)
        np.testing.assert_allclose(f.params_, base.params_)
        ratio = f.std_errors / base.std_errors
        assert ratio.between(0.7, 1.4).all(), (kind, ratio)
    cl = unspoken.list_joint(df, "y ~ x", J=3, outcome="v", cluster="cl")
    assert cl.vcov_type == "cluster"
    boot = unspoken.list_joint(
        df, "y ~ x", J=3, outcome="v", vcov="bootstrap", bootstrap_reps=100, seed=1
    )
    assert boot.std_errors.notna().all()
    df["w"] = 1.0 + (np.arange(len(df)) % 3)
    with pytest.raises(UnsupportedError, match="vcov"):
        unspoken.list_joint(df, "y ~ x", J=3, outcome="v", weights="w", vcov="opg")
    assert unspoken.list_joint(df, "y ~ x", J=3, outcome="v", weights="w").vcov_type == "hc0"
    df["st"] = df["cl"] % 3
    sv = unspoken.list_joint(df, "y ~ x", J=3, outcome="v", weights="w", cluster="cl", strata="st")
    assert sv.vcov_type == "survey" and sv.std_errors.notna().all()


def test_by_groups_and_small_cells():
    df = simulate_joint(900, seed=11)
    df.loc[:20, "g"] = 9  # a group of 21: suppressed
    fit = unspoken.list_joint(df, "y ~ x", J=3, outcome="v", by="g")
    by = {g.group["g"]: g for g in fit.by}
    assert set(by) == {0, 1, 2, 9} and by[9].suppressed and by[9].estimate is None
    # the smallest other group is hidden too, so that group 9 cannot be worked out
    shown = [k for k, g in by.items() if not g.suppressed]
    assert len(shown) == 2
    assert [g["suppressed"] for g in fit.to_dict()["by"]].count(True) == 2
    X = np.column_stack([np.ones(len(df)), df["x"]])
    delta = fit.part("sensitive").to_numpy()
    for k in shown:
        rows = (df["g"] == k).to_numpy()
        assert by[k].estimate.estimate == pytest.approx(expit(X[rows] @ delta).mean())


def test_missing_outcome_listwise_and_error_and_frame_untouched():
    df = simulate_joint(400, seed=12)
    df.loc[[3, 7], "v"] = np.nan
    before = df.copy()
    fit = unspoken.list_joint(df, "y ~ x", J=3, outcome="v")
    assert fit.n == 398
    assert any("without the outcome" in n for n in fit.notes)
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(DataError) as e:
        unspoken.list_joint(df, "y ~ x", J=3, outcome="v", missing="error")
    assert e.value.column == "v" and e.value.rows == [3, 7]


def test_bad_input_is_refused_clearly():
    df = simulate_joint(300, seed=13)
    with pytest.raises(DataError, match="nope"):
        unspoken.list_joint(df, "y ~ x", J=3, outcome="nope")
    with pytest.raises(DataError, match="0/1") as e:
        unspoken.list_joint(df.assign(v=df["v"] + 5), "y ~ x", J=3, outcome="v",
                            outcome_model="logistic")  # fmt: skip
    assert e.value.column == "v" and e.value.rows[:1] == [0]
    with pytest.raises(UnsupportedError, match="outcome_model"):
        unspoken.list_joint(df, "y ~ x", J=3, outcome="v", outcome_model="probit")
    with pytest.raises(UnsupportedError, match="outcome"):
        unspoken.list_joint(df, "y ~ x", J=3)
    with pytest.raises(DataError, match="covariate"):
        unspoken.list_joint(df, "y ~ x", J=3, outcome="x")
    with pytest.raises(DataError, match="numeric"):
        unspoken.list_joint(df.assign(v="a"), "y ~ x", J=3, outcome="v")
    with pytest.raises(UnsupportedError, match="vcov"):
        unspoken.list_joint(df, "y ~ x", J=3, outcome="v", vcov="hc3")
    with pytest.raises(DataError, match="one value"):
        unspoken.list_joint(df.assign(v=1), "y ~ x", J=3, outcome="v", outcome_model="logistic")


def test_json_view_and_tidy():
    df = simulate_joint(500, seed=14)
    fit = unspoken.list_joint(df, "y ~ x", J=3, outcome="v")
    d = fit.to_dict()
    assert d["model"] == "list.joint.linear" and d["vcov"] == "model"
    assert d["params"][-1]["part"] == "outcome" and d["params"][-1]["term"] == "sensitive"
    assert d["sigma"]["estimate"] == pytest.approx(fit.sigma.estimate)
    t = fit.tidy()
    assert ("outcome", "sigma") in set(zip(t["part"], t["term"], strict=True))
    text = fit.summary()
    assert "by hidden status" in text and "Residual SD" in text
    assert fit.to_json().startswith("{")
