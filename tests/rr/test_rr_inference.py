"""Weights, clusters, strata, bootstrap, subgroups and the influence values used by the gap.

The sandwich variances (robust, cluster-robust, the prevalence's) are checked against an
independent computation written here: each respondent's log-likelihood from the crosswise
design's answer probabilities, scores by five-point central differences of it, the Hessian
by Richardson-extrapolated differences of the total (``richardson_hessian`` of
tests/conftest.py), then ``H^-1 M H^-1``. R ``rr`` 1.4.2 has no clustered or robust variance
(``rrreg`` takes no cluster or weights and gives OPG or finite-difference-Hessian standard
errors), and the R references (tests/reference/nigeria_rrreg_*.json) hold nothing about
clustering, so there is no R number for these variances.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from unspoken.errors import DataError
from unspoken.rr import rr_prevalence, rr_regression
from unspoken.simulate.rr import simulate_rr

BETA = [-0.8, 0.7, -0.4]
P_CROSSWISE = 0.2
KW = dict(design="crosswise", p=P_CROSSWISE)

# Finite-difference accuracy of the independent sandwich below (measured on this data): the
# sandwiches from the Richardson Hessian at steps 0.05 and 0.025 agree to 5e-10 in units of
# sqrt(V_ii V_jj) (truncation error O(s^6); smaller steps let rounding, ~11 eps |l| / s^2,
# take over), and the five-point scores (error O(h^4), h = 1e-3) are within 4e-12 of the
# largest score (checked once against the closed-form score). FD_STABLE asserts that the two
# steps agree; the code must then agree with the finer step within AGREE: 200 times the
# coarser step's error, and 1e5 times smaller than any change of the formula (G/(G-1) with
# 60 clusters is 1.7e-2, n/(n-k) 1e-3).
FD_STABLE = 1e-8
AGREE = 1e-7


def _answer_loglik(beta: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each respondent's weighted log-likelihood ``w_i log P(Y = y_i | x_i)`` under the
    crosswise design (Yu, Tian & Tang 2008): ``y = 1`` says both statements are true or
    both false, the innocuous one true with known probability ``p``, so ``P(Y = 1 | x) =
    lambda p + (1 - lambda)(1 - p)`` with ``lambda = expit(x' beta)``. Written from the
    design, not taken from unspoken."""
    lam = expit(X @ beta)
    yes = lam * P_CROSSWISE + (1 - lam) * (1 - P_CROSSWISE)
    return w * np.where(y == 1, np.log(yes), np.log1p(-yes))


def _five_point(f, beta: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Derivatives of ``f`` (scalar or one value per respondent) with respect to each
    coordinate of ``beta`` by five-point central differences (error O(h^4)); the last axis
    of the result is the coordinate."""
    out = []
    for e in np.eye(len(beta)) * h:
        out.append(
            (-f(beta + 2 * e) + 8 * f(beta + e) - 8 * f(beta - e) + f(beta - 2 * e)) / 12 / h
        )
    return np.stack(out, axis=-1)


class _Sandwich:
    """Independent scores, Hessian and sandwich of the crosswise model ``y ~ x1 + x2`` at
    ``beta`` (the code's estimate; that it is the maximum is checked through the scores)."""

    def __init__(self, df: pd.DataFrame, beta, richardson_hessian, weights: str | None = None):
        self.X = np.column_stack([np.ones(len(df)), df["x1"], df["x2"]])
        self.y = df["y"].to_numpy()
        self.w = np.ones(len(df)) if weights is None else df[weights].to_numpy(float)
        self.beta = np.asarray(beta, dtype=float)
        self.S = _five_point(lambda b: _answer_loglik(b, self.X, self.y, self.w), self.beta)

        def total(b):
            return _answer_loglik(b, self.X, self.y, self.w).sum()

        # H = -d2 l / d beta2 at two Richardson steps (their agreement is the FD error)
        self.Hinv = [np.linalg.inv(-richardson_hessian(total, self.beta, s)) for s in (0.05, 0.025)]

    def vcov(self, clusters: np.ndarray | None = None) -> list[np.ndarray]:
        """``H^-1 M H^-1`` at both steps: ``M = sum_i s_i s_i'`` (robust, HC0) or with
        clusters ``G/(G-1) sum_g s_g s_g'`` (s_g the cluster totals of the scores)."""
        if clusters is None:
            M = self.S.T @ self.S
        else:
            ids = np.unique(clusters)
            Sg = np.array([self.S[clusters == g].sum(0) for g in ids])
            M = len(ids) / (len(ids) - 1) * Sg.T @ Sg
        return [Hi @ M @ Hi for Hi in self.Hinv]

    def prevalence_se(self, mask: np.ndarray) -> float:
        """Robust (HC0) standard error of the average predicted prevalence over ``mask``
        (unweighted): delta method for ``beta`` plus the sampling of the covariates,
        ``psi_i = 1[i in mask] (lambda_i - P) / n_mask + s_i' H^-1 grad P``."""
        lam = expit(self.X @ self.beta)
        grad = _five_point(lambda b: expit(self.X[mask] @ b).mean(), self.beta)
        psi = mask * (lam - lam[mask].mean()) / mask.sum() + self.S @ self.Hinv[1] @ grad
        return float(np.sqrt(psi @ psi))


def _in_se_units(V: np.ndarray, ref: np.ndarray) -> float:
    """Largest entrywise difference relative to ``sqrt(ref_ii ref_jj)``."""
    d = np.sqrt(np.diag(ref))
    return float(np.max(np.abs(V - ref) / np.outer(d, d)))


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(7)
    df = simulate_rr(3000, "crosswise", BETA, seed=rng, p=0.2)
    df["wt"] = rng.uniform(0.5, 2.0, len(df))
    df["psu"] = rng.integers(0, 60, len(df))
    df["stratum"] = df["psu"] % 5
    df["region"] = np.where(df["x2"] > 0, "north", "south")
    df.loc[[4, 9], "region"] = None  # missing subgroup: excluded from groups, not the fit
    return df


def test_influence_values_are_derivatives_with_respect_to_weights(survey):
    """psi_j = w_j dP/dw_j: refit with one weight perturbed (an independent check of both
    the covariate-sampling and the coefficient part of the influence values)."""
    fit = rr_regression(survey, "y ~ x1 + x2", weights="wt", **KW)
    P, psi = fit.prevalence_influence()
    assert pytest.approx(fit.prevalence.estimate, rel=1e-12) == P
    assert psi.shape == (fit.n,)
    assert abs(psi.sum()) < 1e-10  # influence values of an M-estimator sum to zero
    h = 1e-4
    for j in (0, 17, 2999):
        df = survey.copy()
        df.loc[j, "wt"] *= 1 + h
        Pj = rr_regression(df, "y ~ x1 + x2", weights="wt", **KW).prevalence.estimate
        assert (Pj - P) / h == pytest.approx(psi[j], rel=2e-3, abs=1e-9)
    # and for a subgroup mask
    mask = survey["x1"].to_numpy() > 0.5
    Pm, psim = fit.prevalence_influence(mask)
    j = int(np.flatnonzero(~mask)[0])  # outside the mask: only the coefficient part
    df = survey.copy()
    df.loc[j, "wt"] *= 1 + h
    refit = rr_regression(df, "y ~ x1 + x2", weights="wt", **KW)
    Pmj, _ = refit.prevalence_influence(mask)
    assert (Pmj - Pm) / h == pytest.approx(psim[j], rel=2e-3, abs=1e-9)


def test_robust_variance_matches_an_independent_sandwich(survey, richardson_hessian):
    """vcov='hc0': H^-1 (sum_i s_i s_i') H^-1 with scores and Hessian by finite differences of
    the design's likelihood; 'hc1' scales it by n/(n-k); the prevalence's robust SE adds
    the sampling of the covariates to the delta method."""
    fit = rr_regression(survey, "y ~ x1 + x2", vcov="hc0", **KW)
    ind = _Sandwich(survey, fit.params_, richardson_hessian)
    assert np.max(np.abs(ind.S.sum(0))) < 1e-7  # the code's estimate maximises this likelihood
    V_coarse, V = ind.vcov()
    assert _in_se_units(V_coarse, V) < FD_STABLE
    assert _in_se_units(fit.cov, V) < AGREE
    hc1 = rr_regression(survey, "y ~ x1 + x2", vcov="hc1", **KW)
    n, k = len(survey), 3
    assert _in_se_units(hc1.cov, V * n / (n - k)) < AGREE
    se = ind.prevalence_se(np.ones(len(survey), bool))
    assert fit.prevalence.std_error == pytest.approx(se, rel=AGREE)
    # model-based and robust variances agree when the model is right
    model = rr_regression(survey, "y ~ x1 + x2", **KW)
    np.testing.assert_allclose(fit.std_errors, model.std_errors, rtol=0.1)
    assert fit.prevalence.std_error == pytest.approx(model.prevalence.std_error, rel=0.1)


def test_bootstrap_agrees_with_sandwich(survey):
    boot = rr_regression(survey, "y ~ x1 + x2", vcov="bootstrap", bootstrap_reps=300, seed=1, **KW)
    hc = rr_regression(survey, "y ~ x1 + x2", vcov="hc0", **KW)
    np.testing.assert_allclose(boot.std_errors, hc.std_errors, rtol=0.15)
    assert boot.vcov_type == "bootstrap"


def test_survey_defaults_and_cluster_variance(survey):
    w = rr_regression(survey, "y ~ x1 + x2", weights="wt", **KW)
    assert w.vcov_type == "survey"
    c = rr_regression(survey, "y ~ x1 + x2", cluster="psu", **KW)
    assert c.vcov_type == "cluster"
    s = rr_regression(survey, "y ~ x1 + x2", weights="wt", cluster="psu", strata="stratum", **KW)
    assert s.vcov_type == "survey"
    # weights change the estimate; clusters and strata only the variance
    assert not np.allclose(w.params_, c.params_)
    np.testing.assert_allclose(s.params_, w.params_, rtol=1e-12)
    # the closed form with the same design
    cf = rr_prevalence(survey, "y", weights="wt", cluster="psu", strata="stratum", **KW)
    assert cf.vcov_type == "survey"
    ybar = np.average(survey["y"], weights=survey["wt"])
    assert cf.prevalence.estimate == pytest.approx((ybar - 0.8) / (0.2 * 2 - 1), rel=1e-12)


@pytest.mark.parametrize("weights", [None, "wt"])
def test_cluster_variance_matches_an_independent_sandwich(survey, richardson_hessian, weights):
    """vcov='cluster': H^-1 (G/(G-1) sum_g s_g s_g') H^-1, the small-sample factor G/(G-1)
    that unspoken.inference.covariance documents, with and without probability weights (the
    weighted scores w_i d log P_i / d beta)."""
    fit = rr_regression(survey, "y ~ x1 + x2", weights=weights, cluster="psu", vcov="cluster", **KW)
    assert fit.vcov_type == "cluster"
    ind = _Sandwich(survey, fit.params_, richardson_hessian, weights=weights)
    assert np.max(np.abs(ind.S.sum(0))) < 1e-7
    V_coarse, V = ind.vcov(survey["psu"].to_numpy())
    assert _in_se_units(V_coarse, V) < FD_STABLE
    assert _in_se_units(fit.cov, V) < AGREE
    # the same scores without clusters (HC0) differ: the clusters are really used
    assert _in_se_units(fit.cov, ind.vcov()[1]) > 1e-3


def test_weights_equal_to_frequency_replication(survey):
    """Integer weights give the same estimates as replicating rows."""
    df = survey.iloc[:400].copy()
    df["k"] = np.arange(400) % 3 + 1
    wfit = rr_regression(df, "y ~ x1 + x2", weights="k", vcov="model", **KW)
    rep = df.loc[df.index.repeat(df["k"])].reset_index(drop=True)
    rfit = rr_regression(rep, "y ~ x1 + x2", vcov="model", **KW)
    np.testing.assert_allclose(wfit.params_, rfit.params_, rtol=1e-8)
    np.testing.assert_allclose(wfit.std_errors, rfit.std_errors, rtol=1e-8)
    assert wfit.loglik == pytest.approx(rfit.loglik, rel=1e-10)
    wcf = rr_prevalence(df, "y", weights="k", vcov="model", **KW)
    rcf = rr_prevalence(rep, "y", vcov="model", **KW)
    assert wcf.prevalence.std_error == pytest.approx(rcf.prevalence.std_error, rel=1e-12)
    wopg = rr_regression(df, "y ~ x1 + x2", weights="k", vcov="opg", **KW)
    ropg = rr_regression(rep, "y ~ x1 + x2", vcov="opg", **KW)
    np.testing.assert_allclose(wopg.std_errors, ropg.std_errors, rtol=1e-8)


def test_by_groups(survey, richardson_hessian):
    fit = rr_regression(survey, "y ~ x1 + x2", by="region", vcov="hc0", **KW)
    groups = {g.group["region"]: g.estimate for g in fit.by}
    assert set(groups) == {"north", "south"}
    assert fit.n == len(survey)  # missing region does not drop rows from the fit
    region = survey["region"].to_numpy()
    ind = _Sandwich(survey, fit.params_, richardson_hessian)
    lam = expit(ind.X @ fit.params_)
    for name, est in groups.items():
        mask = region == name
        assert est.estimate == pytest.approx(lam[mask].mean(), rel=1e-12)
        assert est.std_error == pytest.approx(ind.prevalence_se(mask), rel=AGREE)
        assert est.n == int(mask.sum())
    # x2 > 0 has a lower prevalence (negative coefficient)
    assert groups["north"].estimate < groups["south"].estimate
    d = fit.to_dict()
    assert d["by"][0]["group"] == {"region": "north"}
    cf = rr_prevalence(survey, "y", by="region", **KW)
    assert len(cf.by) == 2
    # closed form per group: (ybar_g - a) / b with the binomial (model) standard error
    y, b = survey["y"].to_numpy(), 2 * 0.2 - 1
    for g in cf.by:
        yg = y[region == g.group["region"]]
        yb = yg.mean()
        assert g.estimate.estimate == pytest.approx((yb - 0.8) / b, rel=1e-12)
        se = np.sqrt(yb * (1 - yb) / len(yg)) / abs(b)
        assert g.estimate.std_error == pytest.approx(se, rel=1e-12)
        assert g.estimate.n == len(yg)


def test_row_positions_after_listwise_deletion():
    df = simulate_rr(300, "mirrored", BETA, seed=2, p=0.8)
    df.loc[[3, 50], "x1"] = np.nan
    df.loc[7, "y"] = np.nan
    df.index = df.index + 1000  # labels are not positions
    fit = rr_regression(df, "y ~ x1 + x2", design="mirrored", p=0.8)
    assert fit.n == 297
    np.testing.assert_array_equal(fit.row_positions, np.setdiff1d(np.arange(300), [3, 7, 50]))
    assert any("listwise deletion" in n for n in fit.notes)
    with pytest.raises(Exception, match="boolean"):
        fit.prevalence_influence(np.ones(300, bool))
    cf = rr_prevalence(df, "y", design="mirrored", p=0.8)
    for hidden in (fit, cf):
        with pytest.raises(DataError, match="boolean"):
            hidden.prevalence_influence(np.ones(300, bool))
        with pytest.raises(DataError, match="selects no respondent"):
            hidden.prevalence_influence(np.zeros(hidden.n, bool))


def test_satisfies_the_gap_protocol():
    import unspoken.falsification as gap

    rng = np.random.default_rng(4)
    df = simulate_rr(2000, "crosswise", BETA, seed=rng, p=0.2)
    df["direct"] = ((df["z"] == 1) & (rng.random(len(df)) < 0.5)).astype(int)
    fit = rr_regression(df, "y ~ x1 + x2", **KW)
    cf = rr_prevalence(df, "y", **KW)
    for hidden in (fit, cf):
        assert isinstance(hidden, gap.HiddenShare)
        res = gap.gap(df, direct="direct", hidden=hidden).to_dict()
        P, psi = hidden.prevalence_influence()
        n = len(psi)
        # the gap's hidden share and its (survey, n/(n-1)) variance come from our psi
        assert any(abs(v - P) < 1e-12 for v in _numbers(res))
        se = np.sqrt(psi @ psi * n / (n - 1))
        assert any(abs(v - se) < 1e-10 for v in _numbers(res))
    # subgroups: the gap's hidden share per group is the fit's prevalence in that group
    df["grp"] = np.where(df["x2"] > 0, "a", "b")
    fit = rr_regression(df, "y ~ x1 + x2", by="grp", **KW)
    res = gap.gap(df, direct="direct", hidden=fit, by="grp").to_dict()
    found = list(_numbers(res))
    for g in fit.by:
        assert any(abs(v - g.estimate.estimate) < 1e-12 for v in found)


def _numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, float):
        yield obj


def test_json_shape(survey):
    fit = rr_regression(survey, "y ~ x1 + x2", **KW)
    d = fit.to_dict()
    assert d["model"] == "rr.crosswise"
    assert {p["part"] for p in d["params"]} == {"sensitive"}
    assert set(d["prevalence"]) >= {"estimate", "std_error", "ci_low", "ci_high"}
    assert d["design"]["design"] == "crosswise"
    again = json.loads(fit.to_json())
    assert again["prevalence"]["estimate"] == pytest.approx(fit.prevalence.estimate)


def test_old_argument_names_still_work_with_a_warning():
    """rr_regression reps= -> bootstrap_reps=, rr_prevalence answer= -> outcome= (one
    release with a DeprecationWarning)."""
    import warnings

    from unspoken import datasets

    nigeria = datasets.load("nigeria")
    kw = dict(design="forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6)
    new = rr_prevalence(nigeria, outcome="rr.q1", **kw)
    with pytest.warns(DeprecationWarning, match="outcome"):
        old = rr_prevalence(nigeria, answer="rr.q1", **kw)
    assert old.to_dict() == new.to_dict()
    small = nigeria.iloc[:300]
    args = (small, "rr.q1 ~ 1")
    new = rr_regression(*args, vcov="bootstrap", bootstrap_reps=60, seed=2, **kw)
    with pytest.warns(DeprecationWarning, match="bootstrap_reps"):
        old = rr_regression(*args, vcov="bootstrap", reps=60, seed=2, **kw)
    assert old.to_dict() == new.to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        rr_regression(*args, vcov="bootstrap", bootstrap_reps=60, seed=2, **kw)
