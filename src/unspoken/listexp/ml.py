"""Maximum likelihood of the standard binomial list-experiment model.

The model-independent machinery (index models, the Newton maximiser, EM driver, binomial
regression steps, row compression, the convergence report) lives in
:mod:`unspoken.inference.likelihood`. This module holds the list model:
:class:`BinomialListModel` (its log-likelihood, index derivatives, posterior and EM steps),
:func:`standard_start` and :func:`ml_core`.

The standard model (Imai 2011, JASA 106:407-416; Blair & Imai 2012, Political Analysis 20:47-77):
respondent ``i`` holds the sensitive trait ``Z_i ~ Bernoulli(g_i)``, ``g_i = expit(x_i' delta)``,
and would report ``Y*_i ~ Binomial(J, p_iz)`` control items, ``p_iz = expit(x_i' psi_z)``;
the control group reports ``Y_i = Y*_i``, the treated group ``Y_i = Y*_i + Z_i``. The
constrained model sets ``psi_0 = psi_1``. The observed-data log-likelihood is
``sum_i log(a_i1 + a_i0)`` with ``a_i1 = g_i f(Y_i - T_i; J, p_i1)`` and
``a_i0 = (1 - g_i) f(Y_i; J, p_i0)``; the posterior ``w_i = P(Z_i = 1 | Y_i, T_i, x_i) =
a_i1 / (a_i1 + a_i0)``. By Louis' identity the index Hessian is the posterior mean of the
complete-data Hessian plus ``w_i (1 - w_i) d_i d_i'`` with ``d_i`` the change of the complete
score when ``Z_i`` goes from 0 to 1.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit

from unspoken.errors import ConvergenceError
from unspoken.inference.index_model import IndexModel, compress_rows, log_choose, softplus
from unspoken.inference.likelihood import binomial_fit, binomial_newton_step, fit_index_model
from unspoken.listexp.core import Core

__all__ = ["BinomialListModel", "ml_core", "standard_start"]


# --------------------------------------------------------------------------- the standard model


class BinomialListModel(IndexModel):
    """Imai (2011) binomial model of the standard design; blocks ``sensitive`` (delta),
    ``control`` (psi; constrained) or ``control.z0``/``control.z1`` (psi_0, psi_1).

    ``y`` counts, ``t`` 0/1 treatment, ``X`` the covariates (shared by all blocks),
    ``weights`` frequency x probability weights (``None`` = 1).
    """

    def __init__(
        self,
        y: np.ndarray,
        t: np.ndarray,
        X: np.ndarray,
        J: int,
        constrained: bool = True,
        weights: np.ndarray | None = None,
    ) -> None:
        self.y = np.asarray(y, dtype=float)
        self.t = np.asarray(t, dtype=float)
        self.X = np.asarray(X, dtype=float)
        self.J = int(J)
        self.constrained = constrained
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        nb = 2 if constrained else 3
        self.designs = [self.X] * nb
        self.block_names = (
            ["sensitive", "control"] if constrained else ["sensitive", "control.z0", "control.z1"]
        )
        self.y1 = self.y - self.t  # control-item count if Z = 1
        self._y1c = np.clip(self.y1, 0, self.J)  # -inf of impossible counts is in _lc1
        self._lc0 = log_choose(self.y, self.J)
        self._lc1 = log_choose(self.y1, self.J)

    chunk_rows = 32768

    def _parts(self, etas: list[np.ndarray], rows: slice | None = None):
        """log a_1, log a_0 and the indices (few passes over the data: ``log expit(e) =
        e - softplus(e)``, ``k log p + (J - k) log(1 - p) = k e - J softplus(e)``)."""
        J = self.J
        ed = etas[0]
        spd = softplus(ed)
        e0 = etas[1]
        sp0 = softplus(e0)
        if self.constrained:
            e1, sp1 = e0, sp0
        else:
            e1 = etas[2]
            sp1 = softplus(e1)
        sl = slice(None) if rows is None else rows
        la0 = self.y[sl] * e0
        la0 -= J * sp0
        la0 += self._lc0[sl]
        la0 -= spd
        la1 = self._y1c[sl] * e1
        la1 -= J * sp1
        la1 += self._lc1[sl]
        la1 += ed
        la1 -= spd
        return la1, la0, ed, e0, e1

    def derivs(self, etas, order, rows=None):
        la1, la0, ed, e0, e1 = self._parts(etas, rows)
        diff = la1 - la0
        ll = np.abs(diff)
        np.negative(ll, out=ll)
        np.exp(ll, out=ll)
        np.log1p(ll, out=ll)
        ll += np.maximum(la1, la0)  # logaddexp(la1, la0), safe when one is -inf
        if order < 1:
            return ll, None, None
        sl = slice(None) if rows is None else rows
        J, y, t, y1c = self.J, self.y[sl], self.t[sl], self._y1c[sl]
        w = expit(diff)
        g = expit(ed)
        p0 = expit(e0)
        if self.constrained:
            r = y - J * p0
            r -= t * w
            d1 = [w - g, r]
        else:
            p1 = expit(e1)
            r0 = y - J * p0
            r1 = y1c - J * p1
            d1 = [w - g, (1 - w) * r0, w * r1]
        if order < 2:
            return ll, d1, None
        v = w * (1 - w)
        gg = g * (1 - g)
        if self.constrained:
            tv = t * v
            d2 = {(0, 0): v - gg, (0, 1): -tv, (1, 1): tv - J * p0 * (1 - p0)}
        else:
            # d = (1, -r0, r1): change of the complete score when Z goes 0 -> 1
            vr0, vr1 = v * r0, v * r1
            d2 = {
                (0, 0): v - gg,
                (0, 1): -vr0,
                (0, 2): vr1,
                (1, 1): vr0 * r0 - (1 - w) * J * p0 * (1 - p0),
                (1, 2): -vr0 * r1,
                (2, 2): vr1 * r1 - w * J * p1 * (1 - p1),
            }
        return ll, d1, d2

    def posterior(self, theta: np.ndarray) -> np.ndarray:
        """``P(Z_i = 1 | Y_i, T_i, x_i)`` at ``theta`` (for the control group of the
        constrained model this is the prior ``g_i``)."""
        la1, la0, *_ = self._parts(self.etas(theta))
        return expit(la1 - la0)

    # ---- EM (Imai 2011, section 2.3) ------------------------------------------------
    def estep(self, theta: np.ndarray) -> np.ndarray:
        return self.posterior(theta)

    def mstep(self, theta: np.ndarray, w: np.ndarray, steps: int = 1) -> np.ndarray:
        """Generalised M step: Newton steps of the weighted logistic regression of ``w`` on
        X (treated only in the constrained model, where the control group carries no
        information on delta) and of the binomial regressions for psi."""
        v = np.ones_like(self.y) if self.weights is None else self.weights
        blocks = self.split(theta)
        X, J = self.X, self.J
        if self.constrained:
            if not hasattr(self, "_tr"):
                self._tr = np.flatnonzero(self.t == 1)
                self._X_tr = X[self._tr]
            tr = self._tr
            delta = binomial_newton_step(self._X_tr, blocks[0], w[tr], 1.0, v[tr], steps)
            psi = binomial_newton_step(X, blocks[1], self.y - self.t * w, J, v, steps)
            return np.concatenate([delta, psi])
        delta = binomial_newton_step(X, blocks[0], w, 1.0, v, steps)
        psi0 = binomial_newton_step(X, blocks[1], (1 - w) * self.y, J * (1 - w), v, steps)
        psi1 = binomial_newton_step(X, blocks[2], w * self._y1c, J * w, v, steps)
        return np.concatenate([delta, psi0, psi1])


def standard_start(
    y: np.ndarray,
    t: np.ndarray,
    X: np.ndarray,
    J: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Starting values for the constrained model (delta, psi).

    psi: binomial regression of the control group's counts (its ML estimate from the control
    group alone). delta: logistic regression, in the treated group, of the treated count in
    excess of the predicted control count, ``Y_i - J expit(x_i' psi)``, clipped into
    [0.01, 0.99] (a fractional-response version of the two-step estimators of Imai 2011).
    """
    v = np.ones(len(y)) if weights is None else weights
    c, tr = t == 0, t == 1
    psi = binomial_fit(X[c], y[c].astype(float), float(J), v[c], maxiter=5, tol=1e-4)
    Xt = X[tr]
    resid = np.clip(y[tr] - J * expit(Xt @ psi), 0.01, 0.99)
    delta = binomial_fit(Xt, resid, 1.0, v[tr], maxiter=5, tol=1e-4)
    return np.concatenate([delta, psi])


# --------------------------------------------------------------------------- standard ML fit

#: above this many (distinct) rows, starting values come from ML on a subsample of this size
SUBSAMPLE_ROWS = 50_000


def ml_core(
    y: np.ndarray,
    t: np.ndarray,
    X: np.ndarray,
    terms: list[str],
    J: int,
    w: np.ndarray | None,
    constrained: bool = True,
    start: np.ndarray | None = None,
    strict: bool = False,
    quiet: bool = False,
    em_maxiter: int | None = None,
    compress: bool = True,
    tol: float = 1e-10,
):
    """Maximum likelihood of the standard binomial model (constrained or not).

    Starting values: :func:`standard_start` (constrained); for the unconstrained model the
    constrained MLE with ``psi_0 = psi_1``; above ``SUBSAMPLE_ROWS`` distinct rows, the MLE on
    a fixed random subsample of that size. Then ``em_maxiter`` EM iterations (default 5; none
    from a subsample start) and the Newton
    polish of :func:`newton_maximize` with the exact Hessian. Identical ``(y, t, x)`` rows are
    compressed into weighted patterns when that pays (discrete covariates).
    """
    k = X.shape[1]
    yf = np.asarray(y, dtype=float)
    tf = np.asarray(t, dtype=float)
    comp = compress_rows([yf, tf, *X.T], w) if compress else None
    if comp is not None:
        codes, reps, pw = comp
        yc, tc, Xc, wc = yf[reps], tf[reps], X[reps], pw
    else:
        codes = None
        yc, tc, Xc, wc = yf, tf, X, w
    notes: list[str] = []
    big = len(yc) > SUBSAMPLE_ROWS
    if em_maxiter is None:
        em_maxiter = 0 if big else 5
    if start is None and big:
        # start from the MLE on a fixed random subsample: consistent, so the Newton polish on
        # all rows needs only a few (quadratically convergent) steps
        sub = np.sort(np.random.default_rng(0).choice(len(yc), SUBSAMPLE_ROWS, replace=False))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pre = ml_core(
                yc[sub],
                tc[sub],
                Xc[sub],
                terms,
                J,
                None if wc is None else wc[sub],
                constrained,
                compress=False,
                tol=1e-6,
                quiet=True,
            )
        if np.all(np.isfinite(pre.theta)) and pre.converged:
            start = pre.theta
            notes.append(f"starting values: ML on a random subsample of {SUBSAMPLE_ROWS} rows")
    if start is None or (not constrained and start.size != 3 * k):
        th_con = standard_start(yc, tc, Xc, J, wc)
        if not constrained:
            mod_c = BinomialListModel(yc, tc, Xc, J, True, wc)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                rc, _ = fit_index_model(mod_c, th_con, em_maxiter=em_maxiter, tol=tol)
            d, p = rc.theta[:k], rc.theta[k:]
            start = np.concatenate([d, p, p])
        else:
            start = th_con
    model = BinomialListModel(yc, tc, Xc, J, constrained, wc)
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", RuntimeWarning)
        res, n_em = fit_index_model(model, start, em_maxiter=em_maxiter, tol=tol, strict=strict)
    A = -res.hessian
    try:
        np.linalg.cholesky(A)
        model_cov = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        model_cov = np.linalg.pinv(A)
        notes.append(
            "the observed information is not positive definite at the estimate: standard "
            "errors are unreliable (a parameter may be at the edge, e.g. no respondent with "
            "the trait in some group)"
        )
    theta = res.theta
    converged = res.converged
    se = np.sqrt(np.maximum(np.diag(model_cov), 0))
    eta_max = max(float(np.max(np.abs(e))) for e in model.etas(theta))
    if converged and eta_max > 25 and float(np.max(se)) > 100:
        converged = False
        bad = [f"{model.block_names[j // k]}:{terms[j % k]}" for j in np.flatnonzero(se > 100)]
        msg = (
            "the likelihood has no finite maximum: the coefficient(s) "
            + ", ".join(bad)
            + " drift towards infinity (a fitted probability of 0 or 1, e.g. no respondent "
            "with the trait in some group); the estimates are not a maximum and should not be "
            "used: simplify the model or use method='dim'/'lm'"
        )
        if strict:
            raise ConvergenceError(msg)
        if not quiet:
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    elif not converged:
        notes.append(
            f"maximum likelihood did not converge ({res.message}); the estimates are not a "
            "maximum and should not be used"
        )

    def influence() -> np.ndarray:
        S = model.scores(theta)
        if codes is not None:
            S = S[codes]
        if w is not None:
            S = S * w[:, None]
        return S @ model_cov.T

    post = model.posterior(theta)
    if codes is not None:
        post = post[codes]
    parts = ["sensitive"] * k + (
        ["control"] * k if constrained else ["control.z0"] * k + ["control.z1"] * k
    )
    return Core(
        theta=theta,
        parts=parts,
        terms=list(terms) * (2 if constrained else 3),
        influence=influence,
        model_cov=model_cov,
        loglik=res.loglik,
        converged=converged,
        iterations=res.iterations,
        gradient_norm=res.gradient_norm,
        link="logit",
        posterior=post,
        notes=notes,
        extra={
            "em_iterations": n_em,
            "newton_iterations": res.iterations,
            "optimizer_message": res.message,
            "compressed_patterns": None if codes is None else len(yc),
        },
    )
