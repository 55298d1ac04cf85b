"""Generalised method of moments on per-respondent moments: two-step efficient or
continuously updated (CUE) weighting, the efficient GMM variance, influence values and the
Sargan-Hansen statistic (Hansen 1982; Hall 2005, ch. 3).

The moments come from a function ``moments(theta, tensor=False)`` (see :data:`Moments`);
the first ``m`` are the model's own (just identifying), the rest over-identifying. Their
covariance ``F`` is the outer product of the per-respondent moments with the block between
the two groups set to zero (for moments whose cross block has expectation zero, such as
model equations with mean zero given the covariates against functions of the covariates:
:mod:`unspoken.listexp.aux`). Used by the list experiment's known shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from unspoken.errors import DataError

__all__ = ["GMMResult", "Moments", "gmm", "moment_cov", "weight_matrix"]

#: ``moments(theta, tensor)`` -> per-respondent moments ``(n, m)``, the exact Jacobian of
#: their sum ``(m, p)``, the Jacobian for the variance (``None``: the exact one) and, with
#: ``tensor=True``, the per-respondent Jacobians ``(n, m, p)``
Moments = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]]


@dataclass
class GMMResult:
    """Estimates, their efficient GMM covariance and influence values, the Sargan-Hansen
    statistic with its degrees of freedom, and the optimiser's report (``first_at``: the
    start at which the first step's weights were taken)."""

    theta: np.ndarray
    cov: np.ndarray
    influence: np.ndarray
    statistic: float
    df: int
    converged: bool
    iterations: int
    gradient_norm: float
    first_at: int = 0


def moment_cov(Psi: np.ndarray, m: int) -> np.ndarray:
    """The covariance of the moments ``Psi`` ``(n, k)``, with the block between the first
    ``m`` and the rest set to zero."""
    F = Psi.T @ Psi / Psi.shape[0]
    F[:m, m:] = 0.0
    F[m:, :m] = 0.0
    return F


_SINGULAR = (
    "the covariance of the moments is singular (a group too small, a covariate constant in "
    "an arm, or coefficients drifting to infinity)"
)
_DRIFT = "the GMM has no finite solution here: the coefficients drift towards infinity"


def weight_matrix(F: np.ndarray) -> np.ndarray:
    """``F^-1`` (symmetric), refusing a singular ``F``."""
    vals, vecs = np.linalg.eigh((F + F.T) / 2)
    if not np.all(np.isfinite(vals)) or vals[0] <= 1e-13 * max(vals[-1], 1e-300):
        raise DataError(_SINGULAR)
    return (vecs / vals) @ vecs.T


def gmm(
    moments: Moments,
    starts: list[np.ndarray],
    m: int,
    weighting: str,
    finite: Callable[[np.ndarray], bool],
) -> GMMResult:
    """GMM on ``moments`` (``m`` model moments first, then the over-identifying ones),
    ``weighting`` ``"efficient"`` (two steps: each minimises ``M' W M`` with ``W`` the
    inverse moment covariance at the previous estimate, the first at ``starts[0]``, or at
    the next start if that one leads nowhere finite) or ``"cue"`` (``W`` updated with
    ``theta``). Each minimisation runs from every start and keeps the lowest criterion
    among the estimates ``finite`` accepts (a criterion may fall towards infinite
    coefficients). A :class:`DataError` when no finite estimate or a singular moment
    covariance is met."""
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return _gmm(moments, starts, m, weighting, finite)
    except np.linalg.LinAlgError:
        raise DataError(_SINGULAR) from None


def _gmm(moments, starts, m, weighting, finite) -> GMMResult:
    from scipy.optimize import least_squares, minimize

    n = moments(starts[0])[0].shape[0]
    iters = 0

    def best(runs: list[tuple[float, np.ndarray]]) -> tuple[float, np.ndarray]:
        ok = [r for r in runs if np.isfinite(r[0]) and finite(r[1])]
        if not ok:
            raise DataError(_DRIFT)
        return min(ok, key=lambda r: r[0])

    def fixed(W: np.ndarray, points: list[np.ndarray]) -> tuple[float, np.ndarray]:
        nonlocal iters
        L = np.linalg.cholesky(W)

        cache: dict[bytes, tuple] = {}

        def at(th):
            key = th.tobytes()
            if key not in cache:
                cache.clear()
                cache[key] = moments(th)
            return cache[key]

        def resid(th):
            return L.T @ at(th)[0].sum(0) / n

        def jac(th):
            return L.T @ at(th)[1]

        runs = []
        for x0 in points:
            r = least_squares(resid, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
            iters += int(r.nfev)
            runs.append((2 * float(r.cost), r.x))
        return best(runs)

    first_at = 0
    if weighting == "efficient":
        for first_at, w0 in enumerate(starts):
            try:
                _, th1 = fixed(weight_matrix(moment_cov(moments(w0)[0], m)), starts)
                W1 = weight_matrix(moment_cov(moments(th1)[0], m))
                value, theta = fixed(W1, [th1, *starts])
                break
            except DataError:
                if first_at == len(starts) - 1:
                    raise
    else:

        def cue(th):
            Psi, Dsum, _, D = moments(th, True)
            M = Psi.sum(0) / n
            try:
                u = weight_matrix(moment_cov(Psi, m)) @ M
            except DataError:
                return np.inf, np.zeros_like(th)
            grad = 2 * Dsum.T @ u
            for sl in (slice(0, m), slice(m, None)):
                a = Psi[:, sl] @ u[sl]
                B = np.einsum("imp,m->ip", D[:, sl, :], u[sl])
                grad -= 2 * (a @ B) / n
            return float(M @ u), grad

        runs = []
        for x0 in starts:
            r = minimize(cue, x0, jac=True, method="BFGS", options={"gtol": 1e-12, "maxiter": 2000})
            iters += int(r.nit)
            runs.append((float(r.fun), r.x))
        value, theta = best(runs)
        grad = cue(theta)[1]
    Psi, Dsum, G, _ = moments(theta)
    if weighting == "efficient":
        grad = 2 * Dsum.T @ W1 @ (Psi.sum(0) / n)
    G = Dsum if G is None else G
    W = weight_matrix(moment_cov(Psi, m))
    A = np.linalg.inv(G.T @ W @ G)
    gnorm = float(np.max(np.abs(grad)))
    ok = bool(np.all(np.isfinite(theta))) and gnorm < 1e-6
    return GMMResult(
        theta=theta,
        cov=A / n,
        influence=Psi @ W @ G @ A / n,
        statistic=n * value,
        df=Psi.shape[1] - m,
        converged=ok,
        iterations=iters,
        gradient_norm=gnorm,
        first_at=first_at,
    )
