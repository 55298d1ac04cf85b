"""Known shares of the sensitive trait as extra moments: the GMM of Chou, Imai & Rosenfeld
(2017, *Sociological Methods & Research*, "Sensitive survey questions with auxiliary
information").

The list model's own estimating equations are stacked with one auxiliary moment per group
``h`` whose share ``s_h`` of the sensitive trait is known (official results, administrative
counts)::

    g_h(theta) = (1/n) sum_{i in h} v_i (s_h - expit(x_i' delta))

(``v_i`` the weights scaled to mean 1). For ``method="nls"`` the model moments are the two
steps of Imai's (2011) NLS, ``(y_i - J expit(x_i' psi) - expit(x_i' delta)) g_i (1 - g_i) x_i``
for the treated and ``(y_i - J q_i) J q_i (1 - q_i) x_i`` for the control group (R ``list``'s
scaling); for ``method="ml"`` the per-respondent scores of the binomial list likelihood (an
extension R does not have). With ``H`` auxiliary moments the model is over-identified by
``H``.

The moment covariance ``F`` is the outer product of the per-respondent moments with the
block between model and auxiliary moments set to zero: the model moments have mean zero
given ``x_i``, so that block has expectation zero (R ``list`` 9.2.6 does the same).
``weighting="efficient"``: two steps, each minimising ``M' W M`` with ``W = F^-1`` at the
previous estimate (the first at the NLS/ML fit without auxiliary moments); ``"cue"``:
``M(theta)' F(theta)^-1 M(theta)`` minimised directly. Variance ``(G' F^-1 G)^-1 / n`` at
the estimate (``G`` the Jacobian of the moments, in its expected form for NLS as in R);
clustered, survey and bootstrap variances from the estimator's influence values
``(G'WG)^-1 G'W psi_i / n`` and by refitting. The Sargan-Hansen statistic is ``n`` times the
minimised criterion, chi-square with ``H`` degrees of freedom under the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from unspoken.errors import DataError, UnsupportedError
from unspoken.listexp.core import Core
from unspoken.listexp.options import Auxiliary, group_label

__all__ = ["AUX_METHODS", "AuxGroups", "aux_core", "aux_groups", "aux_vcov", "check_aux_method"]

#: the methods that can use auxiliary moments (a logistic model of the sensitive trait)
AUX_METHODS = ("nls", "ml")
#: the variances of a fit with auxiliary moments (hc0 = the efficient GMM variance)
AUX_VCOV = ("hc0", "cluster", "survey", "bootstrap")


@dataclass(frozen=True)
class AuxGroups:
    """:class:`Auxiliary` options matched to the analysed rows: each row's group ``codes``
    (index into ``labels``/``shares``)."""

    options: Auxiliary
    codes: np.ndarray
    labels: list[str]
    shares: np.ndarray

    def subset(self, rows: np.ndarray) -> AuxGroups:
        return AuxGroups(self.options, self.codes[rows], self.labels, self.shares)

    def describe(self) -> str:
        """The known shares in words (for the fit's notes)."""
        col = self.options.group
        pairs = ", ".join(
            f"{col} = {lab}: {100 * s:g}%" if col else f"everyone: {100 * s:g}%"
            for lab, s in zip(self.labels, self.shares, strict=True)
        )
        how = "two-step efficient" if self.options.weighting == "efficient" else "continuously "
        how += "" if self.options.weighting == "efficient" else "updated"
        return (
            f"known shares of the sensitive trait used as auxiliary moments ({pairs}); GMM "
            f"with {how} weighting (Chou, Imai & Rosenfeld 2017)"
        )


def check_aux_method(method: str) -> None:
    """Refuse auxiliary information with a method that cannot use it, saying why."""
    if method not in AUX_METHODS:
        why = (
            "it has no model of individual respondents"
            if method == "dim"
            else "its linear probability model is not the logistic model the moments restrict"
        )
        raise UnsupportedError(
            f"aux= (known shares) needs method='nls' or 'ml': the known shares enter as moments "
            f"of the logistic model of the sensitive trait, and method='{method}' cannot use "
            f"them ({why})",
            param="aux",
        )


def aux_groups(aux: Auxiliary, df: Any, kept: np.ndarray, X: np.ndarray) -> AuxGroups:
    """Match the known shares to the analysed rows ``kept`` (positions in ``df``): the group
    column exists and has no missing value there, every group of the data has a share and
    every share a group, and ``X`` varies within each group (else its share would fix the
    prevalence exactly, leaving nothing to estimate)."""
    from unspoken.io.frames import require_columns

    n = len(kept)
    if aux.group is None:
        labels = list(aux.shares)
        codes = np.zeros(n, dtype=int)
    else:
        require_columns(df, [aux.group], role="aux group")
        col = df[aux.group].iloc[kept]
        miss = col.isna().to_numpy()
        if miss.any():
            raise DataError(
                f"aux group column '{aux.group}' is missing in {int(miss.sum())} analysed "
                "row(s): every respondent needs a group for the known shares",
                column=aux.group,
                rows=kept[miss],
            )
        values = [group_label(v) for v in col.tolist()]
        present = list(dict.fromkeys(values))
        unlisted = [v for v in present if v not in aux.shares]
        absent = [v for v in aux.shares if v not in present]
        if unlisted or absent:
            parts = []
            if unlisted:
                parts.append(f"group(s) {', '.join(unlisted)} of '{aux.group}' have no share")
            if absent:
                parts.append(f"share(s) for {', '.join(absent)} match no analysed row")
            raise DataError(
                f"aux shares and column '{aux.group}' do not match: {'; '.join(parts)} "
                f"(the column has {', '.join(present)}; give a share for each)",
                column=aux.group,
                param="aux",
            )
        labels = list(aux.shares)
        index = {lab: j for j, lab in enumerate(labels)}
        codes = np.array([index[v] for v in values], dtype=int)
    for j, lab in enumerate(labels):
        Xg = X[codes == j]
        if not np.any(np.ptp(Xg, axis=0) > 0):
            where = f"group {aux.group} = {lab}" if aux.group else "the sample"
            raise UnsupportedError(
                f"aux: no covariate of the formula varies within {where}, so its known share "
                "would fix the sensitive model exactly and the GMM has nothing to weigh; add "
                "a covariate that varies within the group, or drop aux=",
                param="aux",
            )
    shares = np.array([aux.shares[lab] for lab in labels])
    return AuxGroups(aux, codes, labels, shares)


def aux_vcov(vcov: str | None, survey: Any, notes: list[str]) -> str:
    """The variance kind of a fit with auxiliary moments (default the efficient GMM
    variance, reported as ``hc0``)."""
    from unspoken.inference.covariance import resolve_vcov

    why = "the GMM with auxiliary moments has the efficient GMM variance (hc0), or use "
    why += "cluster, survey or bootstrap"
    return resolve_vcov(
        vcov, survey, AUX_VCOV, "hc0", notes, estimator="a fit with aux=",
        why={"model": why, "hc1": why, "hc2": why, "hc3": why}, ignored="note",
    )  # fmt: skip


# --------------------------------------------------------------------------- moments

Moments = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray | None]]


def _outer(X: np.ndarray) -> np.ndarray:
    return X[:, :, None] * X[:, None, :]


def _aux_block(X, v, delta, ag: AuxGroups, p: int):
    """The auxiliary moments ``(n, H)`` and their derivative ``(n, H, p)`` (in ``delta``)."""
    n, k = X.shape
    H = len(ag.labels)
    g = expit(X @ delta)
    onehot = np.zeros((n, H))
    onehot[np.arange(n), ag.codes] = v
    Psi = onehot * (ag.shares[None, :] - g[:, None])
    D = np.zeros((n, H, p))
    D[:, :, :k] = -(onehot * (g * (1 - g))[:, None])[:, :, None] * X[:, None, :]
    return Psi, D


def nls_moments(y, t, X, J, v, ag: AuxGroups) -> Moments:
    """Imai's two-step NLS equations (R ``list``'s scaling) and the auxiliary moments."""
    n, k = X.shape
    tr = t == 1
    XX = _outer(X)

    def moments(theta):
        delta, psi = theta[:k], theta[k:]
        g, q = expit(X @ delta), expit(X @ psi)
        gg, qq = g * (1 - g), q * (1 - q)
        r1 = y - J * q - g
        r0 = y - J * q
        a = np.where(tr, v * r1 * gg, 0.0)
        b = np.where(tr, 0.0, v * r0 * J * qq)
        Psi = np.hstack([X * a[:, None], X * b[:, None]])
        D = np.zeros((n, 2 * k, 2 * k))
        e11 = np.where(tr, v * gg * gg, 0.0)
        e12 = np.where(tr, v * J * gg * qq, 0.0)
        e22 = np.where(tr, 0.0, v * J * J * qq * qq)
        D[:, :k, :k] = (-e11 + a * (1 - 2 * g))[:, None, None] * XX
        D[:, :k, k:] = -e12[:, None, None] * XX
        D[:, k:, k:] = (-e22 + b * (1 - 2 * q))[:, None, None] * XX
        expected = np.zeros((2 * k, 2 * k))
        expected[:k, :k] = -(X.T * e11) @ X
        expected[:k, k:] = -(X.T * e12) @ X
        expected[k:, k:] = -(X.T * e22) @ X
        Pa, Da = _aux_block(X, v, delta, ag, 2 * k)
        G = np.vstack([expected, Da.sum(0)]) / n
        return np.hstack([Psi, Pa]), np.concatenate([D, Da], axis=1), G

    return moments


def ml_moments(model: Any, v, ag: AuxGroups) -> Moments:
    """Per-respondent scores of the binomial list likelihood and the auxiliary moments."""
    X = model.X
    n, k = X.shape
    nb = len(model.designs)
    XX = _outer(X)

    def moments(theta):
        etas = model.etas(theta)
        _, d1, d2 = model.derivs(etas, 2)
        Psi = np.hstack([X * (v * s)[:, None] for s in d1])
        D = np.zeros((n, nb * k, nb * k))
        for (b, c), h in d2.items():
            blk = (v * h)[:, None, None] * XX
            D[:, b * k : (b + 1) * k, c * k : (c + 1) * k] = blk
            D[:, c * k : (c + 1) * k, b * k : (b + 1) * k] = blk
        Pa, Da = _aux_block(X, v, theta[:k], ag, nb * k)
        return np.hstack([Psi, Pa]), np.concatenate([D, Da], axis=1), None

    return moments


# --------------------------------------------------------------------------- GMM


@dataclass
class GMMResult:
    theta: np.ndarray
    cov: np.ndarray
    influence: np.ndarray
    statistic: float
    df: int
    converged: bool
    iterations: int
    gradient_norm: float


def _cov_of(Psi: np.ndarray, m: int) -> np.ndarray:
    """The moment covariance with the model x auxiliary block set to zero."""
    F = Psi.T @ Psi / Psi.shape[0]
    F[:m, m:] = 0.0
    F[m:, :m] = 0.0
    return F


def _inv(F: np.ndarray) -> np.ndarray:
    try:
        np.linalg.cholesky(F)
    except np.linalg.LinAlgError:
        raise DataError(
            "aux: the covariance of the moments is singular (a group too small, or a "
            "covariate constant in an arm); simplify the formula or merge groups"
        ) from None
    return np.linalg.inv(F)


def gmm(moments: Moments, theta0: np.ndarray, m: int, weighting: str) -> GMMResult:
    """GMM on ``moments`` (``m`` model moments first, then the auxiliary ones) from
    ``theta0``: two-step efficient or continuously updated weighting (see the module)."""
    from scipy.optimize import least_squares, minimize

    Psi0, _, _ = moments(theta0)
    n = Psi0.shape[0]
    iters = 0

    def fixed(W: np.ndarray, start: np.ndarray) -> np.ndarray:
        nonlocal iters
        L = np.linalg.cholesky(W)

        def resid(th):
            return L.T @ moments(th)[0].sum(0) / n

        def jac(th):
            return L.T @ moments(th)[1].sum(0) / n

        r = least_squares(resid, start, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
        iters += int(r.nfev)
        return r.x

    def criterion(th: np.ndarray, W: np.ndarray) -> float:
        M = moments(th)[0].sum(0) / n
        return float(M @ W @ M)

    if weighting == "efficient":
        th1 = fixed(_inv(_cov_of(Psi0, m)), theta0)
        W1 = _inv(_cov_of(moments(th1)[0], m))
        theta = fixed(W1, th1)
        value = criterion(theta, W1)
        M = moments(theta)[0].sum(0) / n
        grad = 2 * (moments(theta)[1].sum(0) / n).T @ W1 @ M
    else:

        def cue(th):
            Psi, D, _ = moments(th)
            M = Psi.sum(0) / n
            u = _inv(_cov_of(Psi, m)) @ M
            grad = 2 * (D.sum(0) / n).T @ u
            for sl in (slice(0, m), slice(m, None)):
                a = Psi[:, sl] @ u[sl]
                B = np.einsum("imp,m->ip", D[:, sl, :], u[sl])
                grad -= 2 * (a @ B) / n
            return float(M @ u), grad

        r = minimize(cue, theta0, jac=True, method="BFGS", options={"gtol": 1e-12, "maxiter": 2000})
        theta, value, grad = r.x, float(r.fun), r.jac
        iters = int(r.nit)
    Psi, D, G = moments(theta)
    G = D.sum(0) / n if G is None else G
    W = _inv(_cov_of(Psi, m))
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
    )


def aux_core(
    method: str,
    y: np.ndarray,
    t: np.ndarray,
    X: np.ndarray,
    terms: list[str],
    J: int,
    w: np.ndarray | None,
    ag: AuxGroups,
    constrained: bool = True,
    ml_options: dict[str, Any] | None = None,
) -> Core:
    """The NLS or ML fit of the standard design with the auxiliary moments of ``ag``."""
    from scipy.stats import chi2

    from unspoken.listexp.least_squares import nls_core
    from unspoken.listexp.ml import BinomialListModel, ml_core

    n = len(y)
    v = np.ones(n) if w is None else np.asarray(w, dtype=float) * n / float(np.sum(w))
    yf = np.asarray(y, dtype=float)
    if method == "nls":
        start = nls_core(y, t, X, terms, J, w)
        moments = nls_moments(yf, t, X, J, v, ag)
        model = None
    else:
        start = ml_core(y, t, X, terms, J, w, constrained, **(ml_options or {}))
        model = BinomialListModel(yf, t, X, J, constrained, None)
        moments = ml_moments(model, v, ag)
    m = start.theta.size
    res = gmm(moments, start.theta, m, ag.options.weighting)
    notes = [ag.describe()]
    if not res.converged:
        notes.append(
            f"the GMM with auxiliary moments did not converge (largest gradient "
            f"{res.gradient_norm:.2g}); do not use these estimates"
        )
    p = float(chi2.sf(res.statistic, res.df))
    extra: dict[str, Any] = {
        "overid": {"statistic": res.statistic, "df": res.df, "p_value": p},
        "aux": {
            "group": ag.options.group,
            "shares": dict(zip(ag.labels, ag.shares.tolist(), strict=True)),
            "weighting": ag.options.weighting,
        },
    }
    loglik = None
    post = None
    if model is not None:
        ll = model.derivs(model.etas(res.theta), 0)[0]
        loglik = float(ll @ (np.ones(n) if w is None else w))
        post = model.posterior(res.theta)
    return Core(
        theta=res.theta,
        parts=start.parts,
        terms=start.terms,
        influence=lambda: res.influence,
        model_cov=res.cov,
        loglik=loglik,
        converged=res.converged,
        iterations=res.iterations,
        gradient_norm=res.gradient_norm,
        posterior=post,
        notes=notes,
        extra=extra,
    )
