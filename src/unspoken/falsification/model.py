"""Model-based gap: the list ML with covariates against a logistic regression of the direct
answer on the same covariates (Blair & Imai 2012, sec. 3.3; R ``predict(fit, direct.glm =)``).

The hidden share in a domain ``D`` is the mean predicted prevalence over the list
respondents in ``D``, ``P_L = sum_D v_i expit(x_i' delta) / sum_D v_i``; the direct share the
mean predicted "yes" over the direct respondents in ``D``, ``P_D = sum_D v_i expit(x_i'
gamma) / sum_D v_i``. Each is an M-estimator followed by an average, so its influence value
is

    psi_i = g' psi^theta_i + v_i (p_i - P) / sum_D v,    g = sum_D v_i p_i (1 - p_i) x_i / sum_D v

with ``psi^theta_i = H^{-1} s_i`` the parameter influence (score times inverse information).
The list and direct influence values are stacked over the rows of the data, so the gap's
variance includes their covariance when respondents answered both (R's Monte Carlo treats the
two fits as independent and the covariates as fixed; ``extra["r_predict"]`` gives that
R-style, covariates-fixed result, computed deterministically by the delta method).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.direct.results import estimate_dict
from unspoken.errors import ConvergenceError, DataError, UnsupportedError
from unspoken.inference.delta import delta_se, independent_se
from unspoken.results import Estimate


def _avg_influence(
    p: np.ndarray, X: np.ndarray, v: np.ndarray, psi_theta: np.ndarray, mask: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean of ``p`` over ``mask`` (weights ``v``), its influence values and gradient ``g``."""
    vm = np.where(mask, v, 0.0)
    V = vm.sum()
    if V <= 0:
        return float("nan"), np.zeros(len(p)), np.zeros(X.shape[1])
    est = float(vm @ p / V)
    g = X.T @ (vm * p * (1 - p)) / V
    psi = psi_theta @ g + vm * (p - est) / V
    return est, psi, g


@dataclass
class PredictedShare:
    """Mean of the predictions ``expit(x_i' coef)`` over a domain, with influence values.

    ``psi_coef`` are the influence values of ``coef`` (rows aligned with ``X``; zero for rows
    not used in the fit), ``cov`` its model covariance (inverse information), ``v`` the
    weights of the average. Used for the direct logistic regression.
    """

    X: np.ndarray
    coef: np.ndarray
    psi_coef: np.ndarray
    cov: np.ndarray
    v: np.ndarray

    def _average(self, mask: np.ndarray | None) -> tuple[float, np.ndarray, np.ndarray]:
        m = np.ones(len(self.v), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        return _avg_influence(expit(self.X @ self.coef), self.X, self.v, self.psi_coef, m)

    def share_influence(self, mask: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """The mean prediction over ``mask`` and its (population) influence values."""
        est, psi, _ = self._average(mask)
        return est, psi

    def conditional(self, mask: np.ndarray | None = None) -> tuple[float, float]:
        """Mean prediction and its s.e. with the covariates held fixed (R's predict)."""
        est, _, g = self._average(mask)
        return est, delta_se(g, self.cov)


@dataclass
class ListMLShare(PredictedShare):
    """The list ML's mean predicted prevalence as a :class:`~unspoken.falsification.HiddenShare`.

    ``row_positions`` are the list respondents (the rows of ``X``); ``coef`` the
    sensitive-item coefficients ``delta``, ``psi_coef`` their influence values and ``cov``
    their model covariance.
    """

    row_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    model: str = "list.ml"

    @classmethod
    def from_fit(
        cls, X: np.ndarray, theta: np.ndarray, psi: np.ndarray, cov: np.ndarray,
        v: np.ndarray, rows: np.ndarray,
    ) -> ListMLShare:  # fmt: skip
        """From all list-ML parameters ``theta`` (sensitive block first), their influence
        values ``psi`` (n, p) and covariance ``cov`` (p, p)."""
        k = X.shape[1]
        return cls(X, theta[:k], psi[:, :k], np.asarray(cov)[:k, :k], v, rows)

    def prevalence_influence(self, mask: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        return self.share_influence(mask)


def fit_logit(
    d: np.ndarray, X: np.ndarray, w: np.ndarray, names: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted logistic regression (Newton, :func:`unspoken.inference.likelihood.binomial_fit`):
    ``(gamma, cov, psi_gamma)``.

    ``cov`` is the inverse Fisher information (R ``vcov(glm)`` without weights);
    ``psi_gamma`` the per-row influence values ``I^{-1} w_i x_i (d_i - p_i)``.
    """
    from unspoken.formula import check_full_rank
    from unspoken.inference.likelihood import binomial_fit

    check_full_rank(X, names, what="logistic regression of the direct answer")
    gamma = binomial_fit(X, d, 1.0, w, maxiter=100, tol=1e-12)
    if not np.all(np.isfinite(gamma)) or np.max(np.abs(gamma)) > 30:
        raise ConvergenceError(
            "the logistic regression of the direct answer is separated (a covariate predicts "
            "the answer perfectly); simplify the covariates or use method='dim'"
        )
    p = expit(X @ gamma)
    info = (X * (w * p * (1 - p))[:, None]).T @ X
    cov = np.linalg.inv(info)
    score = X * (w * (d - p))[:, None]
    if np.max(np.abs(score.sum(axis=0) @ cov)) > 1e-6 * (1 + np.max(np.abs(gamma))):
        raise ConvergenceError("the logistic regression of the direct answer did not converge")
    return gamma, cov, score @ cov


def model_based_shares(
    prep: Any, dk: str, level: float, weighted: bool
) -> tuple[ListMLShare, PredictedShare, dict[str, Any]]:
    """Fit both models on the prepared data (:class:`~unspoken.falsification.prepared.
    Prepared`: counts, arms, answers, covariates ``X`` and weights, with ``weighted`` when
    weights were given); return the two share objects and R-style (covariates fixed, fits
    independent) results for comparison with R ``list``."""
    from scipy.stats import t as t_dist

    from unspoken.listexp.ml import ml_core

    X, terms, J = prep.X, prep.terms, prep.J
    w = prep.design.w
    rows = np.flatnonzero(prep.treat_full >= 0)
    y = prep.y_full[rows]
    t = prep.treat_full[rows].astype(float)
    wl = w[rows] if weighted else None
    core = ml_core(y, t, X[rows], terms, J, wl, True, quiet=True)
    k = X.shape[1]
    if not core.converged:
        raise ConvergenceError(
            "the list ML did not converge: " + "; ".join(core.notes or ["no details"])
        )
    hidden = ListMLShare.from_fit(X[rows], core.theta, core.influence(), core.model_cov,
                                  w[rows], rows)  # fmt: skip
    fit_rows = prep.has_direct & ~(prep.is_dk if dk == "drop" else np.zeros_like(prep.is_dk))
    d = prep.support
    gamma, cov, psi_g = fit_logit(d[fit_rows], X[fit_rows], w[fit_rows], terms)
    psi_gamma = np.zeros((prep.n, k))
    psi_gamma[fit_rows] = psi_g
    direct_share = PredictedShare(X=X, coef=gamma, psi_coef=psi_gamma, cov=cov, v=w)
    # R-style: averages over each part's own respondents, covariates fixed, fits independent
    n_list = len(rows)
    crit = float(t_dist.ppf(0.5 + level / 2, n_list))
    le, lse = hidden.conditional()
    de, dse = direct_share.conditional(fit_rows)
    diff_se = independent_se(lse, dse)
    r_style = {
        "list": Estimate.from_se(le, lse, level, n=n_list, crit=crit),
        "direct": Estimate.from_se(de, dse, level, n=int(fit_rows.sum()), crit=crit),
        "difference": Estimate.from_se(le - de, diff_se, level, crit=crit),
    }
    info = {
        "r_predict": {
            "note": "R list predict(fit, direct.glm = ...) without Monte Carlo: covariates "
            "fixed, the two fits treated as independent, t critical value on n_list df",
            **{key: estimate_dict(e) for key, e in r_style.items()},
        },
        "list_fit": {
            "terms": terms,
            "sensitive": core.theta[:k].tolist(),
            "control": core.theta[k:].tolist(),
            "loglik": core.loglik,
            "converged": core.converged,
        },
        "direct_fit": {
            "terms": terms,
            "coef": gamma.tolist(),
            "std_error": np.sqrt(np.diag(cov)).tolist(),
        },
    }
    info["hausman"] = _hausman(y, t, X[rows], terms, J, wl, core)
    return hidden, direct_share, info


def _hausman(
    y: np.ndarray, t: np.ndarray, X: np.ndarray, terms: list[str], J: int,
    w: np.ndarray | None, core: Any,
) -> dict[str, Any]:  # fmt: skip
    """ML vs NLS specification check on the list part (Imai 2011; R ict.hausman.test): the
    two-step NLS on the same arrays, its robust (hc0) covariance, as ``list_experiment(...,
    method="nls")`` gives it."""
    from unspoken.errors import UnspokenError
    from unspoken.inference.covariance import vcov_from_influence
    from unspoken.listexp.hausman import hausman_statistic
    from unspoken.listexp.least_squares import nls_core

    try:
        nls = nls_core(y, t, X, terms, J, w)
        nls_cov = vcov_from_influence(nls.influence(), "hc0")  # type: ignore[misc]
    except (UnspokenError, np.linalg.LinAlgError) as e:
        return {"statistic": None, "note": f"the NLS fit failed: {e}"}
    res = hausman_statistic(core.theta, core.model_cov, nls.theta, nls_cov, abs=True)
    out = res.to_dict()
    out.pop("model")
    out["summary"] = (
        f"Hausman test ML vs NLS: statistic {res.statistic:.3f}, df {res.df}, p = "
        f"{res.p_value:.3f} (from |statistic|)" + (" - negative statistic: possible "
        "misspecification" if res.statistic < 0 else "")
    )  # fmt: skip
    return out


def list_fit_share(fit: Any, df: pd.DataFrame, outcome: str) -> ListMLShare:
    """A :class:`~unspoken.falsification.HiddenShare` from a list ML fit (``list_experiment(...,
    method="ml")``) on ``df`` (pandas), the frame the fit was made on.

    ``ListFit`` keeps the estimates, their covariance and the design matrix but not the
    per-respondent scores, so they are recomputed here from the binomial likelihood
    (:class:`unspoken.listexp.ml.BinomialListModel`) at the fitted parameters; the bread is
    the inverse of the exact observed information. ``outcome`` names the count column.
    """
    from unspoken.io.frames import require_columns
    from unspoken.listexp.ml import BinomialListModel

    if getattr(fit, "method", None) != "ml":
        raise UnsupportedError(
            "only a list ML fit can be adapted; for the difference in means use gap(...) with "
            "outcome=, treat=, J= (method='dim')"
        )
    treat_info = fit.extra.get("treatment", {})
    treat = treat_info.get("column")
    require_columns(df, [outcome, treat], role="list experiment")
    if not df.index.is_unique:
        raise DataError("the data's index has duplicate labels: reset it before fitting")
    rows = df.index.get_indexer(fit.row_index_)
    if (rows < 0).any():
        raise DataError("the list fit was made on other data (its rows are not in this frame)")
    y = df[outcome].to_numpy(dtype=float)[rows]
    t = (df[treat].iloc[rows].astype(str).to_numpy() == str(treat_info.get("treated"))).astype(
        float
    )
    if int(t.sum()) != int(fit.extra.get("n_treated", t.sum())):
        raise DataError(f"cannot recover the treatment arms from column '{treat}'", column=treat)
    X = np.asarray(fit.X_, dtype=float)
    constrained = bool(fit.extra.get("constrained", True))
    w = fit.weights_
    model = BinomialListModel(y, t, X, fit.J, constrained, w)
    theta = np.asarray(fit.params_, dtype=float)
    _, _, H = model.evaluate(theta, 2)
    bread = np.linalg.inv(-H)
    S = model.scores(theta)
    v = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    return ListMLShare.from_fit(X, theta, (S * v[:, None]) @ bread, bread, v,
                                rows.astype(np.int64))  # fmt: skip
