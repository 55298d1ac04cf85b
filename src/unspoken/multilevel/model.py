"""The marginal likelihood of the multilevel binomial list model, by adaptive Gauss–Hermite
quadrature.

Model (the standard list model of :mod:`unspoken.listexp.ml`, Imai 2011, with random
intercepts by area): respondent ``i`` of area ``a`` holds the trait ``Z_i ~ Bernoulli(
expit(x_i' delta + sigma_u b_a1))`` and would name ``Binomial(J, expit(x_i' psi + sigma_v
b_a2))`` control items, ``b_a ~ N(0, I_2)`` independently over areas (the two random
intercepts ``u_a = sigma_u b_a1`` and ``v_a = sigma_v b_a2`` are independent: a correlation
adds a parameter that 40–80 areas barely identify). Given ``b_a`` the respondents are the
standard model, so the per-respondent log-likelihood and its index derivatives are those of
:class:`~unspoken.listexp.ml.BinomialListModel`.

Each area's likelihood ``L_a = ∫ exp(h_a(b)) db`` with ``h_a(b) = sum_i l_i(b) + log phi_2(b)``
is integrated by adaptive Gauss–Hermite quadrature (Liu & Pierce 1994; Pinheiro & Bates
1995): a product grid of ``nodes`` x ``nodes`` normal quadrature points ``z_k`` is centred
at the area's mode ``b^_a`` and scaled by ``C_a``, the Cholesky factor of the inverse
curvature ``(-d2h_a/db2)^-1``, so ``L_a ≈ |C_a| 2π sum_k w_k exp(h_a(b^_a + C_a z_k) +
|z_k|^2 / 2)``. All areas and nodes are evaluated at once (arrays respondents x nodes).

With the nodes held fixed, the approximation is a smooth function of theta = (delta, psi,
log sigma_u, log sigma_v) whose gradient and Hessian are exact and analytic (posterior node
weights ``pi_ak``: gradient ``sum_k pi_ak g_ak``, Hessian ``sum_k pi_ak H_ak + Var_pi(g_ak)``).
:func:`fit_multilevel` alternates Newton maximisation (the shared
:func:`~unspoken.inference.likelihood.newton_maximize`) at fixed nodes with re-centring the
nodes at the new modes until a re-centring no longer moves the maximum (the scheme of
Rizopoulos' GLMMadaptive). The fixed point is the maximum of the quadrature objective up to
the quadrature error. With one node (the Laplace approximation) that fixed point would be the
joint mode of theta and b, whose variance components are biased towards 0, so
:func:`fit_laplace` maximises the Laplace objective itself, its nodes moving with theta
(a numerical gradient: central differences with the modes found again at every point).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import expit, logit, logsumexp

from unspoken.inference.likelihood import OptimResult, newton_maximize
from unspoken.listexp.ml import BinomialListModel

__all__ = ["MultilevelListModel", "Nodes", "fit_multilevel"]


@dataclass
class Nodes:
    """Adapted quadrature nodes: ``b`` (areas, K, 2) points, ``logc`` (areas, K) the log
    constants ``log(w_k |C_a| 2π) + |z_k|^2/2``, the modes and the Cholesky factors."""

    b: np.ndarray
    logc: np.ndarray
    mode: np.ndarray
    chol: np.ndarray


class MultilevelListModel:
    """Patterns (respondents with the same area, count, arm and covariates) sorted by area:
    ``y``, ``t``, ``X``, ``area`` (0..A-1, non-decreasing), ``freq`` (respondents per
    pattern), ``J`` and the number of quadrature ``nodes`` per dimension."""

    def __init__(self, y, t, X, area, freq, J: int, nodes: int = 7) -> None:
        self.X = np.asarray(X, dtype=float)
        self.area = np.asarray(area, dtype=np.intp)
        self.freq = np.asarray(freq, dtype=float)
        self.A = int(self.area.max()) + 1
        self.starts = np.searchsorted(self.area, np.arange(self.A))
        self.k = self.X.shape[1]
        self.J = int(J)
        # (n, 1) data broadcast against (n, K) indices: one row per pattern, one column per node
        self.base = BinomialListModel(
            np.asarray(y, float)[:, None], np.asarray(t, float)[:, None], self.X, J
        )
        z, w = hermegauss(nodes)
        w = w / w.sum()
        zz = np.stack(np.meshgrid(z, z, indexing="ij"), -1).reshape(-1, 2)
        self.z = zz  # (K, 2)
        self.logw = (np.log(w)[:, None] + np.log(w)[None, :]).ravel() + 0.5 * (zz**2).sum(1)

    @property
    def n_params(self) -> int:
        return 2 * self.k + 2

    def _sum(self, v: np.ndarray) -> np.ndarray:
        """Frequency-weighted sums over each area's patterns (first axis)."""
        f = self.freq.reshape((-1,) + (1,) * (v.ndim - 1))
        return np.add.reduceat(v * f, self.starts, axis=0)

    def _indices(self, theta: np.ndarray, b: np.ndarray):
        """Indices at points ``b`` (areas, K, 2): (n, K) each, and the SDs."""
        k = self.k
        su, sv = np.exp(theta[2 * k]), np.exp(theta[2 * k + 1])
        ba = b[self.area]  # (n, K, 2)
        ed = (self.X @ theta[:k])[:, None] + su * ba[..., 0]
        ep = (self.X @ theta[k : 2 * k])[:, None] + sv * ba[..., 1]
        return ed, ep, su, sv, ba

    # ---- the modes and curvatures of h_a (vectorised over areas)
    def _h_b(self, theta, b, order):
        ed, ep, su, sv, _ = self._indices(theta, b)
        ll, d1, d2 = self.base.derivs([ed, ep], order)
        h = self._sum(ll)[..., 0] - 0.5 * (b[:, 0] ** 2).sum(-1)
        if order == 0:
            return h, None, None
        g = np.stack([su * self._sum(d1[0]), sv * self._sum(d1[1])], -1)[:, 0] - b[:, 0]
        H = np.empty((self.A, 2, 2))
        H[:, 0, 0] = su * su * self._sum(d2[(0, 0)])[:, 0] - 1
        H[:, 1, 1] = sv * sv * self._sum(d2[(1, 1)])[:, 0] - 1
        H[:, 0, 1] = H[:, 1, 0] = su * sv * self._sum(d2[(0, 1)])[:, 0]
        return h, g, H

    def adapt(self, theta: np.ndarray, start: np.ndarray | None = None) -> Nodes:
        """Nodes centred at each area's mode (Newton with step halving per area)."""
        b = np.zeros((self.A, 1, 2)) if start is None else start.reshape(self.A, 1, 2).copy()
        h, g, H = self._h_b(theta, b, 2)
        for _ in range(100):
            vals, vecs = np.linalg.eigh(-H)
            vals = np.maximum(vals, 1e-6)  # an ascent direction where -H is not definite
            step = np.einsum("aij,aj,akj,ak->ai", vecs, 1 / vals, vecs, g)
            t = np.ones(self.A)
            for _ in range(30):
                cand = b + (t[:, None] * step)[:, None, :]
                hc = self._h_b(theta, cand, 0)[0]
                bad = ~(hc >= h - 1e-12 * np.abs(h))
                if not bad.any():
                    break
                t = np.where(bad, t / 2, t)
            b, h_old = cand, h
            h, g, H = self._h_b(theta, b, 2)
            if np.max(np.abs(t[:, None] * step)) < 1e-9 or np.max(np.abs(h - h_old)) < 1e-13:
                break
        A = -H
        try:
            C = np.linalg.cholesky(np.linalg.inv(A))
        except np.linalg.LinAlgError:
            vals, vecs = np.linalg.eigh(A)
            A = (vecs * np.maximum(vals, 1e-6)[:, None, :]) @ np.swapaxes(vecs, 1, 2)
            C = np.linalg.cholesky(np.linalg.inv(A))
        mode = b[:, 0]
        pts = mode[:, None, :] + np.einsum("aij,kj->aki", C, self.z)
        logdet = np.log(C[:, 0, 0] * C[:, 1, 1])
        logc = self.logw[None, :] + (logdet + np.log(2 * np.pi))[:, None]
        return Nodes(pts, logc, mode, C)

    # ---- the quadrature objective at fixed nodes
    def evaluate(self, theta: np.ndarray, nodes: Nodes, order: int = 2):
        """``(loglik, gradient, Hessian)`` of the quadrature at fixed ``nodes`` (exact)."""
        k = self.k
        ed, ep, su, sv, ba = self._indices(theta, nodes.b)
        ll, d1, d2 = self.base.derivs([ed, ep], order)
        h = self._sum(ll) - 0.5 * (nodes.b**2).sum(-1) - np.log(2 * np.pi)  # (A, K)
        lw = nodes.logc + h
        la = logsumexp(lw, axis=1)
        total = float(la.sum())
        if order == 0:
            return total, None, None
        pi = np.exp(lw - la[:, None])  # (A, K) posterior node weights
        X, f = self.X, self.freq[:, None]
        s1, s2 = su * ba[..., 0], sv * ba[..., 1]  # d eta / d log sigma, (n, K)
        # per area and node gradient of h: (A, K, P) in the order delta, psi, log su, log sv
        gak = np.concatenate(
            [
                self._sum(d1[0][..., None] * X[:, None, :]),
                self._sum(d1[1][..., None] * X[:, None, :]),
                self._sum(d1[0] * s1)[..., None],
                self._sum(d1[1] * s2)[..., None],
            ],
            -1,
        )
        grad = np.einsum("ak,akp->p", pi, gak)
        if order < 2:
            return total, grad, None
        wi = pi[self.area] * f  # (n, K)
        P = 2 * k + 2
        blocks = ((slice(0, k), 2 * k, s1), (slice(k, 2 * k), 2 * k + 1, s2))  # delta, psi
        Hm = np.zeros((P, P))
        for i, j in ((0, 0), (1, 1), (0, 1)):
            (a, sa, ea), (b, sb, eb) = blocks[i], blocks[j]
            W = wi * d2[(i, j)]
            B = np.zeros((P, P))
            B[a, b] = X.T @ (X * W.sum(1)[:, None])
            B[a, sb] = X.T @ (W * eb).sum(1)
            B[sa, b] = X.T @ (W * ea).sum(1)
            B[sa, sb] = float((W * ea * eb).sum())
            Hm += B if i == j else B + B.T
        # second derivative of the index in log sigma: d2 eta / d(log s)^2 = s b
        Hm[2 * k, 2 * k] += float(np.sum(wi * d1[0] * s1))
        Hm[P - 1, P - 1] += float(np.sum(wi * d1[1] * s2))
        ga = np.einsum("ak,akp->ap", pi, gak)
        Hm += np.einsum("akp,akq->pq", gak * pi[:, :, None], gak) - ga.T @ ga  # E[gg'] - E[g]E[g]'
        return total, grad, (Hm + Hm.T) / 2

    def node_weights(self, theta: np.ndarray, nodes: Nodes) -> tuple[np.ndarray, np.ndarray]:
        """The sensitive-item indices at the nodes ``(n, K)`` and the posterior node weights
        of each area ``(A, K)`` (the posterior of ``b_a`` given theta)."""
        ed, ep, *_ = self._indices(theta, nodes.b)
        ll = self.base.derivs([ed, ep], 0)[0]
        lw = nodes.logc + self._sum(ll) - 0.5 * (nodes.b**2).sum(-1)
        return ed, np.exp(lw - logsumexp(lw, axis=1)[:, None])

    def shares(self, theta: np.ndarray, nodes: Nodes) -> np.ndarray:
        """Per area (rows): the posterior mean and variance of its respondents' average
        hidden share ``s_a = mean_i expit(x_i' delta + u_a)``, and of ``logit(s_a)`` (the node
        weights are the posterior of ``b_a`` given theta), shape ``(A, 4)``."""
        ed, pi = self.node_weights(theta, nodes)
        n_a = np.add.reduceat(self.freq, self.starts)
        s_ak = self._sum(expit(ed)) / n_a[:, None]  # (A, K)
        out = []
        for v in (s_ak, logit(np.clip(s_ak, 1e-300, 1 - 1e-16))):
            m = (pi * v).sum(1)
            out += [m, (pi * (v - m[:, None]) ** 2).sum(1)]
        return np.column_stack(out)


def fit_multilevel(
    model: MultilevelListModel,
    theta0: np.ndarray,
    maxiter: int = 200,
    tol: float = 1e-10,
    max_rounds: int = 30,
) -> tuple[OptimResult, Nodes, int]:
    """Newton at fixed nodes, re-centring the nodes after each maximisation, until the
    maximum at re-centred nodes needs no Newton step (decrement below ``tol`` at once).
    Returns the last optimiser result (its report counting the Newton iterations of all
    rounds), the nodes it used and the number of rounds."""
    theta = np.asarray(theta0, dtype=float)
    nodes = model.adapt(theta)
    res, total, rounds, fixed_point = None, 0, 0, False
    while rounds < max_rounds:
        rounds += 1
        res = newton_maximize(
            lambda th, order, nd=nodes: model.evaluate(th, nd, order), theta, maxiter, tol
        )
        total += res.iterations
        moved = float(np.max(np.abs(res.theta - theta)))
        theta = res.theta
        nodes = model.adapt(theta, nodes.mode)
        if res.converged and (res.iterations <= 1 or moved < 1e-7):
            res = newton_maximize(
                lambda th, order, nd=nodes: model.evaluate(th, nd, order), theta, maxiter, tol
            )
            total += res.iterations
            fixed_point = True
            break
        if not res.converged:
            break
    assert res is not None
    # the report counts the Newton iterations of all rounds
    res.report = replace(res.report, iterations=total)
    if res.converged and not fixed_point:
        res.report = replace(
            res.report,
            converged=False,
            message=f"the quadrature nodes still moved the maximum after {max_rounds} rounds",
        )
    return res, nodes, rounds


#: relative step of the central differences of the Laplace objective
LAPLACE_STEP = 1e-5


def fit_laplace(model: MultilevelListModel, theta0: np.ndarray, tol: float = 1e-8):
    """The Laplace approximation (one node per area, ``model`` built with ``nodes=1``)
    maximised as it is: its nodes move with theta, so its gradient is taken by central
    differences of the objective with the modes found again at every point (numerical
    gradient, and a Hessian by central differences of that gradient, in the shared
    :func:`~unspoken.inference.likelihood.newton_maximize`). Start from a quadrature fit.
    Returns the optimiser result and the nodes at its estimate."""
    warm = {"mode": model.adapt(np.asarray(theta0, dtype=float)).mode}

    def q(th: np.ndarray) -> float:
        nd = model.adapt(th, warm["mode"])
        return model.evaluate(th, nd, 0)[0]

    def grad(th: np.ndarray) -> np.ndarray:
        g = np.empty(th.size)
        for j in range(th.size):  # a loop over the few parameters, not over respondents
            e = np.zeros(th.size)
            e[j] = LAPLACE_STEP * max(1.0, abs(th[j]))
            g[j] = (q(th + e) - q(th - e)) / (2 * e[j])
        return g

    def fun(th: np.ndarray, order: int):
        ll = q(th)
        return ll, (grad(th) if order >= 1 else None), None

    res = newton_maximize(fun, theta0, maxiter=50, tol=tol)
    return res, model.adapt(res.theta, warm["mode"])
