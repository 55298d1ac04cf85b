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

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from unspoken.errors import ConvergenceError, DataError, UnsupportedError
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
class ListMLShare:
    """The list ML's mean predicted prevalence as a :class:`~unspoken.gap.HiddenShare`.

    ``row_positions`` are the list respondents; ``psi_theta`` the influence values of the
    sensitive-item coefficients ``delta`` (rows = list respondents), ``cov_delta`` their
    model covariance (inverse observed information).
    """

    X: np.ndarray
    delta: np.ndarray
    psi_theta: np.ndarray
    cov_delta: np.ndarray
    v: np.ndarray
    row_positions: np.ndarray
    model: str = "list.ml"

    def prevalence_influence(self, mask: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        m = np.ones(len(self.v), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        est, psi, _ = _avg_influence(expit(self.X @ self.delta), self.X, self.v,
                                     self.psi_theta, m)  # fmt: skip
        return est, psi

    def conditional(self, mask: np.ndarray | None = None) -> tuple[float, float]:
        """Mean prediction and its s.e. with the covariates held fixed (R's predict)."""
        m = np.ones(len(self.v), dtype=bool) if mask is None else mask
        est, _, g = _avg_influence(expit(self.X @ self.delta), self.X, self.v,
                                   self.psi_theta, m)  # fmt: skip
        return est, float(np.sqrt(max(g @ self.cov_delta @ g, 0.0)))


def fit_logit(
    d: np.ndarray, X: np.ndarray, w: np.ndarray, maxiter: int = 100, tol: float = 1e-12
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted logistic regression by Newton's method: ``(gamma, cov, psi_gamma)``.

    ``cov`` is the inverse Fisher information (R ``vcov(glm)`` without weights);
    ``psi_gamma`` the per-row influence values ``I^{-1} w_i x_i (d_i - p_i)``.
    """
    gamma = np.zeros(X.shape[1])
    for _ in range(maxiter):
        p = expit(X @ gamma)
        grad = X.T @ (w * (d - p))
        info = (X * (w * p * (1 - p))[:, None]).T @ X
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            raise DataError(
                "the logistic regression of the direct answer is not identified (a covariate "
                "is constant or collinear among the direct respondents)"
            ) from None
        gamma = gamma + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(gamma))) or np.max(np.abs(grad)) < 1e-12:
            break
    else:  # pragma: no cover - logistic Newton converges unless separated
        raise ConvergenceError("the logistic regression of the direct answer did not converge")
    p = expit(X @ gamma)
    if np.max(np.abs(gamma)) > 30:
        raise ConvergenceError(
            "the logistic regression of the direct answer is separated (a covariate predicts "
            "the answer perfectly); simplify the covariates or use method='dim'"
        )
    info = (X * (w * p * (1 - p))[:, None]).T @ X
    cov = np.linalg.inv(info)
    psi = (X * (w * (d - p))[:, None]) @ cov
    return gamma, cov, psi


@dataclass
class DirectLogitShare:
    """Mean predicted "yes" of the direct logistic regression over a domain."""

    X: np.ndarray  # all rows
    gamma: np.ndarray
    cov: np.ndarray
    psi_gamma: np.ndarray  # all rows (zero outside the fitted rows)
    v: np.ndarray

    def share_influence(self, mask: np.ndarray) -> tuple[float, np.ndarray]:
        est, psi, _ = _avg_influence(expit(self.X @ self.gamma), self.X, self.v,
                                     self.psi_gamma, mask)  # fmt: skip
        return est, psi

    def conditional(self, mask: np.ndarray) -> tuple[float, float]:
        est, _, g = _avg_influence(expit(self.X @ self.gamma), self.X, self.v,
                                   self.psi_gamma, mask)  # fmt: skip
        return est, float(np.sqrt(max(g @ self.cov @ g, 0.0)))


def model_based_shares(
    prep: Any,
    outcome: str,
    treat: str,
    J: int,
    covariates: str | None,
    weights: str | None,
    direct: str,
    dk: str,
    level: float,
) -> tuple[ListMLShare, DirectLogitShare, dict[str, Any]]:
    """Fit both models on the prepared data; return the two share objects and R-style
    (covariates fixed, fits independent) results for comparison with R ``list``."""
    from scipy.stats import t as t_dist

    from unspoken.formula import model_matrix
    from unspoken.listexp.ml import ml_core

    df = prep.df
    dm = model_matrix(covariates or "1", df)
    X = dm.X
    w = prep.design.w
    rows = np.flatnonzero(prep.treat_full >= 0)
    y = df[outcome].to_numpy(dtype=float)[rows]
    t = prep.treat_full[rows].astype(float)
    wl = None if weights is None else w[rows]
    core = ml_core(y, t, X[rows], dm.names, J, wl, True, quiet=True)
    k = X.shape[1]
    if not core.converged:
        raise ConvergenceError(
            "the list ML did not converge: " + "; ".join(core.notes or ["no details"])
        )
    psi_all = core.influence()
    hidden = ListMLShare(
        X=X[rows],
        delta=core.theta[:k],
        psi_theta=psi_all[:, :k],
        cov_delta=np.asarray(core.model_cov)[:k, :k],
        v=w[rows],
        row_positions=rows,
    )
    fit_rows = prep.has_direct & ~(prep.is_dk if dk == "drop" else np.zeros_like(prep.is_dk))
    d = prep.support
    gamma, cov, psi_g = fit_logit(d[fit_rows], X[fit_rows], w[fit_rows])
    psi_gamma = np.zeros((len(df), k))
    psi_gamma[fit_rows] = psi_g
    direct_share = DirectLogitShare(X=X, gamma=gamma, cov=cov, psi_gamma=psi_gamma, v=w)
    # R-style: averages over each part's own respondents, covariates fixed, fits independent
    n_list = len(rows)
    crit = float(t_dist.ppf(0.5 + level / 2, n_list))
    le, lse = hidden.conditional()
    de, dse = direct_share.conditional(fit_rows)
    diff_se = float(np.sqrt(lse**2 + dse**2))
    r_style = {
        "list": Estimate.from_se(le, lse, level, n=n_list, crit=crit),
        "direct": Estimate.from_se(de, dse, level, n=int(fit_rows.sum()), crit=crit),
        "difference": Estimate.from_se(le - de, diff_se, level, crit=crit),
    }
    info = {
        "r_predict": {
            "note": "R list predict(fit, direct.glm = ...) without Monte Carlo: covariates "
            "fixed, the two fits treated as independent, t critical value on n_list df",
            **{key: _edict(e) for key, e in r_style.items()},
        },
        "list_fit": {
            "terms": dm.names,
            "sensitive": core.theta[:k].tolist(),
            "control": core.theta[k:].tolist(),
            "loglik": core.loglik,
            "converged": core.converged,
        },
        "direct_fit": {
            "terms": dm.names,
            "coef": gamma.tolist(),
            "std_error": np.sqrt(np.diag(cov)).tolist(),
        },
    }
    info["hausman"] = _hausman(df.iloc[rows], outcome, t, covariates, J, wl, core)
    return hidden, direct_share, info


def _hausman(
    frame: Any, outcome: str, t: np.ndarray, covariates: str | None, J: int,
    w: np.ndarray | None, core: Any,
) -> dict[str, Any]:  # fmt: skip
    """ML vs NLS specification check on the list part (Imai 2011; R ict.hausman.test)."""
    from unspoken.errors import UnspokenError
    from unspoken.listexp.hausman import hausman_statistic
    from unspoken.listexp.standard import list_experiment

    sub = frame.copy()
    sub["_unspoken_treat"] = t
    weights = None
    if w is not None:
        sub["_unspoken_w"] = w
        weights = "_unspoken_w"
    try:
        nls = list_experiment(
            sub, f"{outcome} ~ {covariates or '1'}", "_unspoken_treat", J=J, method="nls",
            control=0.0, weights=weights,
        )  # fmt: skip
    except (UnspokenError, np.linalg.LinAlgError) as e:
        return {"statistic": None, "note": f"the NLS fit failed: {e}"}
    res = hausman_statistic(core.theta, core.model_cov, nls.params_, nls.cov, abs=True)
    out = res.to_dict()
    out.pop("model")
    out["summary"] = (
        f"Hausman test ML vs NLS: statistic {res.statistic:.3f}, df {res.df}, p = "
        f"{res.p_value:.3f} (from |statistic|)" + (" - negative statistic: possible "
        "misspecification" if res.statistic < 0 else "")
    )  # fmt: skip
    return out


def _edict(e: Estimate) -> dict[str, Any]:
    d = e.to_dict()
    d.pop("item", None)
    return d


def list_fit_share(fit: Any, data: Any, outcome: str) -> ListMLShare:
    """A :class:`~unspoken.gap.HiddenShare` from a list ML fit (``list_experiment(...,
    method="ml")``) on ``data``, the frame the fit was made on.

    ``ListFit`` keeps the estimates, their covariance and the design matrix but not the
    per-respondent scores, so they are recomputed here from the binomial likelihood
    (:class:`unspoken.listexp.ml.BinomialListModel`) at the fitted parameters; the bread is
    the inverse of the exact observed information. ``outcome`` names the count column.
    """
    from unspoken.io import require_columns, to_pandas
    from unspoken.listexp.ml import BinomialListModel

    if getattr(fit, "method", None) != "ml":
        raise UnsupportedError(
            "only a list ML fit can be adapted; for the difference in means use gap(...) with "
            "outcome=, treat=, J= (method='dim')"
        )
    df = to_pandas(data)
    treat_info = fit.extra.get("treatment", {})
    treat = treat_info.get("column")
    require_columns(df, [outcome, treat], role="list experiment")
    if not df.index.is_unique:
        raise DataError("the data's index has duplicate labels: reset it before fitting")
    rows = df.index.get_indexer(fit.row_index_)
    if (rows < 0).any():
        raise DataError("the list fit was made on other data (its rows are not in this frame)")
    y = df[outcome].to_numpy(dtype=float)[rows]
    tv = df[treat].to_numpy()[rows]
    t = np.array([str(v) == str(treat_info.get("treated")) for v in tv], dtype=float)
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
    if w is not None:
        S = S * np.asarray(w)[:, None]
    k = X.shape[1]
    psi = S @ bread
    return ListMLShare(
        X=X,
        delta=theta[:k],
        psi_theta=psi[:, :k],
        cov_delta=bread[:k, :k],
        v=np.ones(len(y)) if w is None else np.asarray(w, dtype=float),
        row_positions=rows.astype(np.int64),
    )
