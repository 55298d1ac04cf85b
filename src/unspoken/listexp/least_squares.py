"""Least-squares estimators of the standard list experiment (Imai 2011): the linear model
``y ~ [X, T X]`` (:func:`lm_core`, also the difference in means) and the two-step nonlinear
least squares (:func:`nls_core`) with its M-estimation sandwich. Each returns a
:class:`~unspoken.listexp.core.Core`; :mod:`unspoken.listexp.standard` turns it into a fit.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from unspoken.errors import DataError
from unspoken.inference.likelihood import binomial_fit
from unspoken.listexp.core import Core

__all__ = ["lm_core", "nls_core"]


def _gram(A: np.ndarray, c: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """``A' diag(c) B``."""
    return A.T @ ((A if B is None else B) * c[:, None])


def lm_core(
    y: np.ndarray, t: np.ndarray, X: np.ndarray, terms: list[str], w: np.ndarray | None
) -> Core:
    """(Weighted) least squares of ``y`` on ``[X, T X]``; sensitive = interaction terms."""
    n, k = X.shape
    v = np.ones(n) if w is None else w
    Z = np.hstack([X, X * t[:, None]])
    A = _gram(Z, v)
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise DataError("the linear model's design [X, T*X] is singular") from None
    beta = Ainv @ (Z.T @ (v * y))
    e = y - Z @ beta
    order = np.r_[np.arange(k, 2 * k), np.arange(k)]
    ZA = Z @ Ainv
    lev = v * np.einsum("ij,ij->i", ZA, Z)
    if n <= 2 * k:
        raise DataError(
            f"the linear model has {2 * k} coefficients but only {n} respondents: too few to "
            "estimate its variance"
        )
    sigma2 = float(v @ (e * e)) / (n - 2 * k)
    model_cov = (sigma2 * Ainv)[np.ix_(order, order)]

    def influence() -> np.ndarray:
        return (ZA * (v * e)[:, None])[:, order]

    return Core(
        theta=beta[order],
        parts=["sensitive"] * k + ["control"] * k,
        terms=list(terms) * 2,
        influence=influence,
        model_cov=model_cov,
        leverage=lev,
        link="identity",
        extra={"resid_se": float(np.sqrt(sigma2)), "resid_df": n - 2 * k},
    )


def _nls_fit(
    X: np.ndarray, target: np.ndarray, v: np.ndarray, beta0: np.ndarray
) -> tuple[np.ndarray, bool, int]:
    """Weighted least squares fit of ``target`` by ``expit(X b)`` (Levenberg-Marquardt)."""
    from scipy.optimize import least_squares

    sv = np.sqrt(v)

    def resid(b):
        return sv * (target - expit(X @ b))

    def jac(b):
        p = expit(X @ b)
        return -(sv * p * (1 - p))[:, None] * X

    r = least_squares(resid, beta0, jac=jac, method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14)
    grad = jac(r.x).T @ resid(r.x)
    scale = max(1.0, float(np.sum(v)))
    ok = bool(np.all(np.isfinite(r.x))) and float(np.max(np.abs(grad))) < 1e-6 * scale
    return r.x, ok, int(r.nfev)


def nls_core(
    y: np.ndarray,
    t: np.ndarray,
    X: np.ndarray,
    terms: list[str],
    J: int,
    w: np.ndarray | None,
    at: np.ndarray | None = None,
) -> Core:
    """Imai (2011) two-step NLS with its M-estimation sandwich (influence values).

    ``at`` = ``(delta, psi)`` skips the fit and evaluates the variance there (for checks)."""
    n, k = X.shape
    v = np.ones(n) if w is None else w
    c, tr = t == 0, t == 1
    X0, X1, y0, y1, v0, v1 = X[c], X[tr], y[c], y[tr], v[c], v[tr]
    if at is None:
        psi_start = binomial_fit(X0, y0.astype(float), float(J), v0)
        psi, ok1, n1 = _nls_fit(X0, y0 / J, v0, psi_start)
        off = J * expit(X1 @ psi)
        d_start = binomial_fit(X1, np.clip(y1 - off, 0.01, 0.99), 1.0, v1)
        delta, ok2, n2 = _nls_fit(X1, y1 - off, v1, d_start)
    else:
        delta, psi = np.asarray(at[:k], dtype=float), np.asarray(at[k:], dtype=float)
        ok1 = ok2 = True
        n1 = n2 = 0
    p0, p1, g = expit(X0 @ psi), expit(X1 @ psi), expit(X1 @ delta)
    e1, e2 = y0 / J - p0, y1 - J * p1 - g
    # stacked estimating equations m = (m_delta, m_psi); Gauss-Newton Jacobian A
    A = np.zeros((2 * k, 2 * k))
    A[:k, :k] = -_gram(X1, v1 * (g * (1 - g)) ** 2)
    A[:k, k:] = -_gram(X1, v1 * J * p1 * (1 - p1) * g * (1 - g))
    A[k:, k:] = -_gram(X0, v0 * (p0 * (1 - p0)) ** 2)
    notes = []
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        Ainv = np.linalg.pinv(A)
        ok1 = ok2 = False
        notes.append("the NLS estimating equations are singular at the estimate")
    if max(np.max(np.abs(X1 @ delta)), np.max(np.abs(X0 @ psi))) > 25:
        ok1 = ok2 = False
        notes.append(
            "nonlinear least squares has no finite solution here: coefficients drift towards "
            "infinity (fitted probabilities of 0 or 1); do not use these estimates"
        )

    def influence() -> np.ndarray:
        m = np.zeros((n, 2 * k))
        m[tr, :k] = X1 * (v1 * e2 * g * (1 - g))[:, None]
        m[c, k:] = X0 * (v0 * e1 * p0 * (1 - p0))[:, None]
        return -m @ Ainv.T

    if not (ok1 and ok2) and not notes:
        notes.append("nonlinear least squares may not have converged (gradient not ~0)")
    return Core(
        theta=np.concatenate([delta, psi]),
        parts=["sensitive"] * k + ["control"] * k,
        terms=list(terms) * 2,
        influence=influence,
        converged=ok1 and ok2,
        iterations=n1 + n2,
        notes=notes,
    )
