"""Brute-force dense-Gaussian computation of the poll-pooling model (test oracle).

Independent of the banded smoother: the random walk is written as ``alpha = 1 a_m + U omega``
around a middle reference period ``m``; ``a_m`` and the house parameters are fixed effects
estimated by GLS, ``omega`` is integrated out, so ``y ~ N(X beta, Omega)`` with
``Omega = sigma^2 B U U' B' + V``. Returns the REML log-likelihood (up to a constant),
GLS fixed effects and the BLUP of ``alpha`` with its prediction variance.
"""

from __future__ import annotations

import numpy as np


def dense_fit(Wd, y, v, HC, T, sigma2, anchors=(), reml_only=False):
    """``Wd``: dense (n, T) fieldwork weights; ``HC``: (n, q) house design; ``anchors``:
    (period, value, se) rows appended as observations without house effect."""
    Wd = np.asarray(Wd, float)
    rows_W = [Wd]
    ys = [np.asarray(y, float)]
    vs = [np.asarray(v, float)]
    Hs = [np.asarray(HC, float)]
    q = Hs[0].shape[1]
    for k, val, se in anchors:
        e = np.zeros((1, T))
        e[0, k] = 1.0
        rows_W.append(e)
        ys.append(np.array([val]))
        vs.append(np.array([se * se]))
        Hs.append(np.zeros((1, q)))
    Wf = np.vstack(rows_W)
    yf = np.concatenate(ys)
    vf = np.concatenate(vs)
    Hf = np.vstack(Hs)
    m = T // 2
    # alpha_t - alpha_m = sum of increments between m and t (signed)
    U = np.zeros((T, T - 1))  # increment s (s = 1..T-1) links period s-1 -> s
    for t in range(T):
        if t > m:
            U[t, m:t] = 1.0
        elif t < m:
            U[t, t:m] = -1.0
    X = np.hstack([np.ones((T, 1)), np.zeros((T, q))])
    Xf = Wf @ X + np.hstack([np.zeros((len(yf), 1)), Hf])
    Omega = sigma2 * (Wf @ U) @ (Wf @ U).T + np.diag(vf)
    Oi = np.linalg.inv(Omega)
    XtOiX = Xf.T @ Oi @ Xf
    beta = np.linalg.solve(XtOiX, Xf.T @ Oi @ yf)
    r = yf - Xf @ beta
    _, ld = np.linalg.slogdet(Omega)
    _, ldx = np.linalg.slogdet(XtOiX)
    reml = -0.5 * (ld + ldx + r @ Oi @ r)
    if reml_only:
        return {"reml": reml}
    # BLUP of alpha and its prediction-error variance (accounting for beta estimation)
    G = sigma2 * U @ (Wf @ U).T  # Cov(alpha - 1 a_m, y)
    alpha = beta[0] + G @ Oi @ r
    XtOiX_inv = np.linalg.inv(XtOiX)
    Lm = np.hstack([np.ones((T, 1)), np.zeros((T, q))]) - G @ Oi @ Xf
    cov = sigma2 * U @ U.T - G @ Oi @ G.T + Lm @ XtOiX_inv @ Lm.T
    return {
        "reml": reml,
        "beta": beta,
        "beta_cov": XtOiX_inv,
        "alpha": alpha,
        "alpha_var": np.diag(cov).copy(),
        "alpha_cov": cov,
    }
