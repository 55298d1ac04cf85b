"""Overdispersed control counts: the beta-binomial list model (Imai 2011, sec. 2.3; R
``list`` ``ictreg(..., overdispersed = TRUE)``).

The control-item count ``Y*(0)`` is beta-binomial with mean ``J mu``, ``mu = expit(x' psi)``,
and intra-respondent correlation ``rho`` (``Var = J mu (1 - mu) [1 + (J - 1) rho]``), i.e.
``Beta(mu theta, (1 - mu) theta)`` success probabilities with ``theta = (1 - rho) / rho``.
``rho`` is estimated on VGAM's scale, ``logit(rho)`` (part ``overdispersion``, term
``logit(rho)``), as R reports ``par.overdispersion``. The constrained model
(``psi_0 = psi_1``) is fitted:

    control: BB(y; J, mu, rho)        treated: g BB(y - 1) + (1 - g) BB(y),  g = expit(x' delta)

with the exact Hessian (Louis' identity over ``Z``; digamma/trigamma derivatives of the
beta-binomial) and the Newton engine of :mod:`unspoken.inference.likelihood`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, polygamma

from unspoken.errors import ConvergenceError, UnsupportedError
from unspoken.inference.covariance import sandwich_influence
from unspoken.inference.index_model import IndexModel, softplus
from unspoken.inference.likelihood import newton_maximize
from unspoken.listexp._variant_common import (
    fit_cov,
    logit_share_from_logit,
    mixture_derivs,
    single_item,
    standard_mle,
    variant_result,
)
from unspoken.listexp.data import MultiData
from unspoken.listexp.options import INFERENCE
from unspoken.options import Inference
from unspoken.results import FitResult

__all__ = ["BetaBinomialListModel", "fit_overdispersed", "log_betabinom"]

#: logit(rho) below this (rho < 1e-7): no overdispersion, the maximum is on the boundary
RHO_BOUNDARY = -16.0


def log_betabinom(k, J: int, mu, rho):
    """``log P(k)`` of the beta-binomial with mean ``J mu`` and correlation ``rho``."""
    theta = (1 - rho) / rho
    a, b = mu * theta, (1 - mu) * theta
    lchoose = gammaln(J + 1.0) - gammaln(k + 1.0) - gammaln(J - k + 1.0)
    return lchoose + betaln(k + a, J - k + b) - betaln(a, b)


def _bb_derivs(k, J, eta, zeta):
    """log BB(k) and its first/second derivatives in ``eta = logit(mu)`` and
    ``zeta = logit(rho)`` (``theta = exp(-zeta)``)."""
    mu = expit(eta)
    theta = np.exp(-zeta)
    a, b = mu * theta, (1 - mu) * theta
    lchoose = gammaln(J + 1.0) - gammaln(k + 1.0) - gammaln(J - k + 1.0)
    f = lchoose + gammaln(k + a) + gammaln(J - k + b) - gammaln(J + theta)
    f += gammaln(theta) - gammaln(a) - gammaln(b)
    A1 = digamma(k + a) - digamma(a)
    B1 = digamma(J - k + b) - digamma(b)
    T1 = digamma(theta) - digamma(J + theta)
    A2 = polygamma(1, k + a) - polygamma(1, a)
    B2 = polygamma(1, J - k + b) - polygamma(1, b)
    T2 = polygamma(1, theta) - polygamma(1, J + theta)
    f_mu = theta * (A1 - B1)
    f_th = mu * A1 + (1 - mu) * B1 + T1
    f_mumu = theta**2 * (A2 + B2)
    f_muth = (A1 - B1) + theta * (mu * A2 - (1 - mu) * B2)
    f_thth = mu**2 * A2 + (1 - mu) ** 2 * B2 + T2
    m1 = mu * (1 - mu)
    f_e = f_mu * m1
    f_z = -theta * f_th
    f_ee = f_mumu * m1**2 + f_mu * m1 * (1 - 2 * mu)
    f_ez = -theta * m1 * f_muth
    f_zz = theta**2 * f_thth + theta * f_th
    return f, f_e, f_z, f_ee, f_ez, f_zz


class BetaBinomialListModel(IndexModel):
    """Blocks ``sensitive`` (X), ``control`` (X), ``overdispersion`` (a column of ones)."""

    def __init__(self, y, t, X, J, weights=None) -> None:
        self.y = np.asarray(y, dtype=float)
        self.t = np.asarray(t, dtype=float)
        self.J = int(J)
        self.weights = weights
        self.designs = [X, X, np.ones((len(self.y), 1))]
        self.block_names = ["sensitive", "control", "overdispersion"]
        tr = self.t == 1
        self.tr = tr
        k = np.stack([self.y, self.y - 1], axis=1)
        self.valid = (k >= 0) & (k <= self.J)
        self.valid[~tr, 1] = False
        self.kc = np.clip(k, 0, self.J)

    def derivs(self, etas, order):
        ed, ep, ez = etas
        tr = self.tr
        n = len(ed)
        parts = [_bb_derivs(self.kc[:, c], self.J, ep, ez) for c in (0, 1)]
        log_a = np.stack([p[0] for p in parts], axis=1)
        log_a = np.where(self.valid, log_a, -np.inf)
        log_a[:, 0] += np.where(tr, -softplus(ed), 0.0)
        log_a[:, 1] += ed - softplus(ed)
        g = expit(ed)
        s = np.zeros((n, 2, 3))
        h = np.zeros((n, 2, 3, 3))
        s[:, 0, 0] = np.where(tr, -g, 0.0)
        s[:, 1, 0] = 1 - g
        h[:, :, 0, 0] = np.where(tr, -g * (1 - g), 0.0)[:, None]
        for c, (_, fe, fz, fee, fez, fzz) in enumerate(parts):
            s[:, c, 1], s[:, c, 2] = fe, fz
            h[:, c, 1, 1], h[:, c, 2, 2] = fee, fzz
            h[:, c, 1, 2] = h[:, c, 2, 1] = fez
        return mixture_derivs(log_a, s, h, order)


def _fit(d: MultiData, start=None):
    if start is None:
        start = np.concatenate([standard_mle(d), [-3.0]])
    model = BetaBinomialListModel(d.y, d.t, d.X, d.J, d.design.weights)
    res = newton_maximize(model.evaluate, start, maxiter=300)
    if res.theta[-1] < RHO_BOUNDARY:
        raise ConvergenceError(
            "overdispersed model: the estimated correlation rho is 0 (logit(rho) runs to "
            "-infinity), so the maximum is on the boundary and the information is singular "
            "there; the counts show no overdispersion — use the binomial model"
        )
    cond = np.linalg.cond(-res.hessian) if np.all(np.isfinite(res.hessian)) else np.inf
    if not res.converged or not np.isfinite(cond) or cond > 1e12:
        raise ConvergenceError(
            f"overdispersed model did not reach a regular maximum ({res.message}; condition "
            f"number {cond:.2g})"
        )
    return res, model


def fit_overdispersed(
    d: MultiData, inference: Inference = INFERENCE, constrained: bool = True
) -> FitResult:
    """Beta-binomial ML for a list experiment (module docstring). ``extra["rho"]`` is the
    estimated correlation with a Wald interval from the logit scale."""
    if not constrained:
        raise UnsupportedError(
            "the overdispersed model is fitted with psi_0 = psi_1 (constrained=True) only"
        )
    notes, kind = single_item("the overdispersed model is", d, inference.vcov)
    if d.J < 2:
        raise UnsupportedError(
            "overdispersion needs J >= 2 control items (with J = 1 rho is not identified)"
        )
    res, model = _fit(d)
    theta, level = res.theta, inference.level
    B = np.linalg.inv(-res.hessian)
    cov = fit_cov(
        kind,
        theta,
        B,
        lambda: sandwich_influence(model.scores(theta) * d.w[:, None], B),
        lambda rows: _fit(d.subset(rows), theta)[0].theta,
        d.design,
        inference,
    )
    k = d.X.shape[1]
    rho = logit_share_from_logit(theta[-1], float(np.sqrt(max(cov[-1, -1], 0.0))), level)
    parts = ["sensitive"] * k + ["control"] * k + ["overdispersion"]
    terms = [*d.terms, *d.terms, "logit(rho)"]
    name = "list experiment, ML with beta-binomial (overdispersed) control counts"
    return variant_result(d, name, parts, terms, theta, cov, kind, level, res, notes, {"rho": rho})
