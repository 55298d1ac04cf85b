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

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.gmm import Moments, gmm
from unspoken.listexp.core import Core
from unspoken.listexp.options import Auxiliary, group_label

__all__ = [
    "AUX_METHODS",
    "AuxGroups",
    "aux_core",
    "aux_groups",
    "aux_vcov",
    "check_aux_method",
    "parse_shares",
]

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


def parse_shares(items: str | list[str] | tuple[str, ...]) -> dict[str, float] | float:
    """Known shares written as text: ``"0=0.10, 1=0.30"`` (commas or semicolons) or items
    ``["0=0.10", "1=0.30"]``
    (group value = share), or one number for everyone (``"0.15"``). Refused with an
    :class:`UnsupportedError` naming the item that is not ``value=share``."""
    if isinstance(items, str):
        items = [items]
    parts = [p.strip() for item in items for p in re.split(r"[,;]", str(item)) if p.strip()]
    if not parts:
        raise UnsupportedError("no aux shares given: write them as 0=0.10, 1=0.30", param="aux")
    if len(parts) == 1 and "=" not in parts[0]:
        return _share_number(parts[0], "everyone")
    out: dict[str, float] = {}
    for part in parts:
        label, eq, value = part.partition("=")
        if not eq or not label.strip():
            raise UnsupportedError(
                f"aux share {part!r} is not of the form value=share (e.g. 0=0.10, 1=0.30)",
                param="aux",
            )
        out[label.strip()] = _share_number(value.strip(), label.strip())
    return out


def _share_number(text: str, label: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UnsupportedError(
            f"aux share of {label} is {text!r}, not a number (write e.g. 0=0.10)", param="aux"
        ) from None


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


def _assemble(X, pieces, blocks, Pa, Da, tensor):
    """Model moments ``X * a_b`` per block and Jacobian blocks ``c_rc x x'`` (``pieces``:
    ``{(r, c): (c, mirror)}``, mirrored when ``r != c`` and ``mirror``), stacked with the
    auxiliary moments ``Pa`` and their Jacobian rows ``Da`` ``(n, H, k)`` (in ``delta``)."""
    n, k = X.shape
    nb = len(blocks)
    Psi = np.hstack([X * a[:, None] for a in blocks] + [Pa])
    H = Pa.shape[1]
    Dsum = np.zeros((nb * k + H, nb * k))
    for (r, c), (coef, mirror) in pieces.items():
        blk = (X.T * coef) @ X
        Dsum[r * k : (r + 1) * k, c * k : (c + 1) * k] = blk
        if mirror and r != c:
            Dsum[c * k : (c + 1) * k, r * k : (r + 1) * k] = blk.T
    Dsum[nb * k :, :k] = Da.sum(0)
    D = None
    if tensor:
        XX = X[:, :, None] * X[:, None, :]
        D = np.zeros((n, nb * k + H, nb * k))
        for (r, c), (coef, mirror) in pieces.items():
            D[:, r * k : (r + 1) * k, c * k : (c + 1) * k] = coef[:, None, None] * XX
            if mirror and r != c:
                D[:, c * k : (c + 1) * k, r * k : (r + 1) * k] = coef[:, None, None] * XX
        D[:, nb * k :, :k] = Da
    return Psi, Dsum, D


def _aux_block(X, v, delta, ag: AuxGroups):
    """The auxiliary moments ``(n, H)`` and their derivative in ``delta`` ``(n, H, k)``."""
    n = X.shape[0]
    g = expit(X @ delta)
    onehot = np.zeros((n, len(ag.labels)))
    onehot[np.arange(n), ag.codes] = v
    Psi = onehot * (ag.shares[None, :] - g[:, None])
    return Psi, -(onehot * (g * (1 - g))[:, None])[:, :, None] * X[:, None, :]


def nls_moments(y, t, X, J, v, ag: AuxGroups) -> Moments:
    """Imai's two-step NLS equations (R ``list``'s scaling) and the auxiliary moments."""
    n, k = X.shape
    tr = t == 1

    def moments(theta, tensor=False):
        delta, psi = theta[:k], theta[k:]
        g, q = expit(X @ delta), expit(X @ psi)
        gg, qq = g * (1 - g), q * (1 - q)
        a = np.where(tr, v * (y - J * q - g) * gg, 0.0)
        b = np.where(tr, 0.0, v * (y - J * q) * J * qq)
        e11 = np.where(tr, v * gg * gg, 0.0)
        e12 = np.where(tr, v * J * gg * qq, 0.0)
        e22 = np.where(tr, 0.0, v * J * J * qq * qq)
        pieces = {
            (0, 0): (-e11 + a * (1 - 2 * g), False),
            (0, 1): (-e12, False),
            (1, 1): (-e22 + b * (1 - 2 * q), False),
        }
        Pa, Da = _aux_block(X, v, delta, ag)
        Psi, Dsum, D = _assemble(X, pieces, [a, b], Pa, Da, tensor)
        expected = Dsum.copy()
        expected[:k, :k] = -(X.T * e11) @ X
        expected[k : 2 * k, k:] = -(X.T * e22) @ X
        return Psi, Dsum / n, expected / n, D

    return moments


def ml_moments(model: Any, v, ag: AuxGroups) -> Moments:
    """Per-respondent scores of the binomial list likelihood and the auxiliary moments."""
    X = model.X
    n, k = X.shape

    def moments(theta, tensor=False):
        _, d1, d2 = model.derivs(model.etas(theta), 2)
        pieces = {rc: (v * h, True) for rc, h in d2.items()}
        Pa, Da = _aux_block(X, v, theta[:k], ag)
        Psi, Dsum, D = _assemble(X, pieces, [v * s for s in d1], Pa, Da, tensor)
        return Psi, Dsum / n, None, D

    return moments


_ADVICE = (
    "fitted shares of 0 or 1 can meet the known shares exactly, so the criterion falls "
    "towards infinite coefficients: use maximum likelihood (method ml), fewer covariates, "
    "merged groups or more respondents"
)


def _shifted(theta: np.ndarray, X: np.ndarray, v: np.ndarray, ag: AuxGroups) -> list[np.ndarray]:
    """A second start: ``theta`` with the sensitive intercept moved so that the fitted
    shares meet the known shares on average (none without an intercept column)."""
    from scipy.optimize import brentq

    const = np.flatnonzero(np.all(X == 1, axis=0))
    if const.size == 0:
        return []
    eta = X @ theta[: X.shape[1]]
    target = float(v @ ag.shares[ag.codes])

    def gap(c: float) -> float:
        return float(v @ expit(eta + c)) - target

    if gap(-40) * gap(40) > 0:
        return []
    out = theta.copy()
    out[const[0]] += brentq(gap, -40, 40, xtol=1e-12)
    return [out]


def aux_core(
    method: str, arrays: tuple, terms: list[str], J: int, ag: AuxGroups,
    constrained: bool = True, ml_options: dict[str, Any] | None = None,
) -> Core:  # fmt: skip
    """The NLS or ML fit of the standard design with the auxiliary moments of ``ag`` on
    ``arrays`` = ``(y, t, X, w)`` (counts, 0/1 treatment, covariates, weights or None)."""
    y, t, X, w = arrays
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
    k = X.shape[1]

    def finite(theta: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(theta))) and float(np.max(np.abs(X @ theta[:k]))) < 25

    starts = [start.theta, *_shifted(start.theta, X, v, ag)]
    try:
        res = gmm(moments, starts, m, ag.options.weighting, finite)
    except DataError as e:
        raise DataError(f"aux: {e}; {_ADVICE}") from None
    notes = [ag.describe()]
    if res.first_at:
        notes.append(
            "the first GMM step's weights were taken where the fitted shares meet the known "
            "shares on average: weighted at the fit without known shares, the criterion "
            "falls towards infinite coefficients"
        )
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
        posterior=post,
        notes=notes,
        extra=extra,
        **{k: getattr(res, k) for k in ("converged", "iterations", "gradient_norm")},
    )
