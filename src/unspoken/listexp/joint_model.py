"""The joint model of a list experiment and an outcome that the hidden trait predicts
(Imai, Park & Greene 2015, Political Analysis 23(2):180-196).

Respondent ``i`` holds the sensitive trait ``Z_i ~ Bernoulli(g_i)``, ``g_i = expit(x_i'
delta)``; the control-item count is ``Binomial(J, expit(x_i' psi))`` (constrained) or
``Binomial(J, expit(x_i' psi_z))`` given ``Z_i = z`` (unconstrained); the list answer is
``Y_i = T_i Z_i + `` the control count; the outcome ``V_i`` given ``(x_i, Z_i)`` follows a
linear model ``N(x_i' beta + gamma Z_i, sigma^2)`` or a logistic one
``Bernoulli(expit(x_i' beta + gamma Z_i))``. ``gamma`` (part ``outcome``, term
``sensitive``) is the hidden trait's effect on the outcome. The observed-data likelihood
mixes over ``Z_i``: ``l_i = log(a_i1 + a_i0)``, ``a_iz = P(Z = z) f(Y_i - T_i z) f(V_i | z)``.

:class:`JointListModel` is an :class:`~unspoken.inference.index_model.IndexModel` with
blocks ``sensitive`` (X), ``control`` (X; or ``control.z0``, ``control.z1``), ``outcome``
(X), ``outcome.sensitive`` (a column of ones: ``gamma``) and, for the linear outcome,
``log_sigma`` (a column of ones). Its index derivatives come from each component's
complete-data scores and Hessians through Louis' identity
(:func:`~unspoken.listexp._variant_common.mixture_derivs`), so the Newton polish uses the
exact Hessian of the observed-data log-likelihood. EM steps: the posterior ``w_i = P(Z_i =
1 | Y_i, T_i, V_i, x_i)``, then a weighted logistic regression for ``delta``, binomial
regressions for ``psi``, and for the outcome a weighted least-squares fit on the two
completions (closed form, with the ML residual variance) or a Newton step of the weighted
logistic regression.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from unspoken.inference.index_model import IndexModel, log_choose, softplus
from unspoken.inference.likelihood import binomial_fit, binomial_newton_step
from unspoken.listexp._variant_common import mixture_derivs

__all__ = ["JointListModel", "joint_start"]

_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


class JointListModel(IndexModel):
    """The joint list/outcome model; ``outcome_model`` ``"linear"`` or ``"logistic"``.

    ``y`` list counts, ``t`` 0/1 treatment, ``v`` the outcome, ``X`` the covariates (the
    same for the sensitive, control and outcome models, as in R ``ictreg.joint``),
    ``weights`` frequency x probability weights (``None`` = 1).
    """

    def __init__(
        self,
        y: np.ndarray,
        t: np.ndarray,
        v: np.ndarray,
        X: np.ndarray,
        J: int,
        outcome_model: str = "linear",
        constrained: bool = True,
        weights: np.ndarray | None = None,
    ) -> None:
        self.y = np.asarray(y, dtype=float)
        self.t = np.asarray(t, dtype=float)
        self.v = np.asarray(v, dtype=float)
        self.X = np.asarray(X, dtype=float)
        self.J = int(J)
        self.linear = outcome_model == "linear"
        self.constrained = constrained
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        n = len(self.y)
        ones = np.ones((n, 1))
        control = ["control"] if constrained else ["control.z0", "control.z1"]
        self.block_names = ["sensitive", *control, "outcome", "outcome.sensitive"]
        self.designs = [self.X] * (1 + len(control) + 1) + [ones]
        if self.linear:
            self.block_names.append("log_sigma")
            self.designs.append(ones)
        self.nc = len(control)
        self.y1 = self.y - self.t  # control count if Z = 1
        self._k = np.stack([self.y, np.clip(self.y1, 0, self.J)], axis=1)  # (n, 2): z = 0, 1
        self._lc = np.stack([log_choose(self.y, self.J), log_choose(self.y1, self.J)], axis=1)

    # ---- the model ---------------------------------------------------------------
    def _components(self, etas: list[np.ndarray], order: int):
        """``log a_iz`` (n, 2) and, up to ``order``, the complete-data index scores
        (n, 2, B) and Hessians (n, 2, B, B) of the two completions ``z = 0, 1``."""
        J, nc = self.J, self.nc
        ed = etas[0]
        ec = np.stack([etas[1], etas[1]] if nc == 1 else [etas[1], etas[2]], axis=1)
        eo, eg = etas[1 + nc], etas[2 + nc]
        z = np.array([0.0, 1.0])
        mu = eo[:, None] + eg[:, None] * z  # (n, 2)
        k = self._k
        spd = softplus(ed)
        log_a = np.stack([-spd, ed - spd], axis=1)
        log_a += self._lc + k * ec - J * softplus(ec)
        if self.linear:
            ls = etas[3 + nc]
            s2 = np.exp(2 * ls)[:, None]
            r = self.v[:, None] - mu
            log_a += -_HALF_LOG_2PI - ls[:, None] - r * r / (2 * s2)
        else:
            log_a += self.v[:, None] * mu - softplus(mu)
        if order < 1:
            return log_a, None, None
        n, B = len(ed), len(etas)
        s = np.zeros((n, 2, B))
        g = expit(ed)[:, None]
        s[:, :, 0] = z - g
        pc = expit(ec)
        sc = k - J * pc
        if nc == 1:
            s[:, :, 1] = sc
        else:
            s[:, 0, 1] = sc[:, 0]
            s[:, 1, 2] = sc[:, 1]
        io, ig = 1 + nc, 2 + nc
        if self.linear:
            so = r / s2
            s[:, :, io] = so
            s[:, 1, ig] = so[:, 1]
            s[:, :, 3 + nc] = r * r / s2 - 1
        else:
            q = expit(mu)
            so = self.v[:, None] - q
            s[:, :, io] = so
            s[:, 1, ig] = so[:, 1]
        if order < 2:
            return log_a, s, None
        h = np.zeros((n, 2, B, B))
        h[:, :, 0, 0] = -(g * (1 - g))
        hc = -J * pc * (1 - pc)
        if nc == 1:
            h[:, :, 1, 1] = hc
        else:
            h[:, 0, 1, 1] = hc[:, 0]
            h[:, 1, 2, 2] = hc[:, 1]
        if self.linear:
            il = 3 + nc
            hoo = -1 / s2[:, 0]
            h[:, :, io, io] = hoo[:, None]
            h[:, 1, io, ig] = h[:, 1, ig, io] = h[:, 1, ig, ig] = hoo
            hol = -2 * so  # d2 / d mu d log sigma
            h[:, :, io, il] = h[:, :, il, io] = hol
            h[:, 1, ig, il] = h[:, 1, il, ig] = hol[:, 1]
            h[:, :, il, il] = -2 * r * r / s2
        else:
            hq = -q * (1 - q)
            h[:, :, io, io] = hq
            h[:, 1, io, ig] = h[:, 1, ig, io] = h[:, 1, ig, ig] = hq[:, 1]
        return log_a, s, h

    def derivs(self, etas, order, rows=None):
        log_a, s, h = self._components(etas, order)
        return mixture_derivs(log_a, s, h, order)

    def posterior(self, theta: np.ndarray) -> np.ndarray:
        """``P(Z_i = 1 | Y_i, T_i, V_i, x_i)`` at ``theta``."""
        log_a, _, _ = self._components(self.etas(theta), 0)
        return expit(log_a[:, 1] - log_a[:, 0])

    # ---- EM ----------------------------------------------------------------------
    def estep(self, theta: np.ndarray) -> np.ndarray:
        return self.posterior(theta)

    def mstep(self, theta: np.ndarray, w: np.ndarray, steps: int = 1) -> np.ndarray:
        """Generalised M step: Newton steps of the weighted logistic regression of ``w`` on
        X and of the binomial regressions of the expected control counts; the outcome
        regression on ``(X, Z)`` over both completions (weights ``1 - w``, ``w``): weighted
        least squares in closed form with ``sigma^2`` the weighted mean squared residual,
        or Newton steps of the weighted logistic regression."""
        vw = np.ones_like(self.y) if self.weights is None else self.weights
        blocks = self.split(theta)
        X, J = self.X, self.J
        out = [binomial_newton_step(X, blocks[0], w, 1.0, vw, steps)]
        if self.nc == 1:
            out.append(binomial_newton_step(X, blocks[1], self.y - self.t * w, J, vw, steps))
        else:
            k0, k1 = self._k[:, 0], self._k[:, 1]
            out.append(binomial_newton_step(X, blocks[1], (1 - w) * k0, J * (1 - w), vw, steps))
            out.append(binomial_newton_step(X, blocks[2], w * k1, J * w, vw, steps))
        beta, gamma = blocks[1 + self.nc], blocks[2 + self.nc]
        if self.linear:
            beta, gamma, ls = _wls_two_completions(X, self.v, w, vw)
            out += [beta, gamma, ls]
        else:
            for _ in range(steps):
                beta, gamma = _logit_two_completions(X, self.v, w, vw, beta, gamma)
            out += [beta, gamma]
        return np.concatenate(out)


def _wls_two_completions(
    X: np.ndarray, v: np.ndarray, w: np.ndarray, vw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares of ``v`` on ``(X, z)`` over the completions ``z = 0`` (weight
    ``1 - w``) and ``z = 1`` (weight ``w``), without stacking; ``log sigma`` from the
    weighted mean squared residual (the ML value)."""
    a = vw * w
    A = np.empty((X.shape[1] + 1,) * 2)
    A[:-1, :-1] = X.T @ (X * vw[:, None])
    A[:-1, -1] = A[-1, :-1] = X.T @ a
    A[-1, -1] = a.sum()
    b = np.append(X.T @ (vw * v), a @ v)
    coef = np.linalg.solve(A, b)
    beta, gamma = coef[:-1], coef[-1:]
    r0 = v - X @ beta
    r1 = r0 - gamma[0]
    s2 = float(vw @ ((1 - w) * r0 * r0 + w * r1 * r1) / vw.sum())
    return beta, gamma, np.array([0.5 * np.log(s2)])


def _logit_two_completions(
    X: np.ndarray, v: np.ndarray, w: np.ndarray, vw: np.ndarray, beta: np.ndarray, gamma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One Newton step of the weighted logistic regression of ``v`` on ``(X, z)`` over the
    two completions (weights ``1 - w`` and ``w``), without stacking."""
    e0 = X @ beta
    q0, q1 = expit(e0), expit(e0 + gamma[0])
    u0, u1 = vw * (1 - w), vw * w
    g = np.append(X.T @ (u0 * (v - q0) + u1 * (v - q1)), u1 @ (v - q1))
    d1 = u1 * q1 * (1 - q1)
    A = np.empty((X.shape[1] + 1,) * 2)
    A[:-1, :-1] = X.T @ (X * (u0 * q0 * (1 - q0) + d1)[:, None])
    A[:-1, -1] = A[-1, :-1] = X.T @ d1
    A[-1, -1] = d1.sum()
    A[np.diag_indices_from(A)] += 1e-10 * (1 + np.abs(np.diag(A)))
    step = np.linalg.solve(A, g)
    return beta + step[:-1], gamma + step[-1:]


def joint_start(
    y: np.ndarray,
    t: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    J: int,
    outcome_model: str,
    constrained: bool,
    weights: np.ndarray | None,
    list_theta: np.ndarray,
) -> np.ndarray:
    """Starting values: the list experiment's own MLE ``list_theta`` (delta, psi) for the
    list part (``psi_0 = psi_1 = psi`` unconstrained), and for the outcome a regression on
    ``(X, g_i)`` with ``g_i`` the prior probability of the trait (least squares and its
    residual SD, or a logistic regression)."""
    k = X.shape[1]
    delta, psi = list_theta[:k], list_theta[k : 2 * k]
    g = expit(X @ delta)
    Xg = np.column_stack([X, g])
    vw = np.ones(len(y)) if weights is None else weights
    if outcome_model == "linear":
        A = Xg.T @ (Xg * vw[:, None])
        coef = np.linalg.lstsq(A, Xg.T @ (vw * v), rcond=None)[0]
        r = v - Xg @ coef
        tail = [np.array([0.5 * np.log(max(float(vw @ (r * r) / vw.sum()), 1e-12))])]
    else:
        coef = binomial_fit(Xg, v, 1.0, vw, maxiter=25, tol=1e-8)
        tail = []
    control = [psi] if constrained else [psi, psi]
    return np.concatenate([delta, *control, coef[:-1], coef[-1:], *tail])
