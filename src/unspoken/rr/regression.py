"""Prevalence and logistic regression of a hidden trait measured by randomized response.

Model (Blair, Imai & Zhou 2015, section 3; Scheers & Dayton 1988): the hidden trait
``Z_i ~ Bernoulli(lambda_i)``, ``lambda_i = expit(x_i' beta)``; the design gives
``P(Y=1 | Z=z) = a + b z`` (see :mod:`unspoken.rr.designs`). With
``f_i(z) = P(Y = y_i | Z = z)`` the (weighted) log-likelihood is::

    l(beta) = sum_i w_i log( f_i(1) lambda_i + f_i(0) (1 - lambda_i) )

computed on the log scale with ``logaddexp``. With the posterior
``r_i = P(Z_i = 1 | y_i, x_i) = f_i(1) lambda_i / (f_i(1) lambda_i + f_i(0)(1 - lambda_i))``
the score and observed information are (missing-information principle)::

    s_i = w_i (r_i - lambda_i) x_i
    I   = sum_i w_i [lambda_i (1 - lambda_i) - r_i (1 - r_i)] x_i x_i'

EM for this model fits a logistic regression to the fractional outcomes ``r_i``; we take
EM-gradient steps (one Newton step of that M-step, Lange 1995, with the complete-data
information ``sum w lambda (1 - lambda) x x'``) while the observed information is not
positive definite, and Newton steps on the observed information once it is, each with step
halving, until the Newton decrement is below 1e-20 (``|grad|`` ~ 1e-10): the maximiser
:func:`unspoken.inference.likelihood.newton_em` (kept apart from the list experiment's
``newton_maximize``; its docstring says why).

Variances: ``"model"`` = ``I^{-1}``; ``"opg"`` = ``(sum s_i s_i' / w_i)^{-1}`` (the default of
R ``rrreg``; weights act as frequency weights, as in ``"model"``); ``"hc0"``, ``"hc1"``,
``"cluster"``, ``"survey"`` from the influence values ``I^{-1} s_i`` through
:func:`unspoken.inference.covariance.vcov_from_influence`;
``"bootstrap"`` refits on resampled respondents (clusters within strata).

The average predicted prevalence ``P = sum_i w_i lambda_i / sum_i w_i`` (over all used rows
or a subgroup) has influence values::

    psi_i = 1[i in group] w_i (lambda_i - P) / W_group  +  g' I^{-1} s_i,
    g = sum_{i in group} w_i lambda_i (1 - lambda_i) x_i / W_group

(the first term is the sampling of the covariates, the second the estimation of beta). For
the model-based variances the two are uncorrelated under the model (``E[s_i | x_i] = 0``),
so ``Var(P) = g' V g + sum_i (1[i in group] w_i (lambda_i - P) / W_group)^2`` (also used with
the bootstrap ``V``).

The closed form without covariates is ``pi_hat = (ybar_w - a) / b`` with influence values
``w_i (y_i - ybar_w) / (W b)`` (model variance ``ybar (1 - ybar) / (n b^2)``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from unspoken.errors import DataError, UnsupportedError
from unspoken.formula import (
    check_full_rank,
    formula_columns,
    model_matrix,
    split_formula,
)
from unspoken.inference.bootstrap import bootstrap_cov
from unspoken.inference.covariance import VCOV_OFFERS, vcov_from_influence
from unspoken.io.frames import require_columns, to_pandas
from unspoken.keywords import old_names, spread_options
from unspoken.options import DEFAULT_BOOTSTRAP_REPS, Design, Reporting
from unspoken.results import Estimate
from unspoken.rr.data import (
    _default_kind,
    _prepare,
    one_by,
    subgroups,
)
from unspoken.rr.designs import RRDesign, require_known
from unspoken.rr.likelihood import (
    _Likelihood,
    _logit,
    fit_fields,
    sandwich_parts,
)
from unspoken.rr.options import DesignSpec
from unspoken.rr.results import (
    RRFit,
    RRPrevalence,
    RRState,
)

RRVcov = Literal["model", "opg", "hc0", "hc1", "cluster", "survey", "bootstrap"]
RR_VCOV: tuple[str, ...] = VCOV_OFFERS["rr"].kinds

__all__ = ["RRFit", "RRPrevalence", "rr_prevalence", "rr_regression"]

# --------------------------------------------------------------------------- estimators


@old_names(answer="outcome")
@spread_options(spec=DesignSpec, columns=Design, reporting=Reporting)
def rr_prevalence(
    data: Any,
    outcome: str,
    design: str | RRDesign = "forced-known",
    *,
    vcov: RRVcov | None = None,
    level: float = 0.95,
    spec: DesignSpec,
    columns: Design,
    reporting: Reporting,
) -> RRPrevalence:
    """Closed-form prevalence ``(ybar_w - a) / b`` of a randomized response item.

    ``outcome`` is the column of randomized answers (or ``"y ~ 1"``; the old name
    ``answer=`` still works for one release, with a warning). Variance: ``"model"`` is the
    binomial ``ybar (1 - ybar) / (n b^2)`` (``n`` = sum of weights: frequency weights); the
    others use the influence values (see the module docstring). The estimate is not
    truncated to [0, 1] (it is unbiased); a note says when it falls outside. ``by`` gives it
    per value of a column; a group with fewer than ``min_n`` respondents (default 30) is
    suppressed to protect respondents (see :mod:`unspoken.smallcells`).
    """
    d = require_known(spec.made, "rr_prevalence")
    if "~" in outcome:
        lhs, rhs = split_formula(outcome)
        if lhs is None or rhs.strip() != "1":
            raise UnsupportedError(
                "rr_prevalence takes the answer column (or 'y ~ 1'); use rr_regression "
                "for covariates"
            )
        outcome = lhs
    df = to_pandas(data)
    prep = _prepare(df, outcome, [], d, columns, reporting.missing, one_by(reporting))
    kind = _default_kind(prep.survey, vcov, "rr_prevalence", prep.notes)
    y, w = prep.y, prep.survey.w
    result = RRPrevalence(
        model=f"rr.{d.name}",
        prevalence=Estimate(0, 0, 0, 0),
        n=len(y),
        design=d,
        vcov_type=kind,
        mean_answer=float(w @ y / w.sum()),
        notes=list(prep.notes),
        row_positions=prep.kept,
        _y=y,
        _w=w,
    )

    def estimate(mask: np.ndarray | None, label: str | None = None) -> Estimate:
        est, psi = result.prevalence_influence(mask)
        if kind == "model":
            yb = d.a + d.b * est  # the (weighted) mean answer in the group
            W = w.sum() if mask is None else w[mask].sum()
            # weights as frequency weights; every answer alike gives yb = 1 + 1e-16: 0, not nan
            var = max(yb * (1 - yb), 0.0) / (W * d.b**2)
        else:
            var = float(vcov_from_influence(psi, kind, prep.survey, n_params=1))  # type: ignore[arg-type]
        return Estimate.from_se(
            est,
            np.sqrt(var),
            level=level,
            n=int(len(y) if mask is None else mask.sum()),
            label=label,
        )

    result.prevalence = estimate(None)
    result.by = subgroups(prep, reporting, estimate, result.notes)
    if not 0 <= result.prevalence.estimate <= 1:
        result.notes.append(
            f"the estimate {result.prevalence.estimate:.4f} lies outside [0, 1]: the share of "
            f"answers y = 1 ({result.mean_answer:.4f}) is outside the range the design allows "
            f"({min(d.pi0, d.pi1):.4f} to {max(d.pi0, d.pi1):.4f})"
        )
    return result


@old_names(reps="bootstrap_reps")
@spread_options(spec=DesignSpec, columns=Design, reporting=Reporting)
def rr_regression(
    data: Any,
    formula: str,
    design: str | RRDesign = "forced-known",
    *,
    vcov: RRVcov | None = None,
    level: float = 0.95,
    start: np.ndarray | None = None,
    maxit: int = 500,
    bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: int | np.random.Generator | None = None,
    spec: DesignSpec,
    columns: Design,
    reporting: Reporting,
) -> RRFit:
    """Logistic regression of a hidden trait on covariates from randomized response answers
    (R ``rr::rrreg``), by maximum likelihood.

    ``formula`` is ``"answer ~ x1 + x2"`` (column names with dots work); the design is named
    as in R ``rr`` with its parameters ``p``, ``p0``, ``p1``, ``q`` (or pass a design object,
    e.g. ``unspoken.rr.Crosswise(p=0.2)``). Rows with a missing value in the formula's
    variables (or weights/cluster/strata) are dropped, as R's ``na.omit``.

    The default variance is ``"model"`` (inverse observed information) without survey
    columns, ``"cluster"`` with a cluster column, and ``"survey"`` (Taylor linearisation)
    with weights or strata. ``vcov="opg"`` gives R ``rrreg``'s default standard errors;
    ``vcov="bootstrap"`` refits on ``bootstrap_reps`` resamples (the old name ``reps=``
    still works for one release, with a warning).
    The result's ``prevalence`` is the average predicted prevalence; ``by`` gives it per
    value of a column (a group with fewer than ``min_n`` respondents, default 30, is
    suppressed to protect respondents; see :mod:`unspoken.smallcells`).
    """
    d = require_known(spec.made, "rr_regression")
    if not isinstance(formula, str) or "~" not in formula:
        raise DataError(f"formula must look like 'answer ~ x1 + x2', got {formula!r}")
    lhs, rhs = split_formula(formula)
    if lhs is None:
        raise DataError(f"formula '{formula}' needs the answer column on the left of '~'")
    df0 = to_pandas(data)
    require_columns(df0, [lhs], role="randomized response answer")
    rhs_cols = formula_columns(rhs, list(df0.columns))
    prep = _prepare(df0, lhs, rhs_cols, d, columns, reporting.missing, one_by(reporting))
    dm = model_matrix(rhs, prep.df)
    X = dm.X
    check_full_rank(X, dm.names)
    kind = _default_kind(prep.survey, vcov, "rr", prep.notes)
    y, w = prep.y, prep.survey.w
    lik = _Likelihood(X, y, w, d)

    if start is None:
        beta0 = np.zeros(X.shape[1])
        closed = (float(w @ y / w.sum()) - d.a) / d.b
        const = np.flatnonzero(np.all(X[:1] == X, axis=0) & (X[0] != 0))
        if const.size:
            beta0[const[0]] = _logit(closed) / X[0, const[0]]
    else:
        beta0 = np.asarray(start, dtype=float)
        if beta0.shape != (X.shape[1],):
            raise DataError(f"start must have {X.shape[1]} values (one per term: {dm.names})")
    beta, ll, lam, post, report, (em_steps, newton_steps) = lik.maximise(beta0, maxit=maxit)
    notes = list(prep.notes)
    converged = report.converged
    if np.max(np.abs(X @ beta)) > 30:
        converged = False
        notes.append(
            "some predicted prevalences are 0 or 1 to machine precision (linear predictor "
            "beyond ±30): the maximum is on the boundary and the coefficients are not finite "
            "— simplify the model or merge sparse categories"
        )
    elif not converged:
        notes.append(
            f"the maximiser stopped after {report.iterations} iterations without "
            f"converging (largest score {report.gradient_norm:.3g})"
        )

    S = lik.scores(lam, post)

    def other(Hinv: np.ndarray) -> np.ndarray | None:
        if kind == "opg":  # sum_i w_i u_i u_i' (u_i the unweighted score): frequency weights
            return np.linalg.inv(S.T @ (S / w[:, None]))

        def refit(rows: np.ndarray) -> np.ndarray:
            sub = _Likelihood(X[rows], y[rows], w[rows], d)
            b, _, _, _, rep, _ = sub.maximise(beta, maxit=100)
            return b if rep.converged else np.full_like(b, np.nan)

        return bootstrap_cov(refit, len(y), reps=bootstrap_reps, seed=seed, design=prep.survey)[0]

    V, beta_infl, ok = sandwich_parts(
        lik.information(lam, post), S, kind, prep.survey, notes,
        other if kind in ("opg", "bootstrap") else None,
    )  # fmt: skip
    converged = converged and ok
    fit = RRFit(
        **fit_fields(
            d, f"rr.{d.name}", beta, V, ll, converged, report, kind, notes, level, prep.kept
        ),
        parts=["sensitive"] * X.shape[1],
        terms=list(dm.names),
        title=f"unspoken: randomized response regression ({d.name})",
        extra={
            "design": d.to_dict(),
            "formula": formula,
            "em_steps": em_steps,
            "newton_steps": newton_steps,
        },
        formula=formula,
        _state=RRState(X, y, w, lam, post, beta_infl, prep.survey, dm, lhs),
    )
    fit.prevalence = fit._prevalence_estimate(np.ones(len(y), bool))
    fit.by = subgroups(prep, reporting, fit._prevalence_estimate, fit.notes)
    return fit
