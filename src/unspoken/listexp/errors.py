"""Response-error models for list experiments (Blair, Chou & Imai 2019, Political Analysis
27:455-480, "List experiments with measurement error"; R ``list`` ``ictreg(error = ...)``).

With ``g = expit(x' delta)`` (sensitive trait), ``B(k) = Binomial(k; J, expit(x' psi))`` and
``T`` the treatment, a truthful answer has probability
``f(y) = T [g B(y - 1) + (1 - g) B(y)] + (1 - T) B(y)``. Two error processes:

* **top-coded** (``error="topcoded"``; R spells it ``"topcode"``): a share ``p`` of
  respondents give the largest possible answer (``J + T``) whatever their truth:
  ``P(y) = (1 - p) f(y) + p [y = J + T]``.
* **uniform**: a share ``p0`` of control and ``p1`` of treated respondents answer uniformly
  at random on ``0..J + T``: ``P(y) = (1 - p_T) f(y) + p_T / (J + 1 + T)``.

``p``, ``p0``, ``p1`` are modelled on the logit scale (parts ``error``, terms ``logit(p)``,
``logit(p0)``, ``logit(p1)``). The likelihood is a mixture whose components are log-linear in
the indices, so the exact Hessian comes from Louis' identity
(:func:`unspoken.listexp._variant_common.mixture_derivs`); it is maximised by the Newton
engine of :mod:`unspoken.inference.likelihood` from the standard model's MLE.

``robust=True`` (Blair, Chou & Imai 2019, sec. 4) maximises the likelihood subject to the
constraint that the model's prevalence, the (weighted) mean of ``g(x_i)``, equals the
difference in means ``tau_hat``, so a misspecified model cannot move the headline estimate
away from the design-based one. The constrained maximum is found by Newton steps on the
KKT system. Its influence values are ``psi_i = P B s_i + B a (a' B a)^-1 psi_i^DiM`` with
``B`` the inverse information, ``a`` the gradient of the constraint, ``P = I - B a (a' B
a)^-1 a'`` and ``psi^DiM`` the difference in means' own influence values, so the variance
(robust, cluster or survey) accounts for ``tau_hat`` being estimated; ``vcov="model"`` is
replaced by ``"hc0"`` there. ``error="none"`` with ``robust=True`` gives the robust version of
the standard model.

NLS versions of these models are not offered: NLS identifies the error share only through
the logistic functional form of the means. In our simulations (n = 3000, shares 5-8%) NLS
found no regular minimum in 42% (top-coded) and 67% (uniform) of samples, and its 95%
intervals covered the prevalence 91% and 82% of the time, against 0-4% failures and 93-95%
coverage for ML.

A fit whose error share runs to 0 (logit to -infinity) has no interior maximum: the
information matrix is singular there (as R's uniform model on ``race`` is, where R stops
with "system is computationally singular"). We then raise an error that says so and that
the error-free model applies, instead of reporting numbers from a singular fit.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy.special import expit

from unspoken.errors import ConvergenceError, UnsupportedError
from unspoken.inference.index_model import IndexModel, log_choose, softplus
from unspoken.inference.likelihood import newton_maximize
from unspoken.listexp._variant_common import (
    fit_cov,
    logit_share_from_logit,
    mean_prevalence,
    mixture_derivs,
    single_item,
    standard_mle,
    variant_result,
)
from unspoken.listexp.data import MultiData
from unspoken.listexp.options import INFERENCE, TOPCODED, ListVariant
from unspoken.options import Inference
from unspoken.results import FitResult

__all__ = ["ResponseErrorModel", "fit_response_error"]

#: an error-share logit below this (share < 1e-7) means the maximum is at "no error"
BOUNDARY_LOGIT = -16.0


def _canonical(error: str) -> str:
    if error in ("topcoded", "topcode"):
        return "topcoded"
    if error in ("uniform", "none"):
        return error
    raise UnsupportedError(
        f"error must be 'none', 'topcoded' (or 'topcode') or 'uniform', not {error!r}"
    )


class ResponseErrorModel(IndexModel):
    """Blocks ``sensitive`` (X), ``control`` (X), then ``logit(p)`` (top-coded) or
    ``logit(p0)``, ``logit(p1)`` (uniform), each with a column of ones as design."""

    def __init__(self, y, t, X, J, error: str, weights=None) -> None:
        self.y = np.asarray(y, dtype=float)
        self.t = np.asarray(t, dtype=float)
        self.J = int(J)
        self.error = _canonical(error)
        n = len(self.y)
        ones = np.ones((n, 1))
        n_err = {"none": 0, "topcoded": 1, "uniform": 2}[self.error]
        self.designs = [X, X] + [ones] * n_err
        self.block_names = ["sensitive", "control"] + ["error"] * n_err
        self.weights = weights
        J_, y_, tr = self.J, self.y, self.t == 1
        self.tr = tr
        self.k = np.stack([y_, y_ - 1], axis=1)
        self.kc = np.clip(self.k, 0, J_)
        lc = log_choose(self.k, J_)
        lc[~tr, 1] = -np.inf
        self.lc = lc
        top = J_ + self.t
        if self.error == "topcoded":
            self.lerr = np.where(y_ == top, 0.0, -np.inf)
        elif self.error == "uniform":
            self.lerr = -np.log(J_ + 1.0 + self.t)
        else:
            self.lerr = np.full(n, -np.inf)

    def derivs(self, etas, order):
        J, tr = self.J, self.tr
        ed, ep = etas[0], etas[1]
        n, nb = len(ed), len(etas)
        if self.error == "topcoded":
            ee = etas[2]
            col = np.full(n, 2)
        elif self.error == "uniform":
            ee = np.where(tr, etas[3], etas[2])
            col = np.where(tr, 3, 2)
        else:
            ee = np.full(n, -np.inf)
            col = None
        # components: 0 truthful Z=0, 1 truthful Z=1, 2 error
        log_a = np.empty((n, 3))
        lB = self.kc * ep[:, None] - J * softplus(ep)[:, None] + self.lc
        l1e = -softplus(ee)
        log_a[:, 0] = lB[:, 0] + l1e + np.where(tr, -softplus(ed), 0.0)
        log_a[:, 1] = lB[:, 1] + l1e + ed - softplus(ed)
        log_a[:, 2] = ee - softplus(ee) + self.lerr
        g, p, q = expit(ed), expit(ep), expit(ee)
        s = np.zeros((n, 3, nb))
        h = np.zeros((n, 3, nb))
        s[:, 0, 0] = np.where(tr, -g, 0.0)
        s[:, 1, 0] = 1 - g
        h[:, :2, 0] = np.where(tr, -g * (1 - g), 0.0)[:, None]
        s[:, :2, 1] = self.kc - J * p[:, None]
        h[:, :2, 1] = (-J * p * (1 - p))[:, None]
        if col is None:
            return mixture_derivs(log_a[:, :2], s[:, :2], h[:, :2], order)
        rows = np.arange(n)
        s[rows, 0, col] = -q
        s[rows, 1, col] = -q
        s[rows, 2, col] = 1 - q
        h[rows, 0, col] = -q * (1 - q)
        h[rows, 1, col] = -q * (1 - q)
        h[rows, 2, col] = -q * (1 - q)
        return mixture_derivs(log_a, s, h, order)


def _start(d: MultiData, error: str) -> np.ndarray:
    extra = {"none": [], "topcoded": [-3.0], "uniform": [-3.0, -3.0]}[error]
    return np.concatenate([standard_mle(d), extra])


def _dim(d: MultiData) -> tuple[float, np.ndarray]:
    """Weighted difference in means and its influence values."""
    w, y, t = d.w, d.y.astype(float), d.t
    W1, W0 = w[t == 1].sum(), w[t == 0].sum()
    m1, m0 = np.sum((w * y)[t == 1]) / W1, np.sum((w * y)[t == 0]) / W0
    psi = np.where(t == 1, w * (y - m1) / W1, -w * (y - m0) / W0)
    return m1 - m0, psi


def _constrained_newton(model, d: MultiData, theta0, tau, maxiter=200, tol=1e-10):
    """Maximise the log-likelihood subject to mean g = ``tau`` (Newton on the KKT system,
    backtracking on the log-likelihood with the constraint re-imposed by moving the
    sensitive intercept, which needs a column of ones)."""
    from scipy.optimize import brentq

    k = d.X.shape[1]
    if not np.allclose(d.X[:, 0], 1.0):
        raise UnsupportedError("robust=True needs an intercept in the formula")
    if not 0 < tau < 1:
        raise ConvergenceError(
            f"robust=True: the difference in means is {tau:.4f}, outside (0, 1), so no "
            "prevalence of the model can equal it"
        )

    def project(th):
        th = th.copy()
        base = th[0]

        def f(c):
            th[0] = c
            return mean_prevalence(d, th)[0] - tau

        lo, hi = base - 1.0, base + 1.0
        for _ in range(60):
            if f(lo) <= 0:
                break
            lo -= 2 * (hi - lo)
        for _ in range(60):
            if f(hi) >= 0:
                break
            hi += 2 * (hi - lo)
        if not (f(lo) <= 0 <= f(hi)):
            raise ConvergenceError(
                "robust=True: no intercept makes the model's prevalence equal the difference "
                "in means at these coefficients"
            )
        th[0] = brentq(f, lo, hi, xtol=1e-14)
        return th

    def curvature(th):
        """Hessian of the constraint (mean g) in theta: nonzero in the sensitive block."""
        gg = expit(d.X @ th[:k])
        C = np.zeros((len(th), len(th)))
        C[:k, :k] = (d.X * (d.w * gg * (1 - gg) * (1 - 2 * gg))[:, None]).T @ d.X / d.w.sum()
        return C

    theta = project(np.asarray(theta0, dtype=float))
    ll, g, H = model.evaluate(theta, 2)
    _, a = mean_prevalence(d, theta)
    lam = float(a @ g / (a @ a))
    it, converged = 0, False
    while it < maxiter:
        it += 1
        _, a = mean_prevalence(d, theta)
        P = len(theta)
        K = np.zeros((P + 1, P + 1))
        K[:P, :P] = -(H - lam * curvature(theta))
        K[:P, P] = a
        K[P, :P] = a
        try:
            sol = np.linalg.solve(K, np.concatenate([g, [0.0]]))
        except np.linalg.LinAlgError:
            break
        step = sol[:P]
        pg = g - float(a @ g / (a @ a)) * a  # projected gradient (KKT residual)
        lam = float(sol[P])
        if np.max(np.abs(pg)) < tol * max(1.0, np.sqrt(d.n)) and np.max(np.abs(step)) < 1e-8:
            converged = True
            break
        if not np.all(np.isfinite(step)):
            break
        t = 1.0
        while t > 1e-10:
            try:
                cand = project(theta + t * step)
            except ConvergenceError:
                t /= 2
                continue
            ll_c = model.loglik(cand)
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12:
                break
            t /= 2
        else:
            break
        theta = cand
        ll, g, H = model.evaluate(theta, 2)
    _, a = mean_prevalence(d, theta)
    return theta, ll, g, H, a, it, converged


def _fit_ml(d: MultiData, error: str, start=None, robust: bool = False):
    model = ResponseErrorModel(d.y, d.t, d.X, d.J, error, d.design.weights)
    theta0 = _start(d, error) if start is None else start
    if not robust:
        res = newton_maximize(model.evaluate, theta0, maxiter=300)
        _check_boundary(res.theta, res.hessian, model, res.converged, res.message)
        return {
            "theta": res.theta,
            "loglik": res.loglik,
            "hessian": res.hessian,
            "iterations": res.iterations,
            "converged": res.converged,
            "gradient_norm": res.gradient_norm,
        }, model
    tau, _ = _dim(d)
    theta, ll, g, H, a, n_it, conv = _constrained_newton(model, d, theta0, tau)
    _check_boundary(theta, H, model, conv, "constrained Newton")
    lam = float(a @ g / (a @ a))
    return {
        "theta": theta,
        "loglik": ll,
        "hessian": H,
        "iterations": n_it,
        "converged": conv,
        "gradient_norm": float(np.max(np.abs(g - lam * a))),
        "constraint_gradient": a,
        "dim": tau,
    }, model


def _check_boundary(theta, H, model, converged, message):
    k2 = 2 * model.designs[0].shape[1]
    err = theta[k2:]
    names = {"none": [], "topcoded": ["p"], "uniform": ["p0", "p1"]}[model.error]
    low = [nm for nm, e in zip(names, err, strict=True) if e < BOUNDARY_LOGIT]
    cond = np.linalg.cond(-H) if np.all(np.isfinite(H)) else np.inf
    if low:
        raise ConvergenceError(
            f"{model.error} error model: the maximum likelihood share of erroneous answers "
            f"({', '.join(low)}) is 0 — the log-likelihood keeps rising as it goes to 0, so "
            "the maximum is on the boundary, the information matrix is singular there and no "
            "standard errors exist. The data show no sign of this error process: use the "
            "model without it (error='none')"
        )
    if not converged or not np.isfinite(cond) or cond > 1e12:
        where = ""
        if np.all(np.isfinite(H)):
            _, vecs = np.linalg.eigh(-(H + H.T) / 2)
            labels = [
                f"{b}[{j}]"
                for b, X in zip(model.block_names, model.designs, strict=True)
                for j in range(X.shape[1])
            ]
            top = np.argsort(-np.abs(vecs[:, 0]))[:2]
            where = "; the flat direction is mostly " + " and ".join(
                f"{labels[i]} (estimate {theta[i]:.3g})" for i in top
            )
        raise ConvergenceError(
            f"{model.error} error model did not reach a regular maximum ({message}; condition "
            f"number of the information {cond:.2g}){where}: these parameters are not "
            "identified here (an estimate running to infinity means a share of 0 or 1)"
        )


def fit_response_error(
    d: MultiData,
    variant: ListVariant = TOPCODED,
    inference: Inference = INFERENCE,
    method: Literal["ml"] = "ml",
) -> FitResult:
    """Fit a list experiment by ML with top-coded or uniform response errors
    (``variant.error``), optionally constrained to the difference in means
    (``variant.robust``; see the module docstring).

    Parts: ``sensitive``, ``control`` and ``error`` (terms ``logit(p)`` or ``logit(p0)``,
    ``logit(p1)``). ``extra["error_share"]`` holds ``p`` (or ``p0``, ``p1``) with a Wald
    interval on the logit scale transformed back (as R reports ``p.ci``). ``inference.vcov``:
    ``"model"`` (inverse information), ``"hc0"``, ``"hc1"``, ``"cluster"``, ``"survey"`` or
    ``"bootstrap"``.
    """
    err, robust, level = variant.error, variant.robust, inference.level
    if method != "ml":
        raise UnsupportedError(
            "error models are fitted by ML only: NLS identifies the error share through the "
            "functional form alone and fails or undercovers in simulations (module docstring)"
        )
    if err == "none" and not robust:
        raise UnsupportedError(
            "error='none' without robust=True is the standard model: use list_experiment"
        )
    notes, kind = single_item("error models are", d, inference.vcov)
    if robust and kind == "model":
        kind = "hc0"
        notes.append(
            "robust=True: the variance is the robust sandwich of the constrained estimator, "
            "which accounts for the difference in means being estimated (no model-based form)"
        )

    fit, model = _fit_ml(d, err, robust=robust)
    theta = fit["theta"]
    B = np.linalg.inv(-fit["hessian"])

    def influence() -> np.ndarray:
        S = model.scores(theta) * d.w[:, None]
        if not robust:
            return S @ B
        a = fit["constraint_gradient"]
        Ba = B @ a
        proj = np.eye(len(theta)) - np.outer(Ba, a) / (a @ Ba)
        _, psi_dim = _dim(d)
        return S @ (proj @ B).T + np.outer(psi_dim, Ba / (a @ Ba))

    cov = fit_cov(
        kind,
        theta,
        B,
        influence,
        lambda rows: _fit_ml(d.subset(rows), err, theta, robust)[0]["theta"],
        d.design,
        inference,
    )

    k = d.X.shape[1]
    err_terms = {"none": [], "topcoded": ["logit(p)"], "uniform": ["logit(p0)", "logit(p1)"]}[err]
    parts = ["sensitive"] * k + ["control"] * k + ["error"] * len(err_terms)
    terms = [*d.terms, *d.terms, *err_terms]
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    shares = {
        nm[6:-1]: logit_share_from_logit(theta[2 * k + j], se[2 * k + j], level)
        for j, nm in enumerate(err_terms)
    }
    extra: dict[str, Any] = {"error": err, "robust": robust, "error_share": shares}
    if robust:
        extra["difference_in_means"] = fit["dim"]
    label = "no" if err == "none" else err
    name = f"list experiment, ML with {label} response errors" + (
        " (robust: prevalence = difference in means)" if robust else ""
    )
    return variant_result(d, name, parts, terms, theta, cov, kind, level, fit, notes, extra)
