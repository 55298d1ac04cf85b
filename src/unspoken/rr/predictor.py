"""A randomized response item as a predictor of an outcome (R ``rr::rrreg.predictor``).

Joint model (Blair, Imai & Zhou 2015, section 4): the hidden trait
``Z_i ~ Bernoulli(lambda_i)``, ``lambda_i = expit(s_i' beta)`` (sensitive-item covariates
``s_i``); the binary outcome ``V_i | Z_i = z ~ Bernoulli(mu_iz)``,
``mu_iz = expit(x_i(z)' gamma)`` where ``x_i(z)`` is the outcome formula's design row with
the RR item set to ``z`` (so interactions with it work); the answer ``Y_i`` depends on
``Z_i`` only, through the design. The log-likelihood sums over the two values of ``Z``::

    l = sum_i w_i log sum_z P(y_i | z) P(z | s_i) P(v_i | x_i(z))

With ``r_i = P(Z_i = 1 | y_i, v_i, covariates)`` the scores are
``(r_i - lambda_i) s_i`` and ``r_i (v_i - mu_i1) x_i(1) + (1 - r_i)(v_i - mu_i0) x_i(0)``;
the observed information is the complete-data information minus
``r_i (1 - r_i) D_i D_i'`` with ``D_i`` the difference of the complete-data scores at
``z = 1`` and ``z = 0`` (Louis 1982). It is maximised by Newton/EM-gradient steps
(:func:`unspoken.inference.likelihood.newton_em`). Unlike R, which fits both parts with
``arm::bayesglm`` (a weakly informative prior), this is plain maximum likelihood.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
from scipy.special import expit, log_expit

from unspoken.errors import DataError, UnsupportedError
from unspoken.formula import check_full_rank, formula_columns, model_matrix, split_formula
from unspoken.inference.likelihood import newton_em
from unspoken.io.columns import numeric_column
from unspoken.io.frames import require_columns, to_pandas
from unspoken.keywords import spread_options
from unspoken.options import Design
from unspoken.rr.data import _default_kind, _prepare
from unspoken.rr.designs import RRDesign, require_known
from unspoken.rr.inference import average_prevalence
from unspoken.rr.likelihood import _log_answer_probs, _logit, fit_fields, sandwich_parts
from unspoken.rr.options import DesignSpec
from unspoken.rr.regression import RRVcov
from unspoken.rr.results import RRPredictorFit

__all__ = ["RRPredictorFit", "rr_predictor"]  # RRPredictorFit lives in rr.results


class _Joint:
    def __init__(self, S, X0, X1, y, v, w, design: RRDesign) -> None:
        self.S, self.X0, self.X1, self.v, self.w = S, X0, X1, v, w
        self.ks = S.shape[1]
        self.lf1, self.lf0 = _log_answer_probs(design, y)

    def evaluate(self, theta: np.ndarray) -> tuple[float, tuple]:
        beta, gamma = theta[: self.ks], theta[self.ks :]
        eta = self.S @ beta
        e1, e0 = self.X1 @ gamma, self.X0 @ gamma
        sgn = 2 * self.v - 1  # log P(v | .) = log_expit(sgn * eta)
        a1 = self.lf1 + log_expit(eta) + log_expit(sgn * e1)
        a0 = self.lf0 + log_expit(-eta) + log_expit(sgn * e0)
        lmu = np.logaddexp(a1, a0)
        ll = float(np.sum(self.w * lmu))
        return ll, (expit(eta), expit(e1), expit(e0), np.exp(a1 - lmu))

    def parts(self, state: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-respondent scores, and the complete-data and missing information."""
        lam, m1, m0, r = state
        S, X0, X1, v, w = self.S, self.X0, self.X1, self.v, self.w
        sb = (r - lam)[:, None] * S
        sg = (r * (v - m1))[:, None] * X1 + ((1 - r) * (v - m0))[:, None] * X0
        scores = w[:, None] * np.hstack([sb, sg])
        k = scores.shape[1]
        Hc = np.zeros((k, k))
        ks = self.ks
        Hc[:ks, :ks] = S.T @ (S * (w * lam * (1 - lam))[:, None])
        Hc[ks:, ks:] = X1.T @ (X1 * (w * r * m1 * (1 - m1))[:, None]) + X0.T @ (
            X0 * (w * (1 - r) * m0 * (1 - m0))[:, None]
        )
        D = np.hstack([S, (v - m1)[:, None] * X1 - (v - m0)[:, None] * X0])
        Hm = D.T @ (D * (w * r * (1 - r))[:, None])
        return scores, Hc, Hm, r

    def derivs(self, state: tuple):
        scores, Hc, Hm, _ = self.parts(state)
        return scores.sum(axis=0), Hc - Hm, Hc


@spread_options(spec=DesignSpec, columns=Design)
def rr_predictor(
    data: Any,
    formula: str,
    rr_item: str,
    design: str | RRDesign = "forced-known",
    *,
    sensitive_formula: str | None = None,
    vcov: RRVcov | None = None,
    level: float = 0.95,
    missing: Literal["listwise", "error"] = "listwise",
    maxit: int = 500,
    spec: DesignSpec,
    columns: Design,
) -> RRPredictorFit:
    """Logistic regression of a binary outcome on covariates and a hidden trait measured by
    randomized response (R ``rrreg.predictor`` with ``model.outcome = "logistic"``).

    ``formula`` is the outcome model with the RR answer column ``rr_item`` among the
    covariates, e.g. ``"civic ~ cov.age + cov.female + rr.q1"``; its coefficient is the
    effect of the hidden trait (not of the noisy answer). ``sensitive_formula`` is the
    right-hand side of the trait model (default: the outcome formula's terms that do
    not involve the item, as in R).
    """
    d = require_known(spec.made, "rr_predictor")
    lhs, rhs = split_formula(formula)
    if lhs is None:
        raise DataError(f"formula '{formula}' needs the outcome column on the left of '~'")
    df0 = to_pandas(data)
    require_columns(df0, [lhs], role="outcome")
    require_columns(df0, [rr_item], role="randomized response answer")
    out_cols = formula_columns(rhs, list(df0.columns))
    if rr_item not in out_cols:
        raise DataError(
            f"the outcome formula must include the randomized response item '{rr_item}' "
            "among its covariates",
            column=rr_item,
        )
    if sensitive_formula is None:
        s_rhs = _drop_item(rhs, rr_item)
    else:
        s_rhs = split_formula(sensitive_formula)[1]
    s_cols = formula_columns(s_rhs, list(df0.columns))
    if rr_item in s_cols:
        raise UnsupportedError("the trait model cannot use the randomized response item")
    prep = _prepare(df0, rr_item, [lhs, *out_cols, *s_cols], d, columns, missing)
    v = numeric_column(prep.df, lhs, role="outcome")
    bad = (v != 0) & (v != 1)
    if bad.any():
        raise DataError(
            f"the outcome must be 0/1 (a logistic model); {int(bad.sum())} values are not",
            column=lhs,
            rows=prep.kept[np.flatnonzero(bad)],
        )
    S = model_matrix(s_rhs, prep.df)
    frames = []
    for z in (0.0, 1.0):
        dz = prep.df.copy()
        dz[rr_item] = z
        frames.append(model_matrix(rhs, dz))
    X0, X1 = frames[0].X, frames[1].X
    names_out = frames[1].names
    check_full_rank(S.X, S.names, "trait model")
    check_full_rank(np.vstack([X0, X1]), names_out, "outcome model")
    kind = _default_kind(prep.survey, vcov, "rr_predictor", prep.notes)
    y, w = prep.y, prep.survey.w
    joint = _Joint(S.X, X0, X1, y, v, w, d)

    theta0 = np.zeros(S.X.shape[1] + X0.shape[1])
    closed = (float(w @ y / w.sum()) - d.a) / d.b
    if "Intercept" in S.names:
        theta0[S.names.index("Intercept")] = _logit(closed)
    if "Intercept" in names_out:
        theta0[S.X.shape[1] + names_out.index("Intercept")] = _logit(float(w @ v / w.sum()))
    theta, ll, state, report, _ = newton_em(joint.evaluate, joint.derivs, theta0, maxit)
    converged = report.converged
    scores, Hc, Hm, r = joint.parts(state)
    notes = list(prep.notes)
    V, infl, ok = sandwich_parts(Hc - Hm, scores, kind, prep.survey, notes)
    converged = converged and ok
    ks = S.X.shape[1]
    everyone = np.ones(len(y), bool)
    prev = average_prevalence(kind, state[0], w, S.X, everyone, V, infl, prep.survey, level)  # type: ignore[arg-type]
    if not converged:
        notes.append(f"the maximiser did not converge (largest score {report.gradient_norm:.3g})")
    model = f"rr.predictor.{d.name}"
    return RRPredictorFit(
        **fit_fields(d, model, theta, V, ll, converged, report, kind, notes, level, prep.kept),
        parts=["sensitive"] * ks + ["outcome"] * X0.shape[1],
        terms=[*S.names, *names_out],
        prevalence=prev,
        title=f"unspoken: randomized response item as a predictor ({d.name})",
        extra={
            "design": d.to_dict(),
            "formula": formula,
            "rr_item": rr_item,
            "sensitive_formula": f"{rr_item} ~ {s_rhs}",
        },
        _post=r,
    )


def _drop_item(rhs: str, item: str) -> str:
    """The right-hand side without the terms that mention ``item`` (split at top-level +)."""
    pieces, depth, cur = [], 0, ""
    for ch in rhs:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "+" and depth == 0:
            pieces.append(cur)
            cur = ""
        else:
            cur += ch
    pieces.append(cur)
    pat = re.compile(r"(?<![A-Za-z0-9_.`])`?" + re.escape(item) + r"`?(?![A-Za-z0-9_.`])")
    kept = [x.strip() for x in pieces if x.strip() and not pat.search(x)]
    return " + ".join(kept) or "1"
