"""The marginal likelihood of the multilevel list (and direct-question) model, by adaptive
Gauss–Hermite quadrature.

Model (the standard list model of :mod:`unspoken.listexp.ml`, Imai 2011, with area effects):
respondent ``i`` of area ``a`` holds the trait ``Z_i ~ Bernoulli(expit(x_i' delta + u_a
[+ z_i s_a]))`` and would name ``Binomial(J, expit(x_i' psi + v_a))`` control items; asked
directly (``direct``), they say "support" with probability ``expit(x_i' gamma + w_a)``. The
area effects are linear in independent standard normals ``b_a ~ N(0, I_D)`` through
loadings (:class:`Loading`): ``u_a = sigma_u b_a1``, ``v_a = sigma_v b_a2``, the random
slope ``s_a = sigma_s b_a3`` and ``w_a = l_wu b_a1 + l_ww b_aD`` — the Cholesky factor of
the covariance of ``(u_a, w_a)``, so the hidden and the said shares of an area may be
correlated (``rho = l_wu / sqrt(l_wu^2 + l_ww^2)``) while ``v_a`` and ``s_a`` are independent
(a full covariance adds parameters that 40–80 areas barely identify). List and direct answers
are conditionally independent given the area effects and covariates (a composite likelihood
when the same respondents answered both). Given ``b_a`` the respondents are the standard
models, so the per-respondent log-likelihood and its index derivatives are those of
:class:`~unspoken.listexp.ml.BinomialListModel` and of the logistic regression.

Each area's likelihood ``L_a = ∫ exp(h_a(b)) db`` with ``h_a(b) = sum_i l_i(b) + log phi_D(b)``
is integrated by adaptive Gauss–Hermite quadrature (Liu & Pierce 1994; Pinheiro & Bates
1995): a product grid of ``nodes^D`` normal quadrature points ``z_k`` is centred at the
area's mode ``b^_a`` and scaled by ``C_a``, the Cholesky factor of the inverse curvature
``(-d2h_a/db2)^-1``, so ``L_a ≈ |C_a| (2π)^(D/2) sum_k w_k exp(h_a(b^_a + C_a z_k) +
|z_k|^2 / 2)``. All areas and nodes are evaluated at once (arrays respondents x nodes).

With the nodes held fixed, the approximation is a smooth function of theta = (delta, psi
[, gamma], loadings) whose gradient and Hessian are exact and analytic (posterior node
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
from itertools import product

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import expit, logit, logsumexp

from unspoken.inference.likelihood import OptimResult, newton_maximize
from unspoken.listexp.ml import BinomialListModel

__all__ = ["Loading", "MultilevelListModel", "Nodes", "fit_multilevel", "loadings_for"]

#: the rate of the Gamma(2, RATE) prior of each SD (logit scale): mode 1, mean 2
RATE = 1.0

#: the linear indices of the model: 0 the sensitive item, 1 the control items, 2 the direct
#: question
SENSITIVE, CONTROL, DIRECT = 0, 1, 2


@dataclass(frozen=True)
class Loading:
    """One coefficient of the area effects on the standard normals: index ``index`` gets
    ``value * z_i * b_a[dim]`` with ``z_i`` = 1 (an intercept) or column ``slope`` of X (a
    random slope); ``log``: the parameter is the log of the (positive) value."""

    index: int
    dim: int
    log: bool
    slope: int | None
    name: str


def loadings_for(direct: bool, slope: int | None, correlated: bool = True) -> list[Loading]:
    """The loadings of the model: sensitive and control intercepts, the random slope of X's
    column ``slope`` (sensitive item), the direct question's loadings on the sensitive
    intercept's normal and on its own."""
    out = [
        Loading(SENSITIVE, 0, True, None, "sensitive"),
        Loading(CONTROL, 1, True, None, "control"),
    ]
    if slope is not None:
        out.append(Loading(SENSITIVE, 2, True, slope, "slope"))
    if direct:
        D = len(out)
        if correlated:
            out.append(Loading(DIRECT, 0, False, None, "direct|sensitive"))
        out.append(Loading(DIRECT, D, True, None, "direct"))
    return out


@dataclass
class Nodes:
    """Adapted quadrature nodes: ``b`` (areas, K, D) points, ``logc`` (areas, K) the log
    constants ``log(w_k |C_a| (2π)^(D/2)) + |z_k|^2/2``, the modes and the Cholesky
    factors."""

    b: np.ndarray
    logc: np.ndarray
    mode: np.ndarray
    chol: np.ndarray


class MultilevelListModel:
    """Patterns (respondents with the same area, answers, arm and covariates) sorted by area:
    ``y``, ``t``, ``X``, ``area`` (0..A-1, non-decreasing), ``freq`` (respondents per
    pattern), ``J`` and the number of quadrature ``nodes`` per dimension. With a direct
    question: ``d`` (1 = says "support") and the masks ``in_list`` / ``in_direct`` of the
    patterns that answered each part, ``correlated``: the said area effect loads on the
    hidden one's normal; ``slope``: the column of X with a random slope; ``penalized``: the
    boundary penalty on the SDs (:meth:`_penalty_mask`)."""

    def __init__(
        self,
        y,
        t,
        X,
        area,
        freq,
        J: int,
        nodes: int = 7,
        *,
        d=None,
        in_list=None,
        in_direct=None,
        slope: int | None = None,
        correlated: bool = True,
        penalized: bool = True,
    ) -> None:
        self.X = np.asarray(X, dtype=float)
        n = self.X.shape[0]
        self.area = np.asarray(area, dtype=np.intp)
        self.freq = np.asarray(freq, dtype=float)
        self.A = int(self.area.max()) + 1
        self.starts = np.searchsorted(self.area, np.arange(self.A))
        self.n_area = np.add.reduceat(self.freq, self.starts)
        self.k = self.X.shape[1]
        self.J = int(J)
        self.has_direct = d is not None
        self.n_index = 3 if self.has_direct else 2
        # (n, 1) data broadcast against (n, K) indices: one row per pattern, one column per node
        self.base = BinomialListModel(
            np.asarray(y, float)[:, None], np.asarray(t, float)[:, None], self.X, J
        )
        ones = np.ones((n, 1))
        self.in_list = ones if in_list is None else np.asarray(in_list, float)[:, None]
        if self.has_direct:
            self.d = np.asarray(d, float)[:, None]
            self.in_direct = ones if in_direct is None else np.asarray(in_direct, float)[:, None]
        self.loadings = loadings_for(self.has_direct, slope, correlated)
        self.correlated = self.has_direct and correlated
        self.penalized = bool(penalized)
        self.D = max(ld.dim for ld in self.loadings) + 1
        self.zcol = [self._zcol(self.X, ld) for ld in self.loadings]
        z, w = hermegauss(nodes)
        w = w / w.sum()
        idx = np.array(list(product(range(nodes), repeat=self.D)))
        self.z = z[idx]  # (K, D)
        self.logw = np.log(w)[idx].sum(1) + 0.5 * (self.z**2).sum(1)

    @staticmethod
    def _zcol(X: np.ndarray, ld: Loading) -> np.ndarray:
        return np.ones((X.shape[0], 1)) if ld.slope is None else X[:, ld.slope, None]

    @property
    def n_params(self) -> int:
        return self.n_index * self.k + len(self.loadings)

    def loading_values(self, theta: np.ndarray) -> np.ndarray:
        """The loadings' values (exp of the log-parametrised ones)."""
        raw = np.asarray(theta[self.n_index * self.k :], dtype=float)
        logs = np.array([ld.log for ld in self.loadings])
        return np.where(logs, np.exp(np.where(logs, raw, 0.0)), raw)

    def penalty(self, theta: np.ndarray, order: int = 0):
        """The log prior density of the loadings in theta's coordinates (when
        ``penalized``) and, with ``order`` 2, its gradient and (diagonal) Hessian: each SD
        ``l = exp(theta_m)`` has a Gamma(2, RATE) prior, whose density in ``log l`` is
        ``2 log l - RATE l`` (Chung et al. 2013's boundary-avoiding prior, with a rate > 0
        because a list experiment's likelihood does not fall as an SD grows, so with rate 0
        the penalised maximum can be infinite); the said effect's loading on the hidden
        one has a N(0, 1/RATE^2) prior, ``-(RATE l)^2/2``. The maximum of likelihood +
        penalty is then the posterior mode of theta, the centre of the normal approximation
        to its posterior that the area estimates integrate over (the priors of
        ``method="bayes"``)."""
        raw = np.asarray(theta[self.n_index * self.k :], dtype=float)
        L = len(self.loadings)
        if not self.penalized:
            return 0.0 if order == 0 else (0.0, np.zeros(L), np.zeros(L))
        logs = np.array([ld.log for ld in self.loadings])
        e = np.exp(np.where(logs, raw, 0.0))
        val = float(np.where(logs, 2 * raw - RATE * e, -0.5 * (RATE * raw) ** 2).sum())
        if order == 0:
            return val
        grad = np.where(logs, 2 - RATE * e, -(RATE**2) * raw)
        return val, grad, np.where(logs, -RATE * e, -(RATE**2))

    def _sum(self, v: np.ndarray) -> np.ndarray:
        """Frequency-weighted sums over each area's patterns (first axis)."""
        f = self.freq.reshape((-1,) + (1,) * (v.ndim - 1))
        return np.add.reduceat(v * f, self.starts, axis=0)

    def index_at(self, theta, X, b, zcol=None, which=None) -> list[np.ndarray]:
        """The linear indices ``(rows, K)`` of rows ``X`` at points ``b`` (rows, K, D):
        ``X beta_j + sum of loading * z * b[dim]`` for ``which`` indices (default all)."""
        k, lv = self.k, self.loading_values(theta)
        zcol = [self._zcol(X, ld) for ld in self.loadings] if zcol is None else zcol
        out = []
        for j in range(self.n_index) if which is None else which:
            eta = (X @ theta[j * k : (j + 1) * k])[:, None] + 0.0 * b[..., 0]
            for m, ld in enumerate(self.loadings):
                if ld.index == j:
                    eta = eta + lv[m] * zcol[m] * b[..., ld.dim]
            out.append(eta)
        return out

    def _derivs(self, etas: list[np.ndarray], order: int):
        """Log-likelihood of each pattern at each node and its index derivatives (d1 per
        index, d2 per pair of indices), the parts a pattern did not answer left out."""
        ll, d1, d2 = self.base.derivs(etas[:2], order)
        m = self.in_list
        ll = ll * m
        if order >= 1:
            d1 = [g * m for g in d1]
        if order >= 2:
            d2 = {key: v * m for key, v in d2.items()}
        if self.has_direct:
            e, md = etas[DIRECT], self.in_direct
            ll = ll + md * (self.d * e - np.logaddexp(0.0, e))
            if order >= 1:
                p = expit(e)
                d1.append(md * (self.d - p))
                if order >= 2:
                    d2[(DIRECT, DIRECT)] = -md * p * (1 - p)
        return ll, d1, d2

    # ---- the modes and curvatures of h_a (vectorised over areas)
    def _h_b(self, theta, b, order):
        """``h_a`` at points ``b`` (A, K', D), its gradient and Hessian in ``b``."""
        etas = self.index_at(theta, self.X, b[self.area], self.zcol)
        ll, d1, d2 = self._derivs(etas, order)
        h = self._sum(ll) - 0.5 * (b**2).sum(-1)
        if order == 0:
            return h, None, None
        lv = self.loading_values(theta)
        g = -b.copy()
        H = np.zeros((*b.shape, self.D))
        H[..., np.arange(self.D), np.arange(self.D)] = -1.0
        for m, lm in enumerate(self.loadings):
            g[..., lm.dim] += lv[m] * self._sum(d1[lm.index] * self.zcol[m])
            for q, lq in enumerate(self.loadings):
                key = (min(lm.index, lq.index), max(lm.index, lq.index))
                if key in d2:
                    zz = self.zcol[m] * self.zcol[q]
                    H[..., lm.dim, lq.dim] += lv[m] * lv[q] * self._sum(d2[key] * zz)
        return h, g, H

    def adapt(self, theta: np.ndarray, start: np.ndarray | None = None) -> Nodes:
        """Nodes centred at each area's mode (Newton with step halving per area)."""
        D = self.D
        b = np.zeros((self.A, 1, D)) if start is None else start.reshape(self.A, 1, D).copy()
        h, g, H = self._h_b(theta, b, 2)
        for _ in range(100):
            vals, vecs = np.linalg.eigh(-H[:, 0])
            vals = np.maximum(vals, 1e-6)  # an ascent direction where -H is not definite
            step = np.einsum("aij,aj,akj,ak->ai", vecs, 1 / vals, vecs, g[:, 0])
            t = np.ones(self.A)
            for _ in range(30):
                cand = b + (t[:, None] * step)[:, None, :]
                hc = self._h_b(theta, cand, 0)[0]
                bad = ~(hc >= h - 1e-12 * np.abs(h))
                if not bad.any():
                    break
                t = np.where(bad[:, 0], t / 2, t)
            b, h_old = cand, h
            h, g, H = self._h_b(theta, b, 2)
            if np.max(np.abs(t[:, None] * step)) < 1e-9 or np.max(np.abs(h - h_old)) < 1e-13:
                break
        Aq = -H[:, 0]
        try:
            C = np.linalg.cholesky(np.linalg.inv(Aq))
        except np.linalg.LinAlgError:
            vals, vecs = np.linalg.eigh(Aq)
            Aq = (vecs * np.maximum(vals, 1e-6)[:, None, :]) @ np.swapaxes(vecs, 1, 2)
            C = np.linalg.cholesky(np.linalg.inv(Aq))
        mode = b[:, 0]
        pts = mode[:, None, :] + np.einsum("aij,kj->aki", C, self.z)
        logdet = np.log(np.diagonal(C, axis1=1, axis2=2)).sum(1)
        logc = self.logw[None, :] + (logdet + 0.5 * D * np.log(2 * np.pi))[:, None]
        return Nodes(pts, logc, mode, C)

    # ---- the quadrature objective at fixed nodes
    def _lw(self, theta: np.ndarray, nodes: Nodes, order: int):
        ba = nodes.b[self.area]  # (n, K, D)
        etas = self.index_at(theta, self.X, ba, self.zcol)
        ll, d1, d2 = self._derivs(etas, order)
        h = self._sum(ll) - 0.5 * (nodes.b**2).sum(-1) - 0.5 * self.D * np.log(2 * np.pi)
        return nodes.logc + h, etas, d1, d2, ba

    def evaluate(self, theta: np.ndarray, nodes: Nodes, order: int = 2):
        """``(loglik, gradient, Hessian)`` of the quadrature at fixed ``nodes`` (exact)."""
        k, r = self.k, self.n_index
        lw, _, d1, d2, ba = self._lw(theta, nodes, order)
        la = logsumexp(lw, axis=1)
        pen, pen_g, pen_h = self.penalty(theta, 2)
        total = float(la.sum()) + pen
        if order == 0:
            return total, None, None
        pi = np.exp(lw - la[:, None])  # (A, K) posterior node weights
        X, f = self.X, self.freq[:, None]
        lv = self.loading_values(theta)
        # d eta / d theta_m of each loading, (n, K)
        e = [
            (lv[m] if ld.log else 1.0) * self.zcol[m] * ba[..., ld.dim]
            for m, ld in enumerate(self.loadings)
        ]
        # per area and node gradient of h: (A, K, P), fixed effects then loadings
        gak = np.concatenate(
            [self._sum(d1[j][..., None] * X[:, None, :]) for j in range(r)]
            + [self._sum(d1[ld.index] * e[m])[..., None] for m, ld in enumerate(self.loadings)],
            -1,
        )
        grad = np.einsum("ak,akp->p", pi, gak)
        grad[r * k :] += pen_g
        if order < 2:
            return total, grad, None
        wi = pi[self.area] * f  # (n, K)
        P = self.n_params
        pos = {m: r * k + m for m in range(len(self.loadings))}
        Hm = np.zeros((P, P))
        for (i, j), d2v in d2.items():
            W = wi * d2v
            B = np.zeros((P, P))
            si, sj = slice(i * k, (i + 1) * k), slice(j * k, (j + 1) * k)
            B[si, sj] = X.T @ (X * W.sum(1)[:, None])
            for m, ld in enumerate(self.loadings):
                if ld.index == j:
                    B[si, pos[m]] = X.T @ (W * e[m]).sum(1)
                if ld.index == i:
                    B[pos[m], sj] = X.T @ (W * e[m]).sum(1)
                    for q, lq in enumerate(self.loadings):
                        if lq.index == j:
                            B[pos[m], pos[q]] = float((W * e[m] * e[q]).sum())
            Hm += B if i == j else B + B.T
        # second derivative of the index in a log loading: d2 eta / d(log l)^2 = l z b
        for m, ld in enumerate(self.loadings):
            if ld.log:
                Hm[pos[m], pos[m]] += float(np.sum(wi * d1[ld.index] * e[m]))
        ga = np.einsum("ak,akp->ap", pi, gak)
        Hm += np.einsum("akp,akq->pq", gak * pi[:, :, None], gak) - ga.T @ ga  # E[gg'] - E[g]E[g]'
        Hm[r * k :, r * k :] += np.diag(pen_h)
        return total, grad, (Hm + Hm.T) / 2

    def node_weights(self, theta: np.ndarray, nodes: Nodes) -> tuple[list[np.ndarray], np.ndarray]:
        """The indices at the nodes (a list of ``(n, K)``) and the posterior node weights of
        each area ``(A, K)`` (the posterior of ``b_a`` given theta)."""
        lw, etas, *_ = self._lw(theta, nodes, 0)
        return etas, np.exp(lw - logsumexp(lw, axis=1)[:, None])

    def shares(self, theta: np.ndarray, nodes: Nodes) -> dict[str, np.ndarray]:
        """Per area: posterior moments of its respondents' average hidden share ``s_a =
        mean_i expit(x_i' delta + u_a [+ z_i s_a])`` (and with a direct question of the said
        share and of the gap ``hidden - said``) given theta (the node weights are the
        posterior of ``b_a``): :func:`share_moments`."""
        etas, pi = self.node_weights(theta, nodes)
        s = {
            q: self._sum(expit(etas[j])) / self.n_area[:, None]
            for q, j in (("hidden", SENSITIVE), ("direct", DIRECT))
            if j < len(etas)
        }
        return share_moments(s, pi)


def share_moments(s: dict[str, np.ndarray], pi: np.ndarray) -> dict[str, np.ndarray]:
    """Posterior moments of the shares ``s[q]`` (areas, K) under node weights ``pi``:
    ``q`` -> (mean, var, mean of logit, var of logit) each over areas, ``gap`` -> (mean,
    var) of hidden - direct and ``cov_logit`` the covariance of the two logits."""
    out: dict[str, np.ndarray] = {}
    centred = {}
    for q, v in s.items():
        lv = logit(np.clip(v, 1e-300, 1 - 1e-16))
        m, ml = (pi * v).sum(1), (pi * lv).sum(1)
        centred[q] = lv - ml[:, None]
        out[q] = np.stack(
            [m, (pi * (v - m[:, None]) ** 2).sum(1), ml, (pi * centred[q] ** 2).sum(1)]
        )
    if "direct" in s:
        g = s["hidden"] - s["direct"]
        m = (pi * g).sum(1)
        out["gap"] = np.stack([m, (pi * (g - m[:, None]) ** 2).sum(1)])
        out["cov_logit"] = (pi * centred["hidden"] * centred["direct"]).sum(1)
    return out


#: Newton iterations (and the largest step in theta) between two re-centrings of the nodes
ROUND_ITERATIONS, ROUND_STEP = 10, 1.0


def fit_multilevel(
    model: MultilevelListModel,
    theta0: np.ndarray,
    maxiter: int = 200,
    tol: float = 1e-10,
    max_rounds: int = 60,
) -> tuple[OptimResult, Nodes, int]:
    """Newton at fixed nodes, re-centring the nodes after at most ``ROUND_ITERATIONS``
    steps of at most ``ROUND_STEP`` (the objective at fixed nodes is only accurate near the
    nodes' theta: far from it, e.g. at a huge SD, it can rise where the marginal likelihood
    does not), until the maximum at re-centred nodes needs no Newton step (decrement below
    ``tol`` at once). Returns the last optimiser result (its report counting the Newton
    iterations of all rounds), the nodes it used and the number of rounds."""
    theta = np.asarray(theta0, dtype=float)
    nodes = model.adapt(theta)
    res, total, rounds, fixed_point = None, 0, 0, False
    while rounds < max_rounds and total < maxiter:
        rounds += 1
        res = newton_maximize(
            lambda th, order, nd=nodes: model.evaluate(th, nd, order),
            theta,
            ROUND_ITERATIONS,
            tol,
            max_step=ROUND_STEP,
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
        if not res.converged and res.iterations < ROUND_ITERATIONS:
            break  # a failure of the line search, not the end of a round
    assert res is not None
    # the report counts the Newton iterations of all rounds
    res.report = replace(res.report, iterations=total)
    if not fixed_point:
        res.report = replace(
            res.report,
            converged=False,
            message=res.message
            if not res.converged and res.iterations < ROUND_ITERATIONS
            else f"the maximum still moved after {rounds} rounds of re-centred nodes "
            f"({total} Newton iterations)",
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
