"""The hidden trait as a predictor: :func:`list_joint`, the joint maximum likelihood of a
list experiment and an outcome regression (Imai, Park & Greene 2015, Political Analysis
23(2):180-196; R ``list::ictreg.joint``). The model is in :mod:`unspoken.listexp.joint_model`,
the result in :mod:`unspoken.listexp.joint_results`.

Fit: starting values from the list experiment's own MLE, EM iterations, then Newton steps
with the exact observed-data Hessian (converged when the Newton decrement is below 1e-10).
Variances: ``"model"`` (inverse observed information, the default), ``"opg"`` (inverse outer
product of the scores, what R reports), ``"hc0"``/``"hc1"``/``"cluster"``/``"survey"`` (from
the influence values) and ``"bootstrap"``. Parameters: parts ``sensitive``, ``control`` (or
``control.z0``/``control.z1``), ``outcome`` (its covariates, and term ``sensitive``: the
hidden trait's coefficient). The linear outcome's residual SD is estimated on the log scale
and reported as ``sigma`` (an :class:`~unspoken.results.Estimate`; ``tidy()`` row part
``outcome``, term ``sigma``), not among ``params``.

Differences from R ``ictreg.joint``: R's EM stops when the log-likelihood gains at most
1e-4 in an iteration and its M step uses the degrees-of-freedom corrected residual variance
``RSS/(n - p)``, so R's estimates are not the maximum; unspoken's are (a higher
log-likelihood). R's unconstrained model shifts the control model by the trait and adds the
control count to the outcome model; unspoken's unconstrained model is that of
:func:`~unspoken.list_experiment` (``psi_0``, ``psi_1``) with the same outcome model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from unspoken.errors import ConvergenceError, DataError, UnsupportedError
from unspoken.inference.covariance import VCOV_OFFERS, resolve_offered_vcov
from unspoken.inference.delta import delta_estimate
from unspoken.inference.likelihood import fit_index_model
from unspoken.listexp._variant_common import fit_cov
from unspoken.listexp.data import ListData, check_missing, prepare_list_data
from unspoken.listexp.joint_model import JointListModel, joint_start
from unspoken.listexp.joint_results import JointFit
from unspoken.listexp.ml import ml_core
from unspoken.listexp.options import list_inference
from unspoken.listexp.predict import prevalence_parts
from unspoken.listexp.standard import _cell, _subset
from unspoken.options import DEFAULT_BOOTSTRAP_REPS, Design, Inference, Missing, Reporting
from unspoken.results import Estimate, GroupEstimate, optimum_fields
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    ScreenedGroup,
    check_min_n,
    screen,
    whole_sample_note,
)

__all__ = ["JOINT_VCOV", "JointFit", "joint_mle", "list_joint"]

OutcomeModel = Literal["linear", "logistic"]

#: EM iterations before the Newton polish (EM gets close; Newton converges quadratically)
EM_STEPS = 10

#: the variance kinds of the joint model and its usual one
#: the variance kinds list_joint offers (the registry entry)
JOINT_VCOV = VCOV_OFFERS["list:joint"]


# --------------------------------------------------------------------------- data


def _outcome_values(df: pd.DataFrame, outcome: Any, model: str, ld: ListData) -> np.ndarray:
    """The outcome column on the list data's rows (numeric; 0/1 for the logistic model)."""
    from unspoken.io.columns import numeric_column
    from unspoken.io.frames import require_columns

    if not isinstance(outcome, str):
        raise UnsupportedError("outcome must name the outcome column", param="outcome")
    require_columns(df, [outcome], role="outcome")
    if outcome in (ld.outcome, ld.treat) or outcome in ld.design.columns:
        raise DataError(
            f"the outcome '{outcome}' is also the list count, the treatment or a covariate",
            column=outcome,
            param="outcome",
        )
    values = numeric_column(df, outcome, role="outcome", allow_missing=True)
    if model == "logistic":
        bad = ~np.isnan(values) & (values != 0) & (values != 1)
        if bad.any():
            raise DataError(
                f"column '{outcome}' must be 0/1 for a logistic outcome model "
                f"(e.g. {values[np.flatnonzero(bad)[0]]:g}); use the linear outcome model "
                "for a numeric outcome",
                column=outcome,
                rows=np.flatnonzero(bad),
            )
    return values


def _restrict(ld: ListData, keep: np.ndarray, note: str) -> ListData:
    """The prepared data of the rows ``keep`` (a boolean mask of ``ld``'s rows), keeping
    the subgroup column and the counts of the input."""
    from dataclasses import replace

    rows = np.flatnonzero(keep)
    by_codes = None if ld.by_codes is None else ld.by_codes[rows]
    sub = _subset(ld, rows)
    return replace(
        sub, n_input=ld.n_input, by=ld.by, by_codes=by_codes, by_labels=ld.by_labels,
        n_zero_weight=ld.n_zero_weight, notes=[*ld.notes, note],
    )  # fmt: skip


def joint_data(
    df: pd.DataFrame,
    formula: str,
    treat: str,
    J: int | None,
    outcome: Any,
    model: str,
    design: Design,
    by: str | None,
    missing: str,
) -> tuple[ListData, np.ndarray]:
    """The checked list data and the outcome on the same rows (missing outcomes dropped
    listwise, or refused with ``missing="error"``)."""
    ld = prepare_list_data(df, formula, treat, J, None, design, by, missing)  # type: ignore[arg-type]
    values = _outcome_values(df, outcome, model, ld)
    v = values[ld.kept]
    miss = np.isnan(v)
    if miss.any():
        if missing == "error":
            raise DataError(
                f"column '{outcome}' (outcome) has {int(miss.sum())} missing value(s); "
                "drop them or use missing='listwise'",
                column=outcome,
                rows=ld.kept[miss],
            )
        ld = _restrict(
            ld, ~miss, f"{int(miss.sum())} row(s) without the outcome '{outcome}' dropped"
        )
        v = v[~miss]
    if model == "logistic" and len(np.unique(v)) < 2:
        raise DataError(f"column '{outcome}' (outcome) takes one value only", column=outcome)
    if ld.n <= 3 * ld.X.shape[1] + 2:
        raise DataError(f"too few complete rows ({ld.n}) for the joint model's parameters")
    return ld, v


# --------------------------------------------------------------------------- fit


def joint_mle(
    y: np.ndarray,
    t: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    J: int,
    model: str,
    constrained: bool,
    w: np.ndarray | None = None,
    start: np.ndarray | None = None,
    strict: bool = False,
) -> tuple[JointListModel, Any, int]:
    """The joint model's MLE: the model, the optimiser's result (``theta``: sensitive,
    control, outcome, ``gamma``, then ``log sigma`` for the linear outcome) and the number of
    EM iterations. Starting values (unless ``start``): :func:`joint_start` from the list
    experiment's own constrained MLE."""
    if start is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            terms = [str(j) for j in range(X.shape[1])]
            base = ml_core(y, t, X, terms, J, w, True, quiet=True, compress=False)
        start = joint_start(y, t, v, X, J, model, constrained, w, base.theta)
    jm = JointListModel(y, t, v, X, J, model, constrained, w)
    res, n_em = fit_index_model(jm, start, em_maxiter=EM_STEPS, strict=strict)
    return jm, res, n_em


def _fit_theta(
    ld: ListData,
    v: np.ndarray,
    model: str,
    constrained: bool,
    rows: np.ndarray | None = None,
    start: np.ndarray | None = None,
    strict: bool = False,
) -> tuple[JointListModel, Any, int]:
    """:func:`joint_mle` on ``ld``'s rows (or the resample ``rows``)."""
    y, t, X, w, vv = ld.y, ld.t, ld.X, ld.weights, v
    if rows is not None:
        y, t, X, vv = y[rows], t[rows], X[rows], v[rows]
        w = None if w is None else w[rows]
    return joint_mle(y, t, vv, X, ld.J, model, constrained, w, start, strict)


def _names(ld: ListData, model: str, constrained: bool) -> tuple[list[str], list[str]]:
    k, terms = ld.X.shape[1], list(ld.terms)
    control = ["control"] if constrained else ["control.z0", "control.z1"]
    parts = ["sensitive"] * k + [c for c in control for _ in range(k)] + ["outcome"] * (k + 1)
    return parts, terms * (1 + len(control)) + terms + ["sensitive"]


def _kind(vcov: str | None, ld: ListData, notes: list[str]) -> str:
    return resolve_offered_vcov(
        "list:joint", vcov, ld.survey, notes, estimator="list_joint", ignored="note"
    )


def fit_joint(
    ld: ListData,
    v: np.ndarray,
    outcome: str,
    model: OutcomeModel = "linear",
    constrained: bool = True,
    inference: Inference | None = None,
    min_n: int = DEFAULT_MIN_N,
    strict: bool = False,
) -> JointFit:
    """The joint fit on checked data (see :func:`list_joint`)."""
    inference = inference or list_inference(None, 0.95, DEFAULT_BOOTSTRAP_REPS, None)
    notes = list(ld.notes)
    kind = _kind(inference.vcov, ld, notes)
    jm, res, n_em = _fit_theta(ld, v, model, constrained, strict=strict)
    theta = res.theta
    # inverse observed information; pinv keeps a (flagged) answer when it is singular
    model_cov = np.linalg.pinv(-res.hessian, hermitian=True)
    if np.linalg.eigvalsh(-res.hessian)[0] <= 0:
        notes.append(
            "the observed information is not positive definite at the estimate: standard "
            "errors are unreliable"
        )
    if not res.converged:
        notes.append(
            f"maximum likelihood did not converge ({res.message}); the estimates are not a "
            "maximum and should not be used"
        )
    w = ld.weights
    S = jm.scores(theta)

    def influence() -> np.ndarray:
        return (S if w is None else S * w[:, None]) @ model_cov.T

    def refit(rows: np.ndarray) -> np.ndarray:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                _, r, _ = _fit_theta(ld, v, model, constrained, rows, theta)
        except (ConvergenceError, np.linalg.LinAlgError):
            return np.full(theta.size, np.nan)
        return r.theta if r.converged else np.full(theta.size, np.nan)

    if kind == "opg":
        cov = np.linalg.pinv(S.T @ S)
    else:
        cov = fit_cov(kind, theta, model_cov, influence, refit, ld.survey, inference)
    if kind == "bootstrap":
        notes.append(
            f"bootstrap variance from {inference.bootstrap_reps} resamples (seed {inference.seed})"
        )
    from unspoken.listexp.joint_results import outcome_by_trait

    level = inference.level
    p = theta.size - (1 if model == "linear" else 0)
    parts, terms = _names(ld, model, constrained)
    vw = np.ones(ld.n) if w is None else w
    k = ld.X.shape[1]
    sigma = None
    if model == "linear":
        s, se_log = float(np.exp(theta[-1])), float(np.sqrt(max(cov[-1, -1], 0.0)))
        sigma = Estimate.from_se(s, s * se_log, level, ld.n, "sigma")
    post = jm.posterior(theta)

    def prevalence(rows: np.ndarray | None) -> Estimate:
        grad = np.zeros(theta.size)
        est, grad[:k] = prevalence_parts("logit", theta[:k], ld.X, vw, rows)
        n_rows = ld.n if rows is None else len(rows)
        return delta_estimate(est, grad, cov, level, n_rows)

    groups = _by_groups(ld, min_n, prevalence, notes)
    extra: dict[str, Any] = {
        "method": "ml",
        "J": ld.J,
        "outcome": outcome,
        "outcome_model": model,
        "constrained": constrained,
        "n_treated": ld.n_treated,
        "n_control": ld.n - ld.n_treated,
        "weighted": w is not None,
        "em_iterations": n_em,
        "newton_iterations": res.iterations,
        "optimizer_message": res.message,
    }
    return JointFit(
        model=f"list.joint.{model}",
        parts=parts,
        terms=terms,
        params_=theta[:p],
        cov=cov[:p, :p],
        n=ld.n,
        **optimum_fields(res),
        vcov_type=kind,
        prevalence=prevalence(None),
        by=groups,
        notes=notes,
        extra=extra,
        level=level,
        title=(
            f"Hidden trait as a predictor: {model} outcome '{outcome}', "
            f"{'constrained' if constrained else 'unconstrained'} list model "
            "(Imai, Park & Greene 2015)"
        ),
        outcome_model=model,
        constrained=constrained,
        J=ld.J,
        sigma=sigma,
        outcome_by_trait=outcome_by_trait(model, ld.X, vw, theta, cov, k, level),
        theta_=theta,
        full_cov_=cov,
        X_=ld.X,
        weights_=w,
        posterior_=post,
        row_index_=ld.frame.index,
        design_=ld.design,
    )


def _by_groups(
    ld: ListData, min_n: int, estimate: Callable[[np.ndarray], Estimate], notes: list[str]
) -> list[GroupEstimate]:
    """The whole sample's small-cell note, then ``estimate(rows)`` for each group of
    ``by`` that the small-cell rule shows (notes added to ``notes``)."""
    whole = whole_sample_note(_cell(ld, np.arange(ld.n)), min_n)
    notes.extend([whole] if whole else [])
    if ld.by is None or ld.by_codes is None:
        return []
    rows_of = [np.flatnonzero(ld.by_codes == c) for c in range(len(ld.by_labels))]
    screened = screen([_cell(ld, r) for r in rows_of], min_n)
    notes.extend(screened.notes)
    shown = zip(ld.by_labels, rows_of, screened.verdicts, strict=True)
    return [
        ScreenedGroup.of({ld.by: g}, vd, estimate(r) if vd.shown else None) for g, r, vd in shown
    ]


# --------------------------------------------------------------------------- public API


def list_joint(
    data: Any,
    formula: str,
    treat: str = "treat",
    J: int | None = None,
    outcome: str | None = None,
    outcome_model: OutcomeModel = "linear",
    constrained: bool = True,
    *,
    vcov: str | None = None,
    level: float = 0.95,
    bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: int | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    by: str | None = None,
    min_n: int = DEFAULT_MIN_N,
    missing: Missing = "listwise",
    strict: bool = False,
) -> JointFit:
    """The hidden trait of a list experiment as a predictor of an outcome (Imai, Park &
    Greene 2015; R ``list::ictreg.joint``).

    ``formula`` is the list count on the left and the covariates on the right (shared by the
    sensitive-trait, control-item and outcome models); ``treat`` the treatment column, ``J``
    the number of control items; ``outcome`` the outcome column, modelled by
    ``outcome_model="linear"`` (normal errors) or ``"logistic"`` (a 0/1 outcome) on the
    covariates and the hidden trait. ``constrained=False`` lets the control items depend on
    the trait (``control.z0``, ``control.z1``). ``vcov``: ``"model"`` (default), ``"opg"``
    (R's), ``"hc0"``, ``"hc1"``, ``"cluster"``, ``"survey"``, ``"bootstrap"`` (default with
    weights ``"hc0"``, with clusters ``"cluster"``, with strata ``"survey"``). ``by`` gives
    the prevalence by subgroup (small groups suppressed, ``min_n``).

    Returns a :class:`JointFit`: the coefficient of the hidden trait in the outcome model is
    part ``outcome``, term ``sensitive``; ``outcome_by_trait`` the mean predicted outcome
    without and with the trait and their difference; ``sigma`` the linear model's residual
    SD; ``prevalence`` the predicted prevalence of the trait.
    """
    from unspoken.io.frames import to_pandas

    if outcome_model not in ("linear", "logistic"):
        raise UnsupportedError(
            f"outcome_model must be 'linear' or 'logistic', not {outcome_model!r}",
            param="outcome_model",
        )
    if outcome is None:
        raise UnsupportedError("outcome= (the outcome column) is required", param="outcome")
    if not isinstance(constrained, bool | np.bool_):
        raise UnsupportedError("constrained must be True or False", param="constrained")
    design = Design(weights, cluster, strata)
    reporting = Reporting(by, check_min_n(min_n), check_missing(missing))
    inference = list_inference(vcov, level, bootstrap_reps, seed, JOINT_VCOV.kinds)
    if len(reporting.by) > 1:
        raise UnsupportedError("by= takes one column for list_joint", param="by")
    df = to_pandas(data, copy=False)
    by_column = reporting.by[0] if reporting.by else None
    ld, v = joint_data(
        df, formula, treat, J, outcome, outcome_model, design, by_column, reporting.missing
    )
    return fit_joint(
        ld, v, outcome, outcome_model, bool(constrained), inference, reporting.min_n, strict
    )
