"""Standard-design list experiment estimators and the public entry point.

The estimator cores are in :mod:`~unspoken.listexp.least_squares` (``dim``, ``lm``, ``nls``)
and :mod:`~unspoken.listexp.ml`; this module adds the variance, the prevalence and the
result, and dispatches other designs to :mod:`~unspoken.listexp.variants`.

Design: respondents are randomised to a control list of ``J`` items or a treated list of the
same items plus the sensitive one, and report only how many items apply. Estimators
(``method``):

``"dim"``  difference in mean counts, treated minus control; with weights a difference of
           weighted means. Its default variance is ``"hc2"``, which for this two-group
           regression is Welch's unpooled variance ``s_1^2/n_1 + s_0^2/n_0``.
``"lm"``   least squares of ``Y`` on ``X`` and ``T X`` (Imai 2011, eq. 3): the interaction
           coefficients are the sensitive-item model (prevalence ``mean x_i' delta``), the
           main effects the control-item model. Default variance ``"hc3"`` like R ``list``.
``"nls"``  Imai's (2011) two-step nonlinear least squares: ``psi`` from the control group's
           NLS of ``Y/J`` on ``expit(X psi)``, then ``delta`` from the treated group's NLS
           of ``Y - J expit(X psi_hat)`` on ``expit(X delta)``. Variance: the two-step
           M-estimation sandwich (Gauss-Newton bread, outer-product meat; R ``list``'s).
``"ml"``   maximum likelihood of the binomial model (see :mod:`unspoken.listexp.ml`),
           constrained (``psi_0 = psi_1``) or not; variance the inverse of the exact
           observed information.

Weights are probability weights (weighted least squares or a weighted log-likelihood);
variances of every kind come from influence values through
:func:`unspoken.inference.covariance.vcov_from_influence`.

The headline quantity is the prevalence of the sensitive item in the sample,
``sum_i v_i expit(x_i' delta) / sum_i v_i`` (``x_i' delta`` for ``lm``; the difference in
means for ``dim``), with a delta-method standard error (treating the covariates as fixed,
as R's ``predict(avg = TRUE)`` does) and a Wald interval with the t critical value on
``n`` degrees of freedom (R ``list``'s ``qt(., df = n)``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import VCOV_OFFERS, SurveyDesign, resolve_offered_vcov
from unspoken.inference.delta import delta_estimate
from unspoken.listexp._variant_common import fit_cov
from unspoken.listexp.core import Core
from unspoken.listexp.data import ListData, check_missing, prepare_list_data
from unspoken.listexp.least_squares import lm_core, nls_core
from unspoken.listexp.ml import ml_core
from unspoken.listexp.options import (
    INFERENCE,
    Auxiliary,
    ErrorKind,
    LiarFit,
    ListVariant,
    MultiCondition,
    list_inference,
)
from unspoken.listexp.predict import prevalence_parts, t_crit
from unspoken.listexp.results import ListFit
from unspoken.options import DEFAULT_BOOTSTRAP_REPS, Design, Inference, Missing, Reporting
from unspoken.results import Estimate, FitResult, GroupEstimate, optimum_fields
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    Cell,
    ScreenedGroup,
    Verdict,
    check_min_n,
    screen,
    whole_sample_note,
)

if TYPE_CHECKING:
    from unspoken.listexp.aux import AuxGroups

__all__ = ["ListFit", "Method", "fit_list", "ictreg", "list_experiment"]

Method = Literal["ml", "lm", "nls", "dim"]
METHODS: tuple[str, ...] = get_args(Method)

#: the variance kinds of each method (from the registry; the web form reads them)
_ALLOWED: dict[str, set[str]] = {m: set(VCOV_OFFERS[f"list:{m}"].kinds) for m in METHODS}


# --------------------------------------------------------------------------- assembly


def _resolve_vcov(vcov: str | None, method: str, survey: SurveyDesign, notes: list[str]) -> str:
    return resolve_offered_vcov(
        f"list:{method}",
        vcov,
        survey,
        notes,
        estimator=f"method='{method}'",
        why={"model": "the two-step NLS estimator has no model-based variance; use hc0"},
        ignored="note",
    )


def _core_for(
    method: str,
    ld: ListData,
    constrained: bool,
    rows: np.ndarray | None = None,
    start: np.ndarray | None = None,
    ml_options: dict[str, Any] | None = None,
    aux: AuxGroups | None = None,
) -> Core:
    """The estimates of ``method`` on the prepared data ``ld`` (its ``rows``: a resample),
    with the auxiliary moments of ``aux`` if given."""
    y, t, X, w = ld.y, ld.t, ld.X, ld.weights
    if rows is not None:
        y, t, X, w = y[rows], t[rows], X[rows], None if w is None else w[rows]
    if aux is not None:
        from unspoken.listexp.aux import aux_core

        sub = aux if rows is None else aux.subset(rows)
        return aux_core(method, (y, t, X, w), ld.terms, ld.J, sub, constrained, ml_options)
    if method in ("dim", "lm"):
        return lm_core(y.astype(float), t, X, ld.terms, w)
    if method == "nls":
        return nls_core(y, t, X, ld.terms, ld.J, w)
    return ml_core(y, t, X, ld.terms, ld.J, w, constrained, start=start, **(ml_options or {}))


def fit_list(
    ld: ListData,
    method: Method = "ml",
    constrained: bool = True,
    inference: Inference = INFERENCE,
    ml_options: dict[str, Any] | None = None,
    min_n: int = DEFAULT_MIN_N,
    _core: Core | None = None,
    aux: AuxGroups | None = None,
) -> ListFit:
    """Fit a standard list experiment on validated data (see :func:`list_experiment`);
    ``_core`` reuses the estimates of an earlier fit on ``ld``'s rows (no refitting);
    ``aux`` adds known shares as moments (:mod:`unspoken.listexp.aux`)."""
    min_n = check_min_n(min_n)
    if method not in METHODS:
        raise UnsupportedError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    notes = list(ld.notes)
    if method == "dim" and ld.X.shape[1] > 1:
        raise UnsupportedError(
            "method='dim' (difference in means) takes no covariates: write the formula as "
            f"'{ld.outcome} ~ 1', or use method='lm', 'nls' or 'ml' for covariates",
            param="formula",
        )
    if method != "ml" and not constrained:
        raise UnsupportedError("constrained=False applies to method='ml' only", param="constrained")
    if aux is not None:
        from unspoken.listexp.aux import aux_vcov, check_aux_method

        check_aux_method(method)
        kind = aux_vcov(inference.vcov, ld.survey, notes)
    else:
        kind = _resolve_vcov(inference.vcov, method, ld.survey, notes)
    level = inference.level
    w = ld.weights
    y, t, X = ld.y, ld.t, ld.X
    # _core: the point estimates of an earlier fit on the same rows (ListFit.with_vcov)
    core = (
        _core_for(method, ld, constrained, ml_options=ml_options, aux=aux)
        if _core is None
        else _core
    )
    p = core.theta.size

    def refit(rows: np.ndarray) -> np.ndarray:
        quiet = {**(ml_options or {}), "quiet": True} if method == "ml" else None
        try:
            c = _core_for(method, ld, constrained, rows, core.theta, quiet, aux)
        except Exception:  # a degenerate resample: counted as failed by bootstrap_cov
            return np.full(p, np.nan)
        return c.theta if c.converged else np.full(p, np.nan)

    cov = fit_cov(
        "model" if aux is not None and kind == "hc0" else kind, core.theta, core.model_cov,
        core.influence, refit, ld.survey, inference, core.leverage,
    )  # fmt: skip
    if kind == "bootstrap":
        notes.append(
            f"bootstrap variance from {inference.bootstrap_reps} resamples (seed {inference.seed})"
        )
    notes.extend(core.notes)

    # ---- prevalence, overall and by group
    k = ld.X.shape[1]
    delta, Vd = core.theta[:k], cov[:k, :k]
    v = np.ones(ld.n) if w is None else w
    crit = t_crit(level, ld.n)

    def prev(rows: np.ndarray | None, n_rows: int) -> Estimate:
        est, G = prevalence_parts(core.link, delta, X, v, rows)
        return delta_estimate(est, G, Vd, level=level, n=n_rows, crit=crit)

    prevalence = prev(None, ld.n)
    whole = whole_sample_note(_cell(ld, np.arange(ld.n)), min_n)
    if whole:
        notes.append(whole)
    groups: list[GroupEstimate] = []
    if ld.by is not None and ld.by_codes is not None:
        rows_of = [np.flatnonzero(ld.by_codes == code) for code in range(len(ld.by_labels))]
        screened = screen([_cell(ld, rows) for rows in rows_of], min_n)
        notes.extend(screened.notes)
        if method == "dim":
            groups = _dim_by_group(ld, kind, inference, screened.verdicts, rows_of)
        else:
            if ld.by not in ld.design.columns:
                notes.append(
                    f"prevalence by '{ld.by}' averages the fitted probabilities over each "
                    f"group; '{ld.by}' is not in the formula, so groups differ only through "
                    "the covariates"
                )
            for lab, rows, verdict in zip(ld.by_labels, rows_of, screened.verdicts, strict=True):
                est = prev(rows, len(rows)) if verdict.shown else None
                groups.append(ScreenedGroup.of({ld.by: lab}, verdict, est))

    # ---- extras
    ytr = y[t == 1]
    extra: dict[str, Any] = {
        "method": method,
        "J": ld.J,
        "n_treated": ld.n_treated,
        "n_control": ld.n - ld.n_treated,
        "treated_share_zero": float(np.mean(ytr == 0)) if ytr.size else None,
        "treated_share_all": float(np.mean(ytr == ld.J + 1)) if ytr.size else None,
        "treatment": {"column": ld.treat, **ld.treat_info},
        "weighted": w is not None,
        "n_dropped_missing": ld.n_input - ld.n - ld.n_zero_weight,
    }
    if method == "ml":
        extra["constrained"] = constrained
    extra.update(core.extra)
    return ListFit(
        model=f"list.{method}",
        parts=core.parts,
        terms=core.terms,
        params_=core.theta,
        cov=cov,
        n=ld.n,
        **optimum_fields(core),
        vcov_type=kind,
        prevalence=prevalence,
        by=groups,
        notes=notes,
        extra=extra,
        level=level,
        title=_TITLES[method].format("constrained" if constrained else "unconstrained")
        + ("" if aux is None else ", with known shares (auxiliary moments)"),
        method=method,
        J=ld.J,
        link=core.link,
        design_=ld.design,
        X_=ld.X,
        weights_=w,
        posterior_=core.posterior,
        row_index_=ld.frame.index,
        core_=core,
        data_=ld,
        options_={
            "constrained": constrained,
            "ml_options": ml_options,
            "min_n": min_n,
            "aux": aux,
        },
        fitter_=fit_list,
    )


_TITLES = {
    "dim": "List experiment: difference in means",
    "lm": "List experiment: linear model (Imai 2011)",
    "nls": "List experiment: two-step nonlinear least squares (Imai 2011)",
    "ml": "List experiment: maximum likelihood, {} binomial model (Imai 2011)",
}


def _cell(ld: ListData, rows: np.ndarray) -> Cell:
    """The respondents of ``rows`` for the small-cell rule: in all and per arm."""
    treated = int(ld.t[rows].sum())
    return Cell(len(rows), {"treated": treated, "control": len(rows) - treated})


def _dim_by_group(
    ld: ListData,
    kind: str,
    inference: Inference,
    verdicts: list[Verdict],
    rows_of: list[np.ndarray],
) -> list[GroupEstimate]:
    """Difference in means within each group shown (its own estimate and variance), on the
    rows of the prepared data (``rows_of`` per group)."""
    out: list[GroupEstimate] = []
    for lab, verdict, rows in zip(ld.by_labels, verdicts, rows_of, strict=True):
        group = {ld.by: lab}
        if not verdict.shown:  # suppressed: not even computed
            out.append(ScreenedGroup.of(group, verdict))
            continue
        sub = _subset(ld, rows)
        nt = int(sub.t.sum())
        if nt < 2 or sub.n - nt < 2:
            out.append(ScreenedGroup.of(group, verdict, note="fewer than 2 respondents in an arm"))
            continue
        try:
            fit = fit_list(sub, "dim", inference=inference.replace(vcov=kind), min_n=1)
        except (DataError, UnsupportedError) as e:
            out.append(ScreenedGroup.of(group, verdict, note=str(e)))
            continue
        out.append(ScreenedGroup.of(group, verdict, fit.prevalence))
    return out


def _subset(ld: ListData, rows: np.ndarray) -> ListData:
    """The prepared data of ``rows`` (arrays subset; nothing checked again)."""
    return replace(
        ld,
        y=ld.y[rows],
        t=ld.t[rows],
        X=ld.X[rows],
        survey=ld.survey.subset(rows),
        frame=ld.frame.iloc[rows],
        kept=ld.kept[rows],
        n_input=len(rows),
        n_zero_weight=0,
        by=None,
        by_codes=None,
        by_labels=[],
        notes=[],
    )


# --------------------------------------------------------------------------- public API


def list_experiment(
    data: Any,
    formula: str = "y ~ 1",
    treat: str = "treat",
    J: int | None = None,
    method: Method = "ml",
    constrained: bool = True,
    control: Any = None,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    vcov: str | None = None,
    by: str | None = None,
    level: float = 0.95,
    missing: Missing = "listwise",
    bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: int | None = None,
    strict: bool = False,
    ceiling: bool = False,
    floor: bool = False,
    ceiling_formula: str = "~ 1",
    floor_formula: str = "~ 1",
    liar_fit: LiarFit = "glm",
    error: ErrorKind = "none",
    robust: bool = False,
    overdispersed: bool = False,
    multi_condition: MultiCondition = "none",
    min_n: int = DEFAULT_MIN_N,
    aux: Auxiliary | dict[str, Any] | None = None,
) -> ListFit | FitResult:
    """Fit a standard list experiment (item count technique).

    ``formula`` names the item count on the left and the covariates of both the sensitive
    and the control-item models on the right (``"y ~ 1"`` for none). ``treat`` is the
    treatment column, ``control`` its control value; ``J`` the number of control items.
    ``method``: ``"ml"`` (default; ``constrained=False`` for separate control-item models by
    trait status, Imai 2011), ``"lm"``, ``"nls"`` or ``"dim"``. ``weights`` (probability
    weights), ``cluster`` and ``strata`` are column names; ``vcov`` one of ``"model"``,
    ``"hc0"``-``"hc3"``, ``"cluster"``, ``"survey"``, ``"bootstrap"`` (default: the method's
    usual one, or the survey design's: ``"survey"`` with strata, ``"cluster"`` with clusters,
    ``"hc0"`` for ML with weights — with probability weights the inverse information ignores
    the sampling design, so ``vcov="model"`` is refused). ``by`` gives prevalences by
    subgroup (for ``"dim"`` a separate difference in means per group); a group with fewer
    than ``min_n`` respondents (default 30), or fewer than ``min(10, min_n)`` in either
    arm, is suppressed to protect respondents (see :mod:`unspoken.smallcells`; ``min_n=1``
    shows every group, with a note). ML that fails
    to converge warns and sets ``converged=False`` (``strict=True`` raises
    :class:`~unspoken.errors.ConvergenceError` instead).

    Returns a :class:`ListFit` with parts ``sensitive`` and ``control`` (``control.z0``,
    ``control.z1`` unconstrained) and the prevalence of the sensitive item.

    Beyond the standard design (a :class:`~unspoken.results.FitResult` is returned; see
    :mod:`unspoken.listexp.variants`): a treatment with more than two values is a design
    with several sensitive items (parts ``sensitive.<value>``, a prevalence per item;
    ``multi_condition="level"`` lets each item depend on the control count); ``ceiling`` /
    ``floor`` add liars at the ceiling/floor with their own ``ceiling_formula`` /
    ``floor_formula`` (``liar_fit="bayesglm"`` for R's Cauchy priors); ``error`` adds
    top-coded or uniform response errors; ``robust`` constrains the ML prevalence to the
    difference in means; ``overdispersed`` uses beta-binomial control counts.

    ``aux`` adds known shares of the sensitive trait (method ``"nls"`` or ``"ml"``; Chou,
    Imai & Rosenfeld 2017): ``{"group": "south", "shares": {0: 0.10, 1: 0.30}}`` (a share
    for every value of the column), or ``{"shares": 0.15}`` for one overall share, with
    ``"weighting": "efficient"`` (two-step, default) or ``"cue"`` (continuously updated).
    The fit is then a GMM and carries the Sargan-Hansen test of the known shares in
    ``extra["overid"]`` (see :mod:`unspoken.listexp.aux`).
    """
    if method not in METHODS:
        raise UnsupportedError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    from unspoken.io.frames import to_pandas
    from unspoken.listexp.variants import fit_variant, is_multi_item

    # every option checked once, here, and passed on as objects
    offered = VCOV_OFFERS[f"list:{method}"].kinds
    inference = list_inference(vcov, level, bootstrap_reps, seed, offered)
    reporting = Reporting(by, min_n, check_missing(missing))
    design = Design(weights, cluster, strata)
    variant = ListVariant(
        ceiling, floor, ceiling_formula, floor_formula, liar_fit, error, robust, overdispersed,
        multi_condition,
    )  # fmt: skip
    aux_options = Auxiliary.of(aux)
    if aux_options is not None:
        from unspoken.listexp.aux import check_aux_method

        check_aux_method(method)
    if len(reporting.by) > 1:
        raise UnsupportedError("by= takes one column for a list experiment", param="by")
    by_column = reporting.by[0] if reporting.by else None

    # converted once: a pandas frame is only read (never copied or modified) from here on
    df = to_pandas(data, copy=False)
    multi = is_multi_item(df, treat)
    if aux_options is not None and (variant.requested or multi):
        raise UnsupportedError(
            "aux= (known shares) works with the standard design only, not with several "
            "sensitive items, liars, response errors, robust or overdispersed models",
            param="aux",
        )
    if variant.requested or multi:
        fit = fit_variant(
            df, formula, treat, J, method, variant, design, inference, constrained, control,
            by_column, reporting.missing, multi,
        )  # fmt: skip
        whole = whole_sample_note(Cell(fit.n), reporting.min_n)  # by= is refused here
        if whole:
            fit.notes.append(whole)
        return fit
    missing = reporting.missing
    ld = prepare_list_data(df, formula, treat, J, control, design, by_column, missing)
    groups = None
    if aux_options is not None:
        from unspoken.listexp.aux import aux_groups

        groups = aux_groups(aux_options, df, np.asarray(ld.kept), ld.X)
    strict_opt = {"strict": strict}
    return fit_list(ld, method, constrained, inference, strict_opt, reporting.min_n, aux=groups)


def ictreg(
    formula: str,
    data: Any,
    treat: str = "treat",
    J: int | None = None,
    method: Method = "ml",
    **kwargs: Any,
) -> ListFit:
    """R ``list::ictreg`` argument order (``formula`` first); see :func:`list_experiment`."""
    return list_experiment(data, formula=formula, treat=treat, J=J, method=method, **kwargs)
