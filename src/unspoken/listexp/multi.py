"""List experiments with several sensitive items (Blair & Imai 2012, sec. 2.3 and 3.4).

Design: the control group hears ``J`` control items; treatment group ``k`` (k = 1..K) hears
the same ``J`` items plus sensitive item ``k``. With ``Y_i(0)`` the latent control count and
``Z_ik`` the latent answer to item k, a respondent in group k reports
``Y_i = Y_i(0) + Z_ik``.

Models (the names of R ``list``'s ``ictreg`` for ``multi`` designs):

* ``lm``:  ``Y = X'psi + sum_k T_ik X'beta_k + e`` (OLS; R reports HC3 variances).
* ``nls``: two-step least squares. Control group: ``Y ~ J expit(X'gamma)``; treated group k:
  ``Y - J expit(X'gamma_hat) ~ expit(X'beta_k)``. Variance of the stacked estimating
  equations with a Gauss-Newton bread (R's ``vcov.twostep.std``).
* ``ml``:  ``Y_i(0) | X ~ Binomial(J, expit(X'gamma))``,
  ``Z_ik | X, Y_i(0) ~ Bernoulli(expit(X'beta_k + delta_k Y_i(0)))`` with ``delta_k = 0``
  for ``multi_condition="none"`` and free for ``"level"`` (R ``multi.condition``). The
  likelihood of a treated respondent is ``B(y-1) h(y-1) + B(y) (1 - h(y))``. It is
  maximised directly by the Newton engine of :mod:`unspoken.inference.likelihood` with the exact
  observed information from Louis' (1982) identity for the two-point posterior of ``Z_ik``.

Prevalence of item k is the (weighted) sample mean of the fitted ``P(Z_ik = 1 | X_i)`` with a
delta-method standard error that treats the covariates as fixed, as R's ``predict(avg=TRUE)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.special import expit, gammaln, log_expit

from unspoken.errors import ConvergenceError, DataError, UnsupportedError
from unspoken.inference.covariance import resolve_offered_vcov
from unspoken.inference.delta import delta_cov
from unspoken.inference.likelihood import binomial_fit, newton_maximize
from unspoken.listexp._variant_common import fit_cov
from unspoken.listexp.data import MultiData, prepare_multi
from unspoken.listexp.least_squares import nls_core
from unspoken.listexp.options import INFERENCE, MultiCondition
from unspoken.options import Inference, choice
from unspoken.results import Estimate, FitResult

MultiMethod = Literal["lm", "nls", "ml"]

__all__ = ["MultiData", "fit_multi", "prepare_multi"]


# --------------------------------------------------------------------------- helpers


def _onehot_blocks(X: np.ndarray, t: np.ndarray, K: int) -> np.ndarray:
    """``n x K*k`` matrix whose block k holds ``X`` in rows with ``t == k+1`` (else 0)."""
    n, k = X.shape
    out = np.zeros((n, K * k))
    for j in range(K):  # loop over items, not respondents
        m = t == j + 1
        out[m, j * k : (j + 1) * k] = X[m]
    return out


# --------------------------------------------------------------------------- lm


def _fit_lm(d: MultiData) -> dict[str, Any]:
    """OLS/WLS of ``y`` on ``[X, T_1 X, ..., T_K X]``; influence values and leverages."""
    XX = np.hstack([_onehot_blocks(d.X, d.t, d.K), d.X])  # sensitive blocks, then control
    w = d.w
    XtWX = (XX * w[:, None]).T @ XX
    bread = np.linalg.inv(XtWX)
    coef = bread @ (XX.T @ (w * d.y))
    resid = d.y - XX @ coef
    psi = (XX * (w * resid)[:, None]) @ bread
    lev = np.einsum("ij,jk,ik->i", XX * w[:, None], bread, XX)
    p = XX.shape[1]
    sigma2 = np.sum(w * resid**2) / (d.n - p)
    return {
        "coef": coef,
        "psi": psi,
        "leverage": lev,
        "model_cov": sigma2 * bread,
        "extra": {"resid_se": float(np.sqrt(sigma2)), "resid_df": d.n - p},
    }


def _lm_prevalence_grad(d: MultiData) -> np.ndarray:
    """Per item: the prevalence ``mean(X) beta_k`` is linear; its gradient is the (weighted)
    mean of X in the item's block."""
    p, K = d.X.shape[1], d.K
    G = np.zeros((K, (K + 1) * p))
    xbar = np.average(d.X, axis=0, weights=d.w)
    for j in range(K):  # loop over items
        G[j, j * p : (j + 1) * p] = xbar
    return G


# --------------------------------------------------------------------------- nls


def _fit_nls(d: MultiData) -> dict[str, Any]:
    """Two-step NLS (Imai 2011 sec. 2.2) per item with the standard design's estimator
    (:func:`unspoken.listexp.least_squares.nls_core`) on the control group plus the item's group.
    The control step uses the same rows every time, so ``gamma`` is common; the stacked
    estimating equations are block-triangular, so the per-item influence values stitch
    exactly into the joint ones (which also give the covariance between items)."""
    p_, K, n = d.X.shape[1], d.K, d.n
    w = None if d.design.weights is None else d.design.w
    psi = np.zeros((n, (K + 1) * p_))
    betas, gamma, notes, converged, iters = [], None, [], True, 0
    for k in range(1, K + 1):
        rows = np.flatnonzero((d.t == 0) | (d.t == k))
        core = nls_core(
            d.y[rows],
            (d.t[rows] == k).astype(int),
            d.X[rows],
            d.terms,
            d.J,
            None if w is None else w[rows],
        )
        betas.append(core.theta[:p_])
        if gamma is None:
            gamma = core.theta[p_:]
            ctrl = core.influence()[:, p_:]
            psi[rows, K * p_ :] = ctrl
        psi[rows, (k - 1) * p_ : k * p_] = core.influence()[:, :p_]
        converged &= core.converged
        iters += core.iterations
        notes += [f"item {d.labels[k]!r}: {m}" for m in core.notes]
    if not converged:
        raise ConvergenceError("multi-item NLS did not converge: " + "; ".join(notes))
    coef = np.concatenate([*betas, gamma])
    return {"coef": coef, "psi": psi, "model_cov": None, "iterations": iters, "extra": {}}


def _nls_prevalence(d: MultiData, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p_, K = d.X.shape[1], d.K
    vals, grads = [], []
    for k in range(K):
        b = coef[k * p_ : (k + 1) * p_]
        h = expit(d.X @ b)
        vals.append(np.average(h, weights=d.w))
        g = np.zeros(len(coef))
        g[k * p_ : (k + 1) * p_] = np.average(d.X * (h * (1 - h))[:, None], axis=0, weights=d.w)
        grads.append(g)
    return np.array(vals), np.array(grads)


# --------------------------------------------------------------------------- ml


@dataclass
class _MLModel:
    """Log-likelihood, scores and exact Hessian of the multi-item ML model.

    Parameter order: ``beta_1 (+delta_1), ..., beta_K (+delta_K), gamma``.
    """

    d: MultiData
    level: bool

    def __post_init__(self) -> None:
        d = self.d
        self.k = d.X.shape[1]
        self.kb = self.k + (1 if self.level else 0)
        self.P = d.K * self.kb + self.k
        self.tr = d.t > 0
        J, y = d.J, d.y.astype(float)
        self.lchoose = gammaln(J + 1) - gammaln(y + 1) - gammaln(np.maximum(J - y, 0) + 1)
        ym1 = np.maximum(y - 1, 0)
        self.lchoose_m1 = gammaln(J + 1) - gammaln(ym1 + 1) - gammaln(J - np.minimum(ym1, J) + 1)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        K, kb = self.d.K, self.kb
        return theta[: K * kb].reshape(K, kb), theta[K * kb :]

    def _pieces(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        d, J = self.d, self.d.J
        y = d.y.astype(float)
        beta, gamma = self.unpack(theta)
        eta0 = d.X @ gamma
        lp, lq = log_expit(eta0), log_expit(-eta0)
        # log B(y) and log B(y-1) under Binomial(J, p); -inf outside 0..J
        lB_y = np.where(y <= J, self.lchoose + y * lp + (J - y) * lq, -np.inf)
        lB_m1 = np.where(y >= 1, self.lchoose_m1 + (y - 1) * lp + (J - y + 1) * lq, -np.inf)
        eta_s = np.einsum("ij,ij->i", d.X, beta[np.maximum(d.t - 1, 0), : self.k])
        if self.level:
            delta = beta[np.maximum(d.t - 1, 0), self.k]
            eta1, eta0s = eta_s + delta * (y - 1), eta_s + delta * y
        else:
            eta1 = eta0s = eta_s
        la = lB_m1 + log_expit(eta1)  # Z = 1, Y(0) = y - 1
        lb = lB_y + log_expit(-eta0s)  # Z = 0, Y(0) = y
        ll_t = np.logaddexp(la, lb)
        with np.errstate(invalid="ignore"):
            post = np.where(np.isfinite(la), np.exp(la - ll_t), 0.0)
        ll = np.where(self.tr, ll_t, lB_y)
        post = np.where(self.tr, post, 0.0)
        return {
            "ll": ll,
            "post": post,
            "p": expit(eta0),
            "h1": expit(eta1),
            "h0": expit(eta0s),
            "y": y,
        }

    def loglik(self, theta: np.ndarray) -> float:
        return float(np.sum(self.d.w * self._pieces(theta)["ll"]))

    def _z(self, y: np.ndarray, shift: float) -> np.ndarray:
        """Per-row regressors of the sensitive item's logit, placed in the item's block."""
        d = self.d
        Z = d.X if not self.level else np.column_stack([d.X, y + shift])
        out = np.zeros((d.n, d.K * self.kb))
        for j in range(d.K):  # loop over items
            m = d.t == j + 1
            out[m, j * self.kb : (j + 1) * self.kb] = Z[m]
        return out

    def derivatives(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, per-respondent scores ``(n, P)`` (unweighted) and the Hessian
        of the weighted log-likelihood (Louis 1982: E[complete Hessian] + Var[complete score])."""
        d = self.d
        pc = self._pieces(theta)
        w, J, y, post, p = d.w, d.J, pc["y"], pc["post"], pc["p"]
        h1, h0 = pc["h1"], pc["h0"]
        Z1, Z0 = self._z(y, -1.0), self._z(y, 0.0)
        # complete-data scores given Z = 1 (s1) and Z = 0 (s0)
        g1 = (y - 1 - J * p)[:, None] * d.X
        g0 = (y - J * p)[:, None] * d.X
        s1 = np.hstack([(1 - h1)[:, None] * Z1, g1])
        s0 = np.hstack([-h0[:, None] * Z0, g0])
        S = post[:, None] * s1 + (1 - post)[:, None] * s0
        # expected complete-data information
        kk = d.K * self.kb
        Hs = -((Z1 * (w * post * h1 * (1 - h1))[:, None]).T @ Z1)
        Hs -= (Z0 * (w * (1 - post) * h0 * (1 - h0))[:, None]).T @ Z0
        Hc = -((d.X * (w * J * p * (1 - p))[:, None]).T @ d.X)
        H = np.zeros((self.P, self.P))
        H[:kk, :kk] = Hs
        H[kk:, kk:] = Hc
        D = s1 - s0
        H += (D * (w * post * (1 - post))[:, None]).T @ D
        return float(np.sum(w * pc["ll"])), S, H

    def start(self) -> np.ndarray:
        d = self.d
        c = d.t == 0
        gamma = binomial_fit(d.X[c], d.y[c].astype(float), float(d.J), d.w[c])
        mean0 = np.average(d.y[c], weights=d.w[c])
        beta = np.zeros((d.K, self.kb))
        for j in range(d.K):
            m = d.t == j + 1
            dim = np.clip(np.average(d.y[m], weights=d.w[m]) - mean0, 0.02, 0.98)
            if np.allclose(d.X[:, 0], 1):
                beta[j, 0] = np.log(dim / (1 - dim))
        return np.concatenate([beta.ravel(), gamma])


def _fit_ml(d: MultiData, condition: str, start: np.ndarray | None = None) -> dict[str, Any]:
    model = _MLModel(d, condition == "level")
    theta0 = model.start() if start is None else np.asarray(start, dtype=float)
    if theta0.shape != (model.P,):
        raise DataError(f"start must have {model.P} values, got {theta0.shape}")

    def fun(theta, order):
        if order < 1:
            return model.loglik(theta), None, None
        ll, S, H = model.derivatives(theta)
        return ll, (S * d.w[:, None]).sum(0), H

    res = newton_maximize(fun, theta0, maxiter=300)
    theta = res.theta
    ll, S, H = model.derivatives(theta)
    if not res.converged:
        raise ConvergenceError(
            f"the multi-item ML fit did not converge ({res.message}); try other start values"
        )
    try:
        bread = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        raise ConvergenceError(
            "the information matrix of the multi-item ML fit is singular; the model is not "
            "identified on these data (try fewer covariates)"
        ) from None
    se = np.sqrt(np.clip(np.diag(bread), 0, None))
    beta, gamma = model.unpack(theta)
    eta_max = max(
        float(np.max(np.abs(d.X @ gamma))), float(np.max(np.abs(d.X @ beta[:, : model.k].T)))
    )
    if eta_max > 25 and float(np.max(se)) > 100:
        raise ConvergenceError(
            "the multi-item likelihood has no finite maximum: coefficients drift towards "
            "infinity (a fitted probability of 0 or 1, e.g. no respondent with an item in "
            f"some group; largest standard error {np.max(se):.3g}); simplify the model or use "
            "method='lm'"
        )
    psi = (S * d.w[:, None]) @ bread
    return {
        "coef": theta,
        "psi": psi,
        "model_cov": bread,
        "loglik": ll,
        "gradient_norm": res.gradient_norm,
        "iterations": res.iterations,
        "converged": res.converged,
        "model": model,
        "extra": {},
    }


def _ml_prevalence(d: MultiData, model: _MLModel, theta: np.ndarray):
    """Mean over respondents of ``P(Z_k = 1 | X)`` (summing over ``Y(0)`` for "level")."""
    beta, gamma = model.unpack(theta)
    k, kb, K, J = model.k, model.kb, d.K, d.J
    X, w = d.X, d.w
    p = expit(X @ gamma)
    vals, grads = [], []
    for j in range(K):
        g = np.zeros(model.P)
        eta = X @ beta[j, :k]
        if not model.level:
            h = expit(eta)
            vals.append(np.average(h, weights=w))
            g[j * kb : j * kb + k] = np.average(X * (h * (1 - h))[:, None], axis=0, weights=w)
        else:
            y0 = np.arange(J + 1)
            lB = (
                gammaln(J + 1)
                - gammaln(y0 + 1)
                - gammaln(J - y0 + 1)
                + y0 * log_expit(X @ gamma)[:, None]
                + (J - y0) * log_expit(-(X @ gamma))[:, None]
            )
            B = np.exp(lB)  # (n, J+1)
            h = expit(eta[:, None] + beta[j, k] * y0)
            vals.append(np.average((B * h).sum(1), weights=w))
            dh = B * h * (1 - h)
            g[j * kb : j * kb + k] = np.average(X * dh.sum(1)[:, None], axis=0, weights=w)
            g[j * kb + k] = np.average((dh * y0).sum(1), weights=w)
            dg = (B * h * (y0 - J * p[:, None])).sum(1)
            g[K * kb :] = np.average(X * dg[:, None], axis=0, weights=w)
        grads.append(g)
    return np.array(vals), np.array(grads)


# --------------------------------------------------------------------------- public


_NLS_NO_MODEL = (
    "the two-step NLS estimator has no model-based variance; its variance is the sandwich "
    "of the stacked estimating equations (vcov='hc0', R's choice)"
)


def fit_multi(
    d: MultiData,
    method: MultiMethod = "ml",
    multi_condition: MultiCondition = "none",
    inference: Inference = INFERENCE,
    start: np.ndarray | None = None,
) -> FitResult:
    """Fit a list experiment with several sensitive items (see the module docstring) on
    data prepared by :func:`~unspoken.listexp.data.prepare_multi`.

    ``d.t`` codes the control arm 0 and one arm per sensitive item. Parts of the result:
    ``sensitive.<value>`` per item, then ``control``; ``prevalence`` is a list with one
    :class:`Estimate` per item. ``inference.vcov``: ``"model"`` (ML: inverse information;
    nls: R's two-step sandwich; lm: classical OLS), ``"hc0"``-``"hc3"``, ``"cluster"``,
    ``"survey"`` or ``"bootstrap"``. The default is R's choice (lm: hc3; nls, ml: model), or
    cluster/survey when a cluster/strata column is given, or hc0 (robust) for ML with weights.
    """
    choice(method, MultiMethod, "method")
    choice(multi_condition, MultiCondition, "multi_condition")
    if multi_condition == "level" and method != "ml":
        raise UnsupportedError(
            "multi_condition='level' is a model for method='ml' only", param="method"
        )
    if start is not None and method != "ml":
        raise UnsupportedError("start values are used by method='ml' only")
    notes = list(d.notes)
    kind = resolve_offered_vcov(
        f"multi:{method}",
        inference.vcov,
        d.design,
        notes,
        estimator=f"method='{method}'",
        why={"model": _NLS_NO_MODEL},
    )
    level = inference.level

    def run(dd: MultiData) -> dict[str, Any]:
        if method == "lm":
            return _fit_lm(dd)
        if method == "nls":
            return _fit_nls(dd)
        return _fit_ml(dd, multi_condition, start)

    fit = run(d)
    coef = fit["coef"]
    cov = fit_cov(
        kind,
        coef,
        fit["model_cov"],
        lambda: fit["psi"],
        lambda rows: run(d.subset(rows))["coef"],
        d.design,
        inference,
        leverage=fit.get("leverage"),
    )

    # names
    p_ = d.X.shape[1]
    parts, terms = [], []
    kb = p_ + (1 if multi_condition == "level" else 0)
    for j in range(1, d.K + 1):
        extra = ["y_i(0)"] if multi_condition == "level" else []
        parts += [f"sensitive.{d.labels[j]}"] * kb
        terms += [*d.terms, *extra]
    parts += ["control"] * p_
    terms += list(d.terms)

    # prevalence per item
    if method == "lm":
        G = _lm_prevalence_grad(d)
        vals = G @ coef
    elif method == "nls":
        vals, G = _nls_prevalence(d, coef)
    else:
        vals, G = _ml_prevalence(d, fit["model"], coef)
    V = delta_cov(G, cov)
    prev = [
        Estimate.from_se(vals[j], np.sqrt(max(V[j, j], 0.0)), level, d.n, str(d.labels[j + 1]))
        for j in range(d.K)
    ]
    if method == "nls" and kind == "hc0":
        notes.append("variance: two-step sandwich of the stacked estimating equations (R's)")
    return FitResult(
        model=f"list experiment, {d.K} sensitive items, {method}"
        + (f" (multi_condition={multi_condition})" if method == "ml" else ""),
        parts=parts,
        terms=terms,
        params_=coef,
        cov=cov,
        n=d.n,
        loglik=fit.get("loglik"),
        converged=fit.get("converged", True),
        iterations=fit.get("iterations", 0),
        gradient_norm=fit.get("gradient_norm"),
        vcov_type=kind,
        prevalence=prev,
        notes=notes,
        extra={
            "J": d.J,
            "items": [str(v) for v in d.labels[1:]],
            "control_value": d.labels[0],
            "method": method,
            **({"multi_condition": multi_condition} if method == "ml" else {}),
            **fit["extra"],
        },
        level=level,
    )
