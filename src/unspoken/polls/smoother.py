"""Exact smoother and log-likelihood of the poll-pooling model via its banded precision matrix.

The model (proportion scale; ``t`` indexes days or weeks, ``i`` polls, ``j(i)`` pollsters):

    alpha_t = alpha_{t-1} + omega_t,             omega_t ~ N(0, sigma^2)      (random walk)
    y_i     = sum_t w_it alpha_t + delta_j(i) + e_i,  e_i ~ N(0, v_i),
    v_i     = y_i (1 - y_i) / n_i + tau_j(i)^2                                 (sampling + extra)

where ``w_i`` spreads poll ``i`` evenly over the periods of its fieldwork. House effects are
``delta = C eta`` (``C`` encodes the identification: sum-to-zero contrasts, one pollster fixed
at zero, or all free when value anchors fix the level). Anchors are extra observations of one
``alpha_t`` without house effect, with variance ``se^2`` (soft) or exactly (``se = 0``).

Given the variances the model is linear-Gaussian. With a flat (diffuse) prior on the level and
on ``eta`` the joint posterior of ``x = (alpha, eta)`` has precision

    P = Q + B' V^{-1} B,   Q = blockdiag(D'D / sigma^2, 0),   B = [W, H C],

whose ``alpha`` block is banded (bandwidth = the longest fieldwork window in periods), plus a
dense border of width ``q = dim(eta)``. Its Cholesky factor gives the posterior mean (= the
Kalman/RTS smoother), the posterior variances (selected inversion) and the diffuse
(restricted) log-likelihood (de Jong 1991)

    log L = -1/2 [ (n - d) log 2 pi + log|V| - log|Q|_+ + log|P| + S(x_hat) - log|X'X| ],

``S(x) = (y - Bx)' V^{-1} (y - Bx) + x' Q x``, ``d = q + 1`` diffuse directions,
``|Q|_+ = T / sigma^{2(T-1)}`` (pseudo-determinant of the random-walk precision) and
``X = [1, H C]`` the design of the level and house effects (Harville's term, which makes the
value the same whichever way the house effects are identified). Exact
anchors are imposed by conditioning (their rows/columns are removed from ``P``), which is the
limit of soft anchors as ``se -> 0``. Cost: O(T b^2 + n b^2) per evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_solve_banded
from scipy.linalg.lapack import dpbtrf, dpbtrs

from unspoken.errors import DataError
from unspoken.inference.delta import delta_cov, delta_var, delta_var_rows

LOG2PI = float(np.log(2 * np.pi))


@dataclass
class Design:
    """Everything about the model that does not depend on the variance parameters."""

    T: int  # number of periods
    y: np.ndarray  # (n,) poll shares, proportion scale
    vb: np.ndarray  # (n,) binomial sampling variances
    house: np.ndarray  # (n,) pollster index 0..J-1
    C: np.ndarray  # (J, q) house effects = C @ eta
    W: sp.csr_matrix  # (n, T) fieldwork weights, rows sum to 1
    bw: int  # bandwidth of W'W (>= 1)
    pair_flat: np.ndarray  # flat index into the (bw+1, T) band for every pair of weights
    pair_poll: np.ndarray  # the poll each pair belongs to
    pair_w: np.ndarray  # product of the two weights
    soft_idx: np.ndarray  # periods of soft anchors
    soft_val: np.ndarray
    soft_var: np.ndarray
    exact_idx: np.ndarray  # periods of exact anchors (se = 0)
    exact_val: np.ndarray
    HC: np.ndarray | None = None  # (n, q) rows of C for each poll
    ent_poll: np.ndarray | None = None  # the non-zero entries of W: poll, period, weight
    ent_col: np.ndarray | None = None
    ent_w: np.ndarray | None = None
    logdet_x: float = 0.0

    def __post_init__(self) -> None:
        self.HC = np.ascontiguousarray(self.C[self.house])
        coo = self.W.tocoo()
        self.ent_poll = coo.row.astype(np.int64)
        self.ent_col = coo.col.astype(np.int64)
        self.ent_w = coo.data.astype(float)
        # 1/2 log|X'X| of the fixed-effect design X = [1, H C] (anchor rows: [1, 0]) makes the
        # restricted likelihood the same for every identification (Harville 1974)
        m = self.soft_idx.size + self.exact_idx.size
        X = np.vstack(
            [
                np.hstack([np.ones((self.n, 1)), self.HC]),
                np.hstack([np.ones((m, 1)), np.zeros((m, self.HC.shape[1]))]),
            ]
        )
        sign, ld = np.linalg.slogdet(X.T @ X)
        self.logdet_x = 0.5 * ld if sign > 0 else 0.0

    def Wt_dot(self, x: np.ndarray) -> np.ndarray:
        """``W' x`` for a vector over polls."""
        return np.bincount(self.ent_col, self.ent_w * x[self.ent_poll], minlength=self.T)

    def W_dot(self, a: np.ndarray) -> np.ndarray:
        """``W a`` for a vector over periods."""
        return np.bincount(self.ent_poll, self.ent_w * a[self.ent_col], minlength=self.n)

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def J(self) -> int:
        return int(self.C.shape[0])

    @property
    def q(self) -> int:
        return int(self.C.shape[1])


def build_design(
    y: np.ndarray,
    vb: np.ndarray,
    house: np.ndarray,
    C: np.ndarray,
    first: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray] | None,
    T: int,
    anchors: list[tuple[int, float, float]],
) -> Design:
    """Assemble the fixed structure.

    ``weights = (lens, wflat)``: poll ``i`` covers periods ``first[i] .. first[i] + lens[i] - 1``
    with the next ``lens[i]`` values of ``wflat`` (``None``: one period each).
    ``anchors`` are ``(period, value, se)``.
    """
    n = y.shape[0]
    first = np.asarray(first, dtype=np.int64)
    if weights is None:
        lens = np.ones(n, dtype=np.int64)
        wflat = np.ones(n)
    else:
        lens = np.asarray(weights[0], dtype=np.int64)
        wflat = np.asarray(weights[1], dtype=float)
    poll_of = np.repeat(np.arange(n), lens)
    offs = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    cols = np.repeat(first, lens) + offs
    W = sp.csr_matrix((wflat, (poll_of, cols)), shape=(n, T))
    bw = max(1, int(lens.max()) - 1 if n else 1)
    # all ordered pairs (r >= c) of entries within one poll: contribution w_r w_c / v_i to P[r, c]
    starts = np.cumsum(lens) - lens
    pf, pp, pw = [], [], []
    for L in np.unique(lens):
        ids = np.flatnonzero(lens == L)
        a, b = np.tril_indices(int(L))  # a >= b
        rows = starts[ids][:, None] + a[None, :]
        colsb = starts[ids][:, None] + b[None, :]
        r_period = cols[rows]
        c_period = cols[colsb]
        pf.append(((r_period - c_period) * T + c_period).ravel())
        pp.append(np.repeat(ids, a.size))
        pw.append((wflat[rows] * wflat[colsb]).ravel())
    soft = [(k, v, s) for k, v, s in anchors if s > 0]
    exact = [(k, v) for k, v, s in anchors if s == 0]
    return Design(
        T=T,
        y=np.asarray(y, float),
        vb=np.asarray(vb, float),
        house=np.asarray(house, np.int64),
        C=np.asarray(C, float),
        W=W,
        bw=bw,
        pair_flat=np.concatenate(pf) if pf else np.zeros(0, np.int64),
        pair_poll=np.concatenate(pp) if pp else np.zeros(0, np.int64),
        pair_w=np.concatenate(pw) if pw else np.zeros(0),
        soft_idx=np.array([k for k, _, _ in soft], dtype=np.int64),
        soft_val=np.array([v for _, v, _ in soft], dtype=float),
        soft_var=np.array([s * s for _, _, s in soft], dtype=float),
        exact_idx=np.array([k for k, _ in exact], dtype=np.int64),
        exact_val=np.array([v for _, v in exact], dtype=float),
    )


@dataclass
class Solution:
    """Posterior (smoothed) state and the pieces needed for its variances."""

    alpha: np.ndarray  # (T,) smoothed latent share
    eta: np.ndarray  # (q,)
    loglik: float
    cb: np.ndarray  # banded lower Cholesky factor of the (modified) alpha block
    Z: np.ndarray  # (T, q) P_aa^{-1} P_a,eta
    S_inv: np.ndarray  # (q, q) posterior covariance of eta
    v: np.ndarray  # (n,) total observation variances
    exact_idx: np.ndarray

    def delta(self, C: np.ndarray) -> np.ndarray:
        return C @ self.eta

    def delta_cov(self, C: np.ndarray) -> np.ndarray:
        return delta_cov(C, self.S_inv)

    def alpha_var(self) -> np.ndarray:
        """Posterior variances of every alpha_t (selected inversion of the banded factor)."""
        var = banded_inverse_diag(self.cb)
        if self.Z.shape[1]:
            var = var + delta_var_rows(self.Z, self.S_inv)
        var[self.exact_idx] = 0.0
        return var

    def contrast_var(self, c: np.ndarray) -> float:
        """Posterior variance of ``c' alpha`` for a vector ``c`` over periods."""
        c = np.array(c, float)
        c[self.exact_idx] = 0.0
        x = cho_solve_banded((self.cb, True), c)
        out = float(c @ x)
        if self.Z.shape[1]:
            zc = self.Z.T @ c
            out += delta_var(zc, self.S_inv)
        return out


def _band_matvec(band: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``P @ x`` for a symmetric matrix in lower band storage ``band[k, j] = P[j + k, j]``."""
    out = band[0] * x
    for k in range(1, band.shape[0]):
        out[k:] += band[k, :-k] * x[:-k]
        out[:-k] += band[k, :-k] * x[k:]
    return out


def solve(d: Design, sigma2: float, tau2: np.ndarray, full: bool = True) -> Solution:
    """Posterior mode/mean and diffuse log-likelihood for given variances.

    ``sigma2``: innovation variance per period; ``tau2``: (J,) extra variance per pollster.
    """
    T, bw = d.T, d.bw
    v = d.vb + tau2[d.house]
    if np.any(v <= 0):
        raise FloatingPointError("non-positive observation variance")
    iv = 1.0 / v
    band = np.bincount(d.pair_flat, d.pair_w * iv[d.pair_poll], minlength=(bw + 1) * T)
    band = band.reshape(bw + 1, T)
    prec = 1.0 / sigma2
    band[0, :-1] += prec
    band[0, 1:] += prec
    band[1, :-1] -= prec
    ivy = iv * d.y
    b_a = d.Wt_dot(ivy)
    HC = d.HC
    q = HC.shape[1]
    ivHC = HC * iv[:, None]
    P_ae = np.empty((T, q))
    for k in range(q):
        P_ae[:, k] = d.Wt_dot(ivHC[:, k])
    P_ee = HC.T @ ivHC
    b_e = HC.T @ ivy
    if d.soft_idx.size:
        np.add.at(band[0], d.soft_idx, 1.0 / d.soft_var)
        np.add.at(b_a, d.soft_idx, d.soft_val / d.soft_var)
    K = d.exact_idx
    if K.size:
        xK = np.zeros(T)
        xK[K] = d.exact_val
        b_a = b_a - _band_matvec(band, xK)
        b_e = b_e - P_ae[K].T @ d.exact_val
        b_a[K] = d.exact_val
        band[0, K] = 1.0
        for k in range(1, bw + 1):
            band[k, K[K + k < T]] = 0.0
            band[k, K[K - k >= 0] - k] = 0.0
        P_ae[K] = 0.0
    for k in range(1, bw + 1):
        band[k, T - k :] = 0.0
    cb, info = dpbtrf(band, lower=1)
    if info != 0:
        raise DataError(
            "the trend is not identified: some periods are tied to no poll and no anchor "
            "(check the anchors and the identification of house effects)"
        )
    for k in range(1, bw + 1):
        cb[k, T - k :] = 0.0
    logdet = 2.0 * float(np.sum(np.log(cb[0])))
    rhs = np.empty((T, 1 + q))
    rhs[:, 0] = b_a
    rhs[:, 1:] = P_ae
    sol_, info = dpbtrs(cb, rhs, lower=1)
    m0 = sol_[:, 0]
    if q:
        Z = sol_[:, 1:]
        S = P_ee - P_ae.T @ Z
        try:
            Ls = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            raise DataError(
                "house effects are not identified: choose sum-to-zero, one pollster fixed, "
                "or anchor the level with a value anchor"
            ) from None
        eta = np.linalg.solve(S, b_e - P_ae.T @ m0)
        alpha = m0 - Z @ eta
        logdet += 2.0 * float(np.sum(np.log(np.diag(Ls))))
        S_inv = np.linalg.inv(S) if full else np.zeros((q, q))
    else:
        Z = np.zeros((T, 0))
        eta = np.zeros(0)
        alpha = m0
        S_inv = np.zeros((0, 0))
    fitted = d.W_dot(alpha) + HC @ eta
    r = d.y - fitted
    quad = float(np.sum(r * r * iv)) + float(np.sum(np.diff(alpha) ** 2)) * prec
    logV = float(np.sum(np.log(v)))
    n_obs = d.n + K.size
    if d.soft_idx.size:
        ra = alpha[d.soft_idx] - d.soft_val
        quad += float(np.sum(ra * ra / d.soft_var))
        logV += float(np.sum(np.log(d.soft_var)))
        n_obs += d.soft_idx.size
    logQ = -(T - 1) * np.log(sigma2) + np.log(T)
    ndiffuse = q + 1
    loglik = -0.5 * ((n_obs - ndiffuse) * LOG2PI + logV - logQ + logdet + quad) + d.logdet_x

    return Solution(alpha, eta, float(loglik), cb, Z, S_inv, v, K)


def banded_inverse_diag(cb: np.ndarray) -> np.ndarray:
    """Diagonal of ``P^{-1}`` from the lower banded Cholesky factor ``cb`` of ``P``.

    Takahashi's recursion: for ``i = T-1 .. 0`` and ``j`` in ``i..i+b``,
    ``Sigma_ij = delta_ij / L_ii^2 - (1 / L_ii) sum_{k=i+1}^{i+b} L_ki Sigma_kj``;
    only the band of ``Sigma`` is ever formed (O(T b^2)).
    """
    b = cb.shape[0] - 1
    T = cb.shape[1]
    out = np.empty(T)
    if b == 1:
        # scalar recursion for the tridiagonal case
        d = cb[0].tolist()
        l1 = cb[1].tolist()
        s_next = 0.0
        for i in range(T - 1, -1, -1):
            lii = d[i]
            if i == T - 1:
                s_ii = 1.0 / (lii * lii)
            else:
                li = l1[i]
                s_off = -(li * s_next) / lii
                s_ii = 1.0 / (lii * lii) - li * s_off / lii
            out[i] = s_ii
            s_next = s_ii
        return out
    block = np.zeros((b, b))  # Sigma over indices i+1 .. i+b
    for i in range(T - 1, -1, -1):
        lii = cb[0, i]
        lcol = cb[1:, i]
        row = -(lcol @ block) / lii
        s_ii = 1.0 / (lii * lii) - float(lcol @ row) / lii
        out[i] = s_ii
        new = np.empty((b, b))
        new[0, 0] = s_ii
        new[0, 1:] = row[:-1]
        new[1:, 0] = row[:-1]
        new[1:, 1:] = block[:-1, :-1]
        block = new
    return out
