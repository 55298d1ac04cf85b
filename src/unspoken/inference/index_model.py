"""Log-likelihoods of linear indices, with exact derivatives (model-independent).

Models whose log-likelihood is a sum over respondents of ``l_i(eta_i1, ..., eta_iB)``, a
function of a few *linear indices* ``eta_ib = x_ib' theta_b`` (one per parameter block),
subclass :class:`IndexModel` and supply :meth:`IndexModel.derivs`, the per-respondent
log-likelihood and its first and second derivatives with respect to the indices; the class
turns them into the total log-likelihood, gradient ``sum_i X_b' dl/deta_b`` and the exact
Hessian ``X_b' diag(d2l/deta_b deta_c) X_c`` (:func:`gradient_hessian`) and per-respondent
scores for sandwich variances. Models that set ``chunk_rows`` are evaluated in row blocks
(temporaries stay in cache); :func:`compress_rows` merges identical rows into weighted
patterns. :func:`softplus`, :func:`log_choose` and :func:`log_binom_pmf` are the overflow-safe
pieces the binomial models are written with. The maximisers are in
:mod:`unspoken.inference.likelihood`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import gammaln

__all__ = [
    "IndexModel",
    "compress_rows",
    "gradient_hessian",
    "log_binom_pmf",
    "log_choose",
    "softplus",
]


# --------------------------------------------------------------------------- small numerics


def softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))`` without overflow
    (``log expit(x) = x - softplus(x)``)."""
    out = np.abs(x)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0.0)
    return out


def log_choose(k: np.ndarray, J: int) -> np.ndarray:
    """``log C(J, k)`` for integer-valued ``k`` of any shape, ``-inf`` where ``k`` is outside
    0..J (a lookup in a table of the ``J + 2`` possible values)."""
    k = np.asarray(k)
    ks = np.arange(J + 1.0)
    table = np.append(gammaln(J + 1.0) - gammaln(ks + 1.0) - gammaln(J - ks + 1.0), -np.inf)
    idx = np.where((k >= 0) & (k <= J), k, J + 1).astype(np.intp)
    return table[idx]


def log_binom_pmf(k: np.ndarray, J: int, eta: np.ndarray) -> np.ndarray:
    """``log f(k; J, expit(eta))`` for integer ``k`` (``-inf`` where ``k`` is outside 0..J)."""
    kc = np.clip(k, 0, J)
    return log_choose(k, J) - kc * softplus(-eta) - (J - kc) * softplus(eta)


# --------------------------------------------------------------------------- index models


class IndexModel:
    """A log-likelihood ``sum_i v_i l_i(eta_i1..eta_iB)`` with ``eta_ib = X_b[i] @ theta_b``.

    Subclasses set ``designs`` (one ``(n, k_b)`` matrix per block; blocks may share one
    matrix), ``block_names`` and ``weights`` (``v_i``: frequency x probability weights, or
    ``None``) and implement :meth:`derivs`.
    """

    designs: list[np.ndarray]
    block_names: list[str]
    weights: np.ndarray | None = None
    #: evaluate in blocks of this many rows (keeps temporaries in cache); models that set it
    #: must accept ``derivs(etas, order, rows=slice)`` and read their data at ``rows``
    chunk_rows: int = 0

    # ---- to implement
    def derivs(
        self, etas: list[np.ndarray], order: int
    ) -> tuple[np.ndarray, list[np.ndarray], dict[tuple[int, int], np.ndarray]]:
        """``(l_i, [dl_i/deta_b], {(b, c): d2l_i/deta_b deta_c for b <= c})``; the
        derivative parts are computed only up to ``order`` (0, 1 or 2)."""
        raise NotImplementedError

    # ---- provided
    @property
    def sizes(self) -> list[int]:
        return [X.shape[1] for X in self.designs]

    @property
    def n_params(self) -> int:
        return int(sum(self.sizes))

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        """The parameter vector cut into its blocks."""
        cuts = np.cumsum(self.sizes)[:-1]
        return np.split(np.asarray(theta, dtype=float), cuts)

    def etas(self, theta: np.ndarray) -> list[np.ndarray]:
        return [X @ b for X, b in zip(self.designs, self.split(theta), strict=True)]

    def _chunks(self) -> list[slice | None]:
        n, c = self.designs[0].shape[0], self.chunk_rows
        if c <= 0 or n <= c:
            return [None]
        return [slice(s, min(s + c, n)) for s in range(0, n, c)]

    def _at(self, blocks: list[np.ndarray], order: int, sl: slice | None):
        if sl is None:
            Xs = self.designs
            etas = [X @ b for X, b in zip(Xs, blocks, strict=True)]
            return Xs, self.weights, self.derivs(etas, order)
        Xs = [X[sl] for X in self.designs]
        etas = [X @ b for X, b in zip(Xs, blocks, strict=True)]
        w = None if self.weights is None else self.weights[sl]
        return Xs, w, self.derivs(etas, order, rows=sl)  # type: ignore[call-arg]

    def loglik(self, theta: np.ndarray) -> float:
        blocks = self.split(theta)
        total = 0.0
        for sl in self._chunks():
            _, w, (ll, _, _) = self._at(blocks, 0, sl)
            total += float(ll.sum() if w is None else w @ ll)
        return total

    def evaluate(
        self, theta: np.ndarray, order: int = 2
    ) -> tuple[float, np.ndarray | None, np.ndarray | None]:
        """``(loglik, gradient, Hessian)`` (exact; the last two ``None`` below ``order``)."""
        blocks = self.split(theta)
        ll, g, H = 0.0, None, None
        for sl in self._chunks():
            Xs, w, (ll_i, d1, d2) = self._at(blocks, order, sl)
            ll_c, g_c, H_c = gradient_hessian(Xs, ll_i, d1, d2, w, order)
            ll += ll_c
            if g_c is not None:
                g = g_c if g is None else g + g_c
            if H_c is not None:
                H = H_c if H is None else H + H_c
        return ll, g, H

    def scores(self, theta: np.ndarray) -> np.ndarray:
        """Per-row score contributions ``dl_i/dtheta`` (unweighted), shape ``(n, k)``."""
        blocks = self.split(theta)
        out = []
        for sl in self._chunks():
            Xs, _, (_, d1, _) = self._at(blocks, 1, sl)
            out.append(np.hstack([X * g[:, None] for X, g in zip(Xs, d1, strict=True)]))
        return out[0] if len(out) == 1 else np.vstack(out)


def gradient_hessian(
    designs: Sequence[np.ndarray],
    ll_i: np.ndarray,
    d1: Sequence[np.ndarray] | None,
    d2: dict[tuple[int, int], np.ndarray] | None,
    weights: np.ndarray | None = None,
    order: int = 2,
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Total log-likelihood, gradient and Hessian from per-row index derivatives."""
    v = weights
    ll = float(ll_i.sum() if v is None else v @ ll_i)
    if order < 1 or d1 is None:
        return ll, None, None
    grads = [X.T @ (g if v is None else v * g) for X, g in zip(designs, d1, strict=True)]
    grad = np.concatenate(grads)
    if order < 2 or d2 is None:
        return ll, grad, None
    sizes = [X.shape[1] for X in designs]
    offs = np.concatenate([[0], np.cumsum(sizes)])
    H = np.zeros((offs[-1], offs[-1]))
    for (b, c), h in d2.items():
        hv = h if v is None else v * h
        blk = designs[b].T @ (designs[c] * hv[:, None])
        H[offs[b] : offs[b + 1], offs[c] : offs[c + 1]] = blk
        if b != c:
            H[offs[c] : offs[c + 1], offs[b] : offs[b + 1]] = blk.T
    return ll, grad, H


# --------------------------------------------------------------------------- compression


def compress_rows(
    columns: Sequence[np.ndarray], weights: np.ndarray | None = None, min_gain: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Group identical rows of ``columns`` (1-d arrays of equal length).

    Returns ``(codes, representatives, pattern_weights)`` — each row's pattern, one row index
    per pattern and the summed (frequency x probability) weight of each pattern — or ``None``
    when it would not pay (continuous covariates, or fewer than ``1 - min_gain`` of the rows
    are duplicates). Log-likelihood, gradient and Hessian of the compressed data are exactly
    those of the full data; per-respondent scores are the pattern's scores.
    """
    n = len(columns[0])
    if n < 2000:
        return None
    probe = slice(0, min(n, 5000))
    for c in columns:
        if len(np.unique(c[probe])) > 200:
            return None
    codes = (
        pd.DataFrame({i: c for i, c in enumerate(columns)})
        .groupby(list(range(len(columns))), sort=False)
        .ngroup()
        .to_numpy()
    )
    G = int(codes.max()) + 1
    if min_gain * n < G:
        return None
    reps = np.empty(G, dtype=np.int64)
    reps[codes] = np.arange(n)
    pw = np.bincount(codes, weights=weights, minlength=G).astype(float)
    return codes, reps, pw
