"""Ceiling and floor effects in list experiments (Blair & Imai 2012, sec. 3.3; R ``list``
``ictreg(..., ceiling = TRUE, floor = TRUE)``).

A treated respondent with the sensitive trait (``Z = 1``) whose honest control count is
``Y*(0) = J`` would answer ``J + 1``, revealing the trait; a share
``q_c(x) = expit(x_c' phi_c)`` of them hide it and answer ``J`` (*ceiling* liars). One whose
count is ``Y*(0) = 0`` would answer 1; a share ``q_f(x) = expit(x_f' phi_f)`` answer 0
(*floor* liars). With ``g = expit(x' delta)`` (trait), ``B(k) = Binomial(k; J, expit(x' psi))``
(control items, same model in both arms), a treated respondent's answer ``y`` has

    P(y) = (1 - g) B(y) + g B(y - 1) (1 - q_f [y = 1]) (1 - q_c [y = J + 1])
           + g B(0) q_f [y = 0] + g B(J) q_c [y = J]

and a control respondent's ``B(y)``. The log-likelihood is maximised directly (Newton with
the exact Hessian from Louis' identity over the mixture components; the engine of
:mod:`unspoken.inference.likelihood`), from the standard model's MLE.

``fit="glm"`` is plain maximum likelihood. ``fit="bayesglm"`` adds R's prior: the
log-density of independent Cauchy(0, 2.5) distributions on every ceiling/floor coefficient
(intercept included, on the scale of the inputs) — the objective R ``list`` reports as
``llik`` and differentiates for its standard errors. R's EM instead updates these
coefficients with ``arm::bayesglm`` (whose default prior rescales by the inputs' spread and
uses scale 10 for the intercept), which does not maximise that objective: R warns that the
log-likelihood is not monotone and stops at the first fall. We maximise the stated objective;
results are close to R's but not equal (see the tests).

Reported besides the coefficients: the share of respondents at the ceiling (floor) with the
trait who hide it, ``sum g B(J) q_c / sum g B(J)`` (``sum g B(0) q_f / sum g B(0)``), and the
share of all respondents who are ceiling (floor) liars, ``mean g B(J) q_c``, with
delta-method standard errors.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from unspoken.errors import ConvergenceError, DataError, UnsupportedError
from unspoken.inference.covariance import sandwich_influence
from unspoken.inference.delta import delta_se_rows, numeric_jacobian
from unspoken.inference.index_model import IndexModel, log_binom_pmf, log_choose, softplus
from unspoken.inference.likelihood import newton_maximize
from unspoken.listexp._variant_common import (
    fit_cov,
    logit_share,
    mixture_derivs,
    single_item,
    standard_mle,
    variant_result,
)
from unspoken.listexp.data import MultiData
from unspoken.listexp.options import INFERENCE, ListVariant
from unspoken.options import Inference
from unspoken.results import FitResult

__all__ = ["CeilingFloorModel", "fit_ceiling_floor", "mixture_derivs"]

CAUCHY_SCALE = 2.5
#: a liar coefficient beyond this (|logit| > 15, probabilities within 3e-7 of 0 or 1)
#: means the maximum lies at infinity (separation), not at a finite estimate
LIAR_COEF_LIMIT = 15.0


class CeilingFloorModel(IndexModel):
    """Blocks ``sensitive`` (delta, X), ``control`` (psi, X), then ``floor`` (X_f) and/or
    ``ceiling`` (X_c) when switched on."""

    def __init__(
        self,
        y: np.ndarray,
        t: np.ndarray,
        X: np.ndarray,
        J: int,
        X_floor: np.ndarray | None,
        X_ceiling: np.ndarray | None,
        weights: np.ndarray | None = None,
    ) -> None:
        self.y = np.asarray(y, dtype=float)
        self.t = np.asarray(t, dtype=float)
        self.J = int(J)
        self.floor = X_floor is not None
        self.ceiling = X_ceiling is not None
        self.designs = [X, X]
        self.block_names = ["sensitive", "control"]
        if self.floor:
            self.designs.append(X_floor)
            self.block_names.append("floor")
        if self.ceiling:
            self.designs.append(X_ceiling)
            self.block_names.append("ceiling")
        self.weights = weights
        J_, y_ = self.J, self.y
        tr = self.t == 1
        # components: 0 Z=0 honest; 1 Z=1 honest; 2 floor liar; 3 ceiling liar
        self.k = np.stack([y_, y_ - 1, np.zeros_like(y_), np.full_like(y_, J_)], axis=1)
        lc = log_choose(self.k, J_)
        lc[~tr, 1:] = -np.inf  # control rows: one component
        lc[:, 2] = np.where(tr & (y_ == 0) & self.floor, lc[:, 2], -np.inf)
        lc[:, 3] = np.where(tr & (y_ == J_) & self.ceiling, lc[:, 3], -np.inf)
        self.lc = lc
        self.kc = np.clip(self.k, 0, J_)
        self.tr = tr
        self.f_honest = tr & (y_ == 1) & self.floor  # component 1 carries log(1 - q_f)
        self.c_honest = tr & (y_ == J_ + 1) & self.ceiling

    def derivs(self, etas, order):
        J, tr = self.J, self.tr
        ed, ep = etas[0], etas[1]
        n = len(ed)
        nb = len(etas)
        C = 4
        # log-linear pieces
        lg, l1g = ed - softplus(ed), -softplus(ed)
        lB = self.kc * ep[:, None] - J * softplus(ep)[:, None] + self.lc
        log_a = lB.copy()
        log_a[:, 0] += np.where(tr, l1g, 0.0)
        log_a[:, 1:] += lg[:, None]
        g, p = expit(ed), expit(ep)
        s = np.zeros((n, C, nb))
        h = np.zeros((n, C, nb))
        s[:, 0, 0] = np.where(tr, -g, 0.0)
        s[:, 1:, 0] = (1 - g)[:, None]
        h[:, :, 0] = np.where(tr, -g * (1 - g), 0.0)[:, None]
        s[:, :, 1] = self.kc - J * p[:, None]
        h[:, :, 1] = (-J * p * (1 - p))[:, None]
        # the liar blocks: component ``c`` (2 floor, 3 ceiling) carries log q, the honest
        # trait holders at the edge (component 1 where ``honest``) log(1 - q)
        b = 2
        for on, c, honest in ((self.floor, 2, self.f_honest), (self.ceiling, 3, self.c_honest)):
            if not on:
                continue
            e = etas[b]
            q = expit(e)
            log_a[:, 1] += np.where(honest, -softplus(e), 0.0)
            log_a[:, c] += e - softplus(e)
            s[:, 1, b] = np.where(honest, -q, 0.0)
            h[:, 1, b] = np.where(honest, -q * (1 - q), 0.0)
            s[:, c, b] = 1 - q
            h[:, c, b] = -q * (1 - q)
            b += 1
        return mixture_derivs(log_a, s, h, order)


def _cauchy_terms(theta: np.ndarray, scales: np.ndarray, order: int = 2):
    """Sum of log Cauchy(0, scale_j) densities of the coefficients with a finite scale
    (``np.inf`` = no prior), their gradient and (diagonal) Hessian."""
    m = np.isfinite(scales)
    sc, b = scales[m], theta[m]
    s2 = sc**2
    lp = float(np.sum(-np.log(np.pi * sc) - np.log1p(b**2 / s2)))
    g = np.zeros_like(theta)
    g[m] = -2 * b / (s2 + b**2)
    H = np.zeros((len(theta), len(theta)))
    idx = np.flatnonzero(m)
    H[idx, idx] = -2 * (s2 - b**2) / (s2 + b**2) ** 2
    return lp, g, H


def _liar_shares(model: CeilingFloorModel, theta: np.ndarray, w: np.ndarray) -> dict:
    etas = model.etas(theta)
    g = expit(etas[0])
    J = model.J
    out = {}
    b = 2
    for name, on, k in (("floor", model.floor, 0), ("ceiling", model.ceiling, J)):
        if not on:
            continue
        q = expit(etas[b])
        at = w * g * np.exp(log_binom_pmf(k, J, etas[1]))
        out[f"{name}_share_hiding"] = float(np.sum(at * q) / np.sum(at))
        out[f"{name}_share_of_all"] = float(np.sum(at * q) / np.sum(w))
        b += 1
    return out


def fit_ceiling_floor(
    d: MultiData, variant: ListVariant, inference: Inference = INFERENCE
) -> FitResult:
    """ML with ceiling and/or floor liars (see the module docstring) on data prepared with
    the liar models' right-hand sides (``prepare_multi(..., extra_formulas=
    variant.liar_formulas())``).

    Parts: ``sensitive``, ``control``, ``floor``, ``ceiling`` (the last two when switched
    on). ``extra`` holds the estimated shares of liars (``ceiling_share_hiding`` etc.) as
    estimates with standard errors. ``inference.vcov``: ``"model"`` (inverse of the negative
    Hessian of the objective, prior included for ``liar_fit="bayesglm"``), ``"hc0"``/
    ``"hc1"``, ``"cluster"``, ``"survey"`` or ``"bootstrap"``; the default is ``"model"``, or
    the robust variance that the weights/cluster/strata call for.
    """
    if not variant.liars:
        raise UnsupportedError("set ceiling=True and/or floor=True (else fit the standard model)")
    if set(variant.liar_formulas()) - set(d.extra_X):
        raise UnsupportedError("prepare the data with the liar models' formulas (extra_formulas)")
    fit, level = variant.liar_fit, inference.level
    notes, kind = single_item("ceiling/floor models are", d, inference.vcov)
    res, model = _fit(d, fit)
    theta = res.theta
    try:
        bread = np.linalg.inv(-res.hessian)
    except np.linalg.LinAlgError:
        raise ConvergenceError(
            "the ceiling/floor model's information matrix is singular: the liar model is not "
            "identified on these data (try an intercept-only ceiling/floor formula)"
        ) from None
    cov = fit_cov(
        kind,
        theta,
        bread,
        lambda: sandwich_influence(model.scores(theta) * d.w[:, None], bread),
        lambda rows: _fit(d.subset(rows), fit, theta)[0].theta,
        d.design,
        inference,
    )

    parts = [nm for nm, k in zip(model.block_names, model.sizes, strict=True) for _ in range(k)]
    terms = list(d.terms) * 2
    for nm in model.block_names[2:]:
        terms += d.extra_X[nm][1]

    # liar shares with delta-method standard errors (central differences of the shares)
    def share_values(th: np.ndarray) -> np.ndarray:
        return np.array(list(_liar_shares(model, th, d.w).values()))

    ses = delta_se_rows(numeric_jacobian(share_values, theta), cov)
    liars = {
        nm: logit_share(v, se, level, d.n).to_dict()
        for (nm, v), se in zip(_liar_shares(model, theta, d.w).items(), ses, strict=True)
    }
    ll_data = model.loglik(theta)
    if fit == "bayesglm":
        notes.append(
            "fit='bayesglm': the log-likelihood shown includes the Cauchy(0, 2.5) prior on the "
            f"ceiling/floor coefficients; without it the log-likelihood is {ll_data:.6f}"
        )
    which = " and ".join(n for n in ("ceiling", "floor") if getattr(variant, n))
    extra = {"fit": fit, "liars": liars, "loglik_without_prior": ll_data, "optimizer": res.message}
    model_name = f"list experiment, ML with {which} liars ({fit})"
    return variant_result(d, model_name, parts, terms, theta, cov, kind, level, res, notes, extra)


def _prior_scales(model: CeilingFloorModel, intercept_scale: float) -> np.ndarray:
    """Cauchy scales per coefficient: none for the sensitive/control blocks, 2.5 for the
    ceiling/floor slopes, ``intercept_scale`` for their intercepts (a column of ones)."""
    out = []
    for b, (X, name) in enumerate(zip(model.designs, model.block_names, strict=True)):
        sc = np.full(X.shape[1], np.inf if b < 2 else CAUCHY_SCALE)
        if name in ("floor", "ceiling") and np.allclose(X[:, 0], 1.0):
            sc[0] = intercept_scale
        out.append(sc)
    return np.concatenate(out)


def _fit(d: MultiData, fit: str, start: np.ndarray | None = None, intercept_scale: float = 2.5):
    w = d.design.weights
    Xf = d.extra_X["floor"][0] if "floor" in d.extra_X else None
    Xc = d.extra_X["ceiling"][0] if "ceiling" in d.extra_X else None
    if start is None:
        start = standard_mle(d)
        for Xq in (Xf, Xc):
            if Xq is not None:
                b = np.zeros(Xq.shape[1])
                if np.allclose(Xq[:, 0], 1):
                    b[0] = -1.0
                start = np.concatenate([start, b])
    model = CeilingFloorModel(d.y, d.t, d.X, d.J, Xf, Xc, w)
    if fit == "bayesglm":
        scales = _prior_scales(model, intercept_scale)

        def fun(th, order):
            ll, g, H = model.evaluate(th, order)
            lp, gp, Hp = _cauchy_terms(th, scales, order)
            return (
                ll + lp,
                None if g is None else g + gp,
                None if H is None else H + Hp,
            )
    else:
        fun = model.evaluate
    res = newton_maximize(fun, start, maxiter=300)
    if not res.converged:
        raise ConvergenceError(
            f"the ceiling/floor model did not converge ({res.message}); its liar "
            "parameters may not be identified on these data — try fit='bayesglm' or an "
            "intercept-only ceiling/floor formula"
        )
    if not np.all(np.isfinite(res.theta)):
        raise DataError("the ceiling/floor fit produced non-finite estimates")
    liar = res.theta[2 * d.X.shape[1] :]
    info = -res.hessian
    cond = np.linalg.cond(info)
    if np.max(np.abs(liar)) > LIAR_COEF_LIMIT or not np.isfinite(cond) or cond > 1e12:
        blocks = model.split(res.theta)
        at_zero = [
            nm
            for nm, b, X in zip(model.block_names[2:], blocks[2:], model.designs[2:], strict=True)
            if X.shape[1] == 1 and b[0] < -LIAR_COEF_LIMIT
        ]
        if at_zero:
            raise ConvergenceError(
                f"the maximum-likelihood share of {' and '.join(at_zero)} liars is 0: the "
                "likelihood keeps rising as it goes to 0, so the estimate is on the boundary "
                "and has no standard error. The data show no sign of these liars; fit the "
                "model without them, or use liar_fit='bayesglm' for a shrunken estimate"
            )
        raise ConvergenceError(
            "the ceiling/floor liar model is not identified on these data: its maximum lies "
            f"at infinity (largest liar coefficient {np.max(np.abs(liar)):.1f}, condition "
            f"number of the information {cond:.2g}), so no finite estimate or standard error "
            "exists. Use fit='bayesglm' (weakly informative Cauchy priors, as R list does) "
            "or an intercept-only ceiling/floor formula"
        )
    return res, model
