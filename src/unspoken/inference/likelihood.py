"""Maximum likelihood machinery shared by unspoken's models (model-independent).

Models whose log-likelihood is a sum over respondents of ``l_i(eta_i1, ..., eta_iB)``, a
function of a few *linear indices* ``eta_ib = x_ib' theta_b`` (one per parameter block),
subclass :class:`IndexModel` and supply :meth:`IndexModel.derivs`, the per-respondent
log-likelihood and its first and second derivatives with respect to the indices; the class
turns them into the total log-likelihood, gradient ``sum_i X_b' dl/deta_b`` and the exact
Hessian ``X_b' diag(d2l/deta_b deta_c) X_c`` (:func:`gradient_hessian`) and per-respondent
scores for sandwich variances. Models that set ``chunk_rows`` are evaluated in row blocks
(temporaries stay in cache); :func:`compress_rows` merges identical rows into weighted
patterns.

Maximisers: :func:`newton_maximize` (damped Newton with line search, an exact Hessian or
central differences of the analytic gradient (:func:`numeric_hessian`), convergence judged by
the Newton decrement); :func:`em`, a generic EM driver for models with E and M steps of their
own (M steps can use :func:`binomial_newton_step`, a weighted logistic/binomial regression
step; :func:`binomial_fit` iterates it to a fit); :func:`fit_index_model`, a few EM iterations
then the Newton polish, reporting non-convergence (warning, or
:class:`~unspoken.errors.ConvergenceError` when strict); :func:`newton_em`, Newton steps on
the observed information or EM-gradient steps on the complete-data information, for the
two-component mixtures of randomized response. Every maximiser reports how it ended
in one :class:`Convergence` record (iterations, largest ``|gradient|``, converged, message).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, gammaln

from unspoken.errors import ConvergenceError, UnsupportedError
from unspoken.inference.covariance import _whole_number

__all__ = [
    "Convergence",
    "IndexModel",
    "OptimResult",
    "binomial_fit",
    "binomial_newton_step",
    "compress_rows",
    "em",
    "fit_index_model",
    "gradient_hessian",
    "log_binom_pmf",
    "log_choose",
    "max_abs",
    "newton_em",
    "newton_maximize",
    "numeric_hessian",
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


# --------------------------------------------------------------------------- optimisers


@dataclass(frozen=True)
class Convergence:
    """How a maximiser ended: its iterations, the largest ``|gradient|`` at the point it
    returned, whether it converged, and why it stopped (the one convergence report of all
    of unspoken's likelihood maximisers)."""

    iterations: int
    gradient_norm: float
    converged: bool
    message: str


def max_abs(g: np.ndarray) -> float:
    """Largest absolute entry of a gradient (0 for an empty one): the reported norm."""
    return float(np.max(np.abs(g))) if g.size else 0.0


@dataclass
class OptimResult:
    """Where an optimiser stopped (``theta``, log-likelihood, gradient, Hessian) and its
    :class:`Convergence` report (also read as ``iterations``, ``converged``, ``message``,
    ``gradient_norm``)."""

    theta: np.ndarray
    loglik: float
    gradient: np.ndarray
    hessian: np.ndarray
    report: Convergence
    history: list[float] = field(default_factory=list)

    @property
    def iterations(self) -> int:
        return self.report.iterations

    @property
    def converged(self) -> bool:
        return self.report.converged

    @property
    def message(self) -> str:
        return self.report.message

    @property
    def gradient_norm(self) -> float:
        return self.report.gradient_norm


def numeric_hessian(
    grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, rel_step: float = 1e-5
) -> np.ndarray:
    """Hessian as central differences of an analytic gradient (symmetrised)."""
    theta = np.asarray(theta, dtype=float)
    k = theta.size
    H = np.empty((k, k))
    for j in range(k):
        h = rel_step * max(1.0, abs(theta[j]))
        e = np.zeros(k)
        e[j] = h
        H[:, j] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    return (H + H.T) / 2


def _ascent_direction(g: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton direction ``(-H)^{-1} g``; if ``-H`` is not positive definite, shift its
    eigenvalues up (a Levenberg-Marquardt style step that still ascends)."""
    A = -H
    try:
        L = np.linalg.cholesky(A)
        d = np.linalg.solve(L.T, np.linalg.solve(L, g))
        return d, True
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh((A + A.T) / 2)
        floor = max(1e-8 * max(np.max(np.abs(vals)), 1.0), 1e-10)
        vals = np.maximum(np.abs(vals), floor)
        return vecs @ ((vecs.T @ g) / vals), False


def newton_maximize(
    fun: Callable[[np.ndarray, int], tuple[float, np.ndarray | None, np.ndarray | None]],
    theta0: np.ndarray,
    maxiter: int = 200,
    tol: float = 1e-10,
    max_step: float = 10.0,
) -> OptimResult:
    """Maximise a log-likelihood by damped Newton steps with backtracking line search.

    ``fun(theta, order)`` returns ``(loglik, gradient, Hessian)`` up to ``order``; when it
    returns ``None`` for the Hessian, central differences of the gradient are used.
    Converged when the Newton decrement ``g' (-H)^{-1} g`` is below ``tol`` (the log-likelihood
    is within about ``tol/2`` of the local maximum) at a point where ``-H`` is positive
    definite. Never raises for non-convergence: the result says ``converged=False`` and why.
    """
    theta = np.asarray(theta0, dtype=float).copy()

    def full(th: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        ll, g, H = fun(th, 2)
        if H is None:
            H = numeric_hessian(lambda x: fun(x, 1)[1], th)
        return ll, g, H

    ll, g, H = full(theta)
    history = [ll]
    message = "maximum number of iterations reached"
    converged = False
    it = 0
    while it < maxiter:
        it += 1
        if not np.all(np.isfinite(g)) or not np.isfinite(ll):
            message = "the log-likelihood or its gradient is not finite"
            break
        d, pd_ok = _ascent_direction(g, H)
        decrement = float(g @ d)
        if pd_ok and decrement < tol:
            converged = True
            message = f"Newton decrement {decrement:.2e} < {tol:.0e}"
            # one last full step sharpens the gradient at negligible cost
            cand = theta + d
            ll_c, g_c, H_c = full(cand)
            if (
                np.isfinite(ll_c)
                and ll_c >= ll - 1e-12 * (1 + abs(ll))
                and np.all(np.isfinite(g_c))
                and np.max(np.abs(g_c)) <= np.max(np.abs(g))
            ):
                theta, ll, g, H = cand, ll_c, g_c, H_c
            break
        size = float(np.max(np.abs(d)))
        step = 1.0 if size <= max_step else max_step / size
        improved = False
        # the first trial gets the full evaluation it will need if accepted (usual case)
        cand = theta + step * d
        ll_new, g_new, H_new = full(cand)
        if np.isfinite(ll_new) and ll_new >= ll + 1e-4 * step * decrement:
            theta, ll, g, H = cand, ll_new, g_new, H_new
            history.append(ll)
            continue
        for _ in range(60):
            step /= 2
            cand = theta + step * d
            ll_new = fun(cand, 0)[0]
            if np.isfinite(ll_new) and ll_new >= ll + 1e-4 * step * decrement:
                improved = True
                break
        if not improved:
            # no further ascent possible in floating point: accept if the decrement is tiny
            if pd_ok and decrement < max(tol, 1e-6):
                converged = True
                message = (
                    f"line search exhausted at Newton decrement {decrement:.2e} "
                    "(log-likelihood flat to machine precision)"
                )
            else:
                message = f"line search failed (Newton decrement {decrement:.2e})"
            break
        theta = cand
        ll, g, H = full(theta)
        history.append(ll)
    if not converged and it >= maxiter:
        message = f"no convergence after {maxiter} Newton iterations"
    report = Convergence(it, max_abs(g), converged, message)
    return OptimResult(theta, ll, g, H, report, history)


def em(
    theta0: np.ndarray,
    estep: Callable[[np.ndarray], np.ndarray],
    mstep: Callable[[np.ndarray, np.ndarray], np.ndarray],
    loglik: Callable[[np.ndarray], float],
    maxiter: int = 5000,
    tol: float = 1e-8,
) -> tuple[np.ndarray, float, int, bool]:
    """Generic EM: ``w = estep(theta)``, ``theta = mstep(theta, w)`` until the observed
    log-likelihood rises by at most ``tol`` (R ``list``'s rule). Returns ``(theta, loglik,
    iterations, stopped_by_tol)``. A fall of the log-likelihood (an M step that is not
    exact) stops the loop and keeps the better point."""
    theta = np.asarray(theta0, dtype=float).copy()
    ll = loglik(theta)
    for it in range(1, maxiter + 1):
        new = mstep(theta, estep(theta))
        ll_new = loglik(new)
        if not np.isfinite(ll_new) or ll_new < ll - 1e-10 * (1 + abs(ll)):
            return theta, ll, it, False
        gain = ll_new - ll
        theta, ll = new, ll_new
        if gain <= tol:
            return theta, ll, it, True
    return theta, ll, maxiter, False


def binomial_newton_step(
    X: np.ndarray,
    beta: np.ndarray,
    counts: np.ndarray,
    trials: float | np.ndarray,
    weights: np.ndarray | None = None,
    steps: int = 1,
    ridge: float = 1e-10,
) -> np.ndarray:
    """Newton (IRLS) steps for a weighted binomial regression with fractional counts:
    maximise ``sum_i v_i [k_i x_i'b - m_i log(1 + exp(x_i'b))]``. Logistic regression is
    ``m_i = 1``. Used as the M step of EM algorithms (one step gives a generalised EM)."""
    v = np.ones(X.shape[0]) if weights is None else weights
    b = np.asarray(beta, dtype=float).copy()
    for _ in range(steps):
        eta = X @ b
        p = expit(eta)
        g = X.T @ (v * (counts - trials * p))
        W = v * trials * p * (1 - p)
        A = X.T @ (X * W[:, None])
        A[np.diag_indices_from(A)] += ridge * (1 + np.abs(np.diag(A)))
        try:
            b = b + np.linalg.solve(A, g)
        except np.linalg.LinAlgError:
            break
    return b


def fit_index_model(
    model: IndexModel,
    theta0: np.ndarray,
    em_steps: Callable[[np.ndarray], np.ndarray] | None = None,
    em_maxiter: int = 5,
    maxiter: int = 200,
    tol: float = 1e-10,
    strict: bool = False,
) -> tuple[OptimResult, int]:
    """A few EM iterations (when the model has ``estep``/``mstep``), then the Newton polish.

    Returns the optimiser result and the number of EM iterations. With ``strict`` a failure
    to converge raises :class:`ConvergenceError`; otherwise it warns (the result carries
    ``converged=False``)."""
    theta = np.asarray(theta0, dtype=float)
    n_em = 0
    if em_maxiter > 0 and hasattr(model, "estep") and hasattr(model, "mstep"):
        theta, _, n_em, _ = em(
            theta, model.estep, model.mstep, model.loglik, maxiter=em_maxiter, tol=1e-6
        )
    res = newton_maximize(model.evaluate, theta, maxiter=maxiter, tol=tol)
    if not res.converged:
        msg = (
            f"maximum likelihood did not converge: {res.message}; largest |gradient| "
            f"{res.gradient_norm:.3g} after {res.iterations} Newton iterations"
        )
        if strict:
            raise ConvergenceError(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
    return res, n_em


def binomial_fit(
    X: np.ndarray,
    counts: np.ndarray,
    trials: float | np.ndarray,
    weights: np.ndarray | None = None,
    beta0: np.ndarray | None = None,
    maxiter: int = 50,
    tol: float = 1e-10,
) -> np.ndarray:
    """Weighted binomial (logistic) regression with fractional counts, by Newton steps."""
    b = np.zeros(X.shape[1]) if beta0 is None else np.asarray(beta0, dtype=float)
    for _ in range(maxiter):
        new = binomial_newton_step(X, b, counts, trials, weights, 1)
        if not np.all(np.isfinite(new)):
            break
        done = np.max(np.abs(new - b)) < tol * (1 + np.max(np.abs(b)))
        b = new
        if done:
            break
    return b


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


def newton_em(
    evaluate: Callable[[np.ndarray], tuple[float, Any]],
    derivs: Callable[[Any], tuple[np.ndarray, np.ndarray, np.ndarray]],
    theta0: np.ndarray,
    maxit: int = 500,
) -> tuple[np.ndarray, float, Any, Convergence, tuple[int, int]]:
    """Maximise a mixture log-likelihood: Newton steps on the observed information when it
    is positive definite, else EM-gradient steps on the complete-data information (Lange
    1995); step halving keeps every step uphill. ``evaluate(theta) -> (loglik, state)``,
    ``derivs(state) -> (score, observed information, complete-data information)``
    (informations = minus the Hessians). Converged when the Newton decrement
    ``g' H^{-1} g`` is below 1e-20. Returns ``(theta, loglik, state, report,
    (EM-gradient steps, Newton steps))``. ``maxit`` must be a whole number of at least 1
    (:class:`~unspoken.errors.UnsupportedError` otherwise).

    Why not :func:`newton_maximize`: away from the maximum the observed information of a
    mixture can be indefinite, and there this takes the EM-gradient step (the complete-data
    information is positive semi-definite, so the step ascends like EM) where
    :func:`newton_maximize` shifts the eigenvalues of the observed information — a different
    path, documented for randomized response in docs/rr.md. The stopping rule also differs
    (decrement < 1e-20, any non-decrease accepted, no step cap). Checked 2026-12-05: with
    :func:`newton_maximize` in its place the rr golden tests against R still pass (their
    fits never met an indefinite information), but every fit reports one iteration fewer
    (docs/rr.md quotes the step counts), so the algorithm is kept and only the report shared.
    """
    k = _whole_number(maxit)
    if k is None or k < 1:
        raise UnsupportedError(
            "maxit (the most iterations of the maximiser) must be a whole number of at "
            f"least 1, not {maxit!r}",
            param="maxit",
        )
    maxit = k
    theta = np.array(theta0, dtype=float)
    ll, state = evaluate(theta)
    n_em = n_newton = 0
    converged = False
    message = f"no convergence after {maxit} iterations"
    it = 0
    for it in range(1, maxit + 1):  # noqa: B007
        g, H, Hc = derivs(state)
        try:
            L = np.linalg.cholesky(H)
            step = np.linalg.solve(L.T, np.linalg.solve(L, g))
            newton = True
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(Hc, g, rcond=None)[0]
            newton = False
        dec = float(g @ step)
        if newton and dec < 1e-20:
            converged = True
            message = f"Newton decrement {dec:.2e} < 1e-20"
            break
        t = 1.0
        while True:
            cand = theta + t * step
            ll_new, state_new = evaluate(cand)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
            if t < 1e-12:
                break
        if t < 1e-12:  # no ascent possible: at the maximum up to rounding
            converged = newton and dec < 1e-12
            kind = "Newton" if newton else "EM-gradient"
            message = f"step halving exhausted ({kind} step, decrement {dec:.2e})"
            break
        theta, ll, state = cand, ll_new, state_new
        n_newton += newton
        n_em += not newton
    report = Convergence(it, max_abs(derivs(state)[0]), converged, message)
    return theta, ll, state, report, (n_em, n_newton)
