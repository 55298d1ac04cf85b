"""Several sensitive items (lm, nls, ml) against R list 9.2.6 (tests/reference/multi_*.json).

R's ictreg lower-cases the levels of ``treat`` and makes "control" the reference, the other
levels in level order: affirm = item 1, race = item 2. Our parts are ``sensitive.affirm``,
``sensitive.race`` and ``control`` in R's coef() order. R's vcov() orders differ (see each
file's ordering_note), so the SEs are compared with the unambiguous components
``se.treat`` (per item) and ``se.control``.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from listexp_fitters import fit_multi
from scipy.special import expit

from unspoken import datasets
from unspoken.errors import DataError, UnsupportedError
from unspoken.listexp.multi import prepare_multi

REF = Path(__file__).resolve().parents[1] / "reference"
FORMULA = "y ~ male + college + age + south + south:age"


def ref(name):
    return json.loads((REF / f"{name}.json").read_text())


def ref_se(r):
    c = r["result"]["components"]
    return np.concatenate(
        [list(x.values()) for x in c["se.treat"]] + [list(c["se.control"].values())]
    )


@pytest.fixture(scope="module")
def multi():
    return datasets.load("multi")


def test_lm_matches_r_closed_form(multi):
    r = ref("multi_lm")
    fit = fit_multi(multi, FORMULA, "treat", 3, method="lm")
    np.testing.assert_allclose(fit.params_, r["result"]["estimates"], rtol=1e-8)
    assert fit.vcov_type == "hc3"
    np.testing.assert_allclose(fit.std_errors.to_numpy(), ref_se(r), rtol=1e-8)
    assert list(dict.fromkeys(fit.parts)) == ["sensitive.affirm", "sensitive.race", "control"]
    assert fit.terms[:6] == ["Intercept", "male", "college", "age", "south", "south:age"]
    # prevalence of item 1 = mean of X beta_affirm: R predict(avg = TRUE) gives the same value
    pred = r["predict_avg_item1"]["result"]
    assert fit.prevalence[0].estimate == pytest.approx(pred["fit"][0], rel=1e-10)
    # R's se.fit (0.03185) is not the SE of that mean: it equals sqrt(xbar' V xbar) with V
    # the *control* block of R's vcov (a wrong block in predict.ictreg for multi lm). Ours
    # uses the affirm block; we check R's number is what the wrong block gives.
    V = np.array(r["result"]["vcov"])
    xbar = prepare_multi(multi, FORMULA, "treat", 3).X.mean(0)
    assert np.sqrt(xbar @ V[6:, 6:] @ xbar) == pytest.approx(pred["se_fit"][0], rel=1e-10)
    assert fit.prevalence[0].std_error == pytest.approx(np.sqrt(xbar @ V[:6, :6] @ xbar), 1e-8)


def test_nls_matches_r(multi):
    r = ref("multi_nls")
    fit = fit_multi(multi, FORMULA, "treat", 3, method="nls")
    est = np.array(r["result"]["estimates"])
    # R's nls() stops at its relative-offset criterion (tol 1e-5), we solve the least-squares
    # problems to machine precision; the step sums of squares below show ours is the minimum.
    np.testing.assert_allclose(fit.params_, est, rtol=3e-3, atol=1e-5)
    d = prepare_multi(multi, FORMULA, "treat", 3)

    def sse_items(coef):
        g = coef[12:]
        out = []
        for k in (1, 2):
            m = d.t == k
            b = coef[(k - 1) * 6 : k * 6]
            out.append(np.sum((d.y[m] - 3 * expit(d.X[m] @ g) - expit(d.X[m] @ b)) ** 2))
        return np.array(out)

    c = d.t == 0
    sse_c = lambda g: np.sum((d.y[c] - 3 * expit(d.X[c] @ g)) ** 2)  # noqa: E731
    assert sse_c(fit.params_[12:]) <= sse_c(est[12:]) + 1e-12
    mixed = np.concatenate([est[:12], fit.params_[12:]])  # R's betas with our gamma
    assert np.all(sse_items(fit.params_) <= sse_items(mixed) + 1e-12)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), ref_se(r), rtol=1e-3)
    # R's per-item vcov (item block, control block) equals our joint vcov restricted to
    # that item and the control block; compared on the correlation scale (the race item's
    # NLS is weakly identified, intercept -16, so R's looser stopping shows most there)
    for k in (0, 1):
        Vr = np.array(r["result"]["vcov"][k])
        idx = np.r_[6 * k : 6 * k + 6, 12:18]
        Vo = fit.cov[np.ix_(idx, idx)]
        s = np.sqrt(np.diag(Vr))
        assert np.max(np.abs(Vo - Vr) / np.outer(s, s)) < 2e-3


@pytest.mark.parametrize("condition", ["none", "level"])
def test_ml_matches_r(multi, condition):
    r = ref(f"multi_ml_{condition}")
    fit = fit_multi(multi, FORMULA, "treat", 3, method="ml", multi_condition=condition)
    est = np.array(r["result"]["estimates"])
    # No polished maximum is given for the multi cases. R's EM stops when the log-likelihood
    # rises by <= 1e-8 per iteration (93 / 195 iterations), short of the maximum: we converge
    # to |gradient| < 1e-10 and reach a log-likelihood at least as high as R's (by ~5e-8),
    # and the estimates agree to ~6e-4 relative (the EM stopping distance).
    assert fit.converged and fit.gradient_norm < 1e-8
    assert fit.loglik >= r["result"]["loglik"] - 1e-9
    assert fit.loglik - r["result"]["loglik"] < 1e-6
    np.testing.assert_allclose(fit.params_, est, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), ref_se(r), rtol=1e-3)
    if condition == "level":
        assert fit.terms[6] == "y_i(0)" and fit.parts[6] == "sensitive.affirm"
    items = [e.label for e in fit.prevalence]
    assert items == ["affirm", "race"]
    assert all(0 < e.estimate < 1 and e.ci_low < e.estimate < e.ci_high for e in fit.prevalence)


def test_single_item_ml_equals_standard_model_on_race():
    """The multi code with one item is the standard constrained model: check it on a second
    data set (race) against R's Newton-polished maximum (race_ml_constrained.json)."""
    r = ref("race_ml_constrained")
    race = datasets.load("race")
    fit = fit_multi(race, "y ~ south + age + male + college", "treat", 3, method="ml")
    cc = r["crosscheck_base_R"]
    np.testing.assert_allclose(fit.params_, cc["polished_estimates"], rtol=1e-6)
    assert fit.loglik == pytest.approx(cc["polished_loglik"], abs=1e-8)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), cc["polished_se"], rtol=1e-4)


def test_single_item_lm_and_nls_on_race():
    race = datasets.load("race")
    f = "y ~ south + age + male + college"
    r = ref("race_lm")["result"]
    fit = fit_multi(race, f, "treat", 3, method="lm")
    np.testing.assert_allclose(fit.params_, r["estimates"], rtol=1e-8)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), r["se_from_vcov"], rtol=1e-8)
    r = ref("race_nls")["result"]
    fit = fit_multi(race, f, "treat", 3, method="nls")
    np.testing.assert_allclose(fit.params_, r["estimates"], rtol=2e-3)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), r["se_from_vcov"], rtol=2e-3)


def test_ml_recovers_truth_by_simulation():
    rng = np.random.default_rng(11)
    n, J = 6000, 4
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    gamma, b1, b2 = np.array([-0.3, 0.4]), np.array([-1.0, 0.8]), np.array([0.2, -0.5])
    t = rng.integers(0, 3, n)
    y0 = rng.binomial(J, expit(X @ gamma))
    z1 = rng.random(n) < expit(X @ b1)
    z2 = rng.random(n) < expit(X @ b2)
    y = y0 + np.where(t == 1, z1, 0) + np.where(t == 2, z2, 0)
    import pandas as pd

    df = pd.DataFrame({"y": y, "t": np.array(["control", "a", "b"])[t], "x": x})
    fit = fit_multi(df, "y ~ x", "t", J, method="ml")
    truth = np.concatenate([b1, b2, gamma])  # items in sorted order: a, b
    z = (fit.params_ - truth) / fit.std_errors.to_numpy()
    assert np.all(np.abs(z) < 3.5)
    prev_true = [expit(X @ b1).mean(), expit(X @ b2).mean()]
    for e, p in zip(fit.prevalence, prev_true, strict=True):
        assert abs(e.estimate - p) < 3.5 * e.std_error


def test_bad_input(multi):
    with pytest.raises(UnsupportedError, match="level"):
        fit_multi(multi, FORMULA, "treat", 3, method="lm", multi_condition="level")
    bad = multi.copy()
    bad.loc[bad.index[bad["treat"] == "control"][:2], "y"] = 4
    with pytest.raises(DataError, match="control") as e:
        fit_multi(bad, FORMULA, "treat", 3, method="lm")
    assert e.value.column == "y" and len(e.value.rows) == 2
    with pytest.raises(DataError, match="J"):
        fit_multi(multi, FORMULA, "treat", 0)
    with pytest.raises(UnsupportedError, match="cluster"):
        fit_multi(multi, FORMULA, "treat", 3, method="lm", vcov="cluster")


def test_design_test_per_item_equals_single_item_data_sets(multi):
    """race.csv and affirm.csv are exactly the control group plus one item's group of
    multi.csv, so the per-item design tests must equal the standard tests on them."""
    from unspoken.listexp.design_test import design_test, design_test_multi

    res = design_test_multi(multi, "y", "treat", 3)
    assert list(res.results) == ["affirm", "race"]
    for item in ("race", "affirm"):
        single = design_test(datasets.load(item), "y", "treat", 3)
        assert res.results[item].p_bonferroni == pytest.approx(single.p_bonferroni, rel=1e-12)
        assert [p.estimate for p in res.results[item].pi] == pytest.approx(
            [p.estimate for p in single.pi], rel=1e-12
        )
    d = res.to_dict()
    assert [x["item"] for x in d["items"]] == ["affirm", "race"]


@pytest.mark.parametrize("condition", ["none", "level"])
def test_ml_is_the_maximum_of_an_independent_likelihood(multi, condition):
    """The multi-item likelihood written out again with scipy.stats.binom, item by item:
    equal to ours at our estimate, zero central-difference gradient there, and higher
    than at R's estimates."""
    from scipy.stats import binom

    fit = fit_multi(multi, FORMULA, "treat", 3, method="ml", multi_condition=condition)
    d = prepare_multi(multi, FORMULA, "treat", 3)
    k, lev = d.X.shape[1], condition == "level"
    kb = k + lev

    def loglik(theta):
        gamma = theta[2 * kb :]
        p = expit(d.X @ gamma)
        total = np.sum(binom.logpmf(d.y[d.t == 0], 3, p[d.t == 0]))
        for item in (1, 2):
            m = d.t == item
            b = theta[(item - 1) * kb : item * kb]
            y, pm, X = d.y[m], p[m], d.X[m]
            dlt = b[k] if lev else 0.0
            h_prev = expit(X @ b[:k] + dlt * (y - 1))  # Z = 1 with Y(0) = y - 1
            h_same = expit(X @ b[:k] + dlt * y)  # Z = 0 with Y(0) = y
            lik = binom.pmf(y - 1, 3, pm) * h_prev + binom.pmf(y, 3, pm) * (1 - h_same)
            total += np.sum(np.log(lik))
        return total

    th = fit.params_
    assert loglik(th) == pytest.approx(fit.loglik, abs=1e-8)
    h = 1e-5
    E = np.eye(len(th))
    grad = np.array([(loglik(th + h * e) - loglik(th - h * e)) / (2 * h) for e in E])
    assert np.max(np.abs(grad)) < 1e-4
    r = ref(f"multi_ml_{condition}")["result"]
    assert loglik(np.array(r["estimates"])) <= fit.loglik


def test_ml_without_finite_maximum_is_refused():
    """Item b is never held by respondents with x = 0: its logit has no finite maximum."""
    from unspoken.errors import ConvergenceError

    rng = np.random.default_rng(3)
    n = 3000
    x = rng.integers(0, 2, n)
    t = rng.integers(0, 3, n)
    y0 = rng.binomial(3, 0.4, n)
    z1 = rng.random(n) < 0.3
    z2 = (rng.random(n) < 0.5) & (x == 1)
    y = y0 + np.where(t == 1, z1, 0) + np.where(t == 2, z2, 0)
    import pandas as pd

    df = pd.DataFrame({"y": y, "t": np.array(["control", "a", "b"])[t], "x": x})
    with pytest.raises(ConvergenceError, match="no finite maximum"):
        fit_multi(df, "y ~ x", "t", 3, method="ml")


def test_level_model_recovers_the_simulated_truth():
    """simulate_multi: item a depends on the control count (multi_condition='level'), item
    b does not (its y_i(0) coefficient is 0 in truth)."""
    from unspoken.simulate.list_variants import simulate_multi

    df, tr = simulate_multi(20000, seed=7)
    fit = fit_multi(df, "y ~ x1 + x2", "treat", 3, method="ml", multi_condition="level")
    truth = np.concatenate([tr["sensitive.a"], tr["sensitive.b"], [0.0], tr["control"]])
    z = (fit.params_ - truth) / fit.std_errors.to_numpy()
    assert np.all(np.abs(z) < 3.5), z
    for e, p in zip(fit.prevalence, tr["prevalence"], strict=True):
        assert abs(e.estimate - p) < 3.5 * e.std_error
