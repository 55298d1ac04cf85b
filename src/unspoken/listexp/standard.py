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

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import (
    VCOV_OFFERS,
    SurveyDesign,
    bootstrap_cov,
    resolve_vcov,
    vcov_from_influence,
)
from unspoken.inference.delta import delta_estimate, delta_se_rows
from unspoken.listexp.core import Core
from unspoken.listexp.data import ListData, prepare_list_data
from unspoken.listexp.least_squares import lm_core, nls_core
from unspoken.listexp.ml import ml_core
from unspoken.results import Estimate, FitResult, GroupEstimate, check_level
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    Cell,
    ScreenedGroup,
    Verdict,
    check_min_n,
    screen,
    whole_sample_note,
)

__all__ = ["ListFit", "Method", "ictreg", "list_experiment"]

Method = Literal["ml", "lm", "nls", "dim"]
METHODS: tuple[str, ...] = get_args(Method)

# variance kinds each estimator supports
#: the variance kinds of each method (from the registry; the web form reads them)
_ALLOWED: dict[str, set[str]] = {m: set(VCOV_OFFERS[f"list:{m}"].kinds) for m in METHODS}


def t_crit(level: float, df: float) -> float:
    """Two-sided t critical value (R ``qt(1 - (1 - level)/2, df)``)."""
    from scipy.special import stdtrit  # t.ppf without importing scipy.stats (0.25 s)

    return float(stdtrit(df, 0.5 + check_level(level) / 2))


# --------------------------------------------------------------------------- result


@dataclass
class ListFit(FitResult):
    """A fitted standard-design list experiment.

    Beyond :class:`~unspoken.results.FitResult`: :meth:`predict` (average or individual
    predicted probability of the sensitive trait, also on new data, R's
    ``predict.ictreg``), :meth:`posterior` (``P(Z_i = 1 | Y_i, T_i, x_i)``, ML only) and
    :meth:`with_vcov` (another variance without refitting).
    """

    method: str = "ml"
    J: int = 0
    link: str = "logit"
    design_: Any = field(default=None, repr=False)
    X_: np.ndarray | None = field(default=None, repr=False)
    weights_: np.ndarray | None = field(default=None, repr=False)
    posterior_: np.ndarray | None = field(default=None, repr=False)
    row_index_: Any = field(default=None, repr=False)
    core_: Any = field(default=None, repr=False)
    data_: Any = field(default=None, repr=False)
    options_: dict[str, Any] = field(default_factory=dict, repr=False)

    def with_vcov(
        self,
        vcov: str,
        cluster: str | None = None,
        strata: str | None = None,
        data: Any = None,
        bootstrap_reps: int = 500,
        seed: int | None = None,
    ) -> ListFit:
        """The same fit with another variance, without refitting: ``vcov`` as in
        :func:`list_experiment`; ``cluster``/``strata`` name columns (replacing the fit's)
        of ``data`` — the data the fit was given, same rows — or, without ``data``, of the
        columns the fit used. Standard errors, intervals and prevalences are recomputed;
        the estimates are the fit's own (bootstrap resamples are refitted, as always)."""
        ld = self.data_
        if ld is None or self.core_ is None:
            raise UnsupportedError("this fit keeps no data to recompute its variance from")
        ld = _with_design(ld, cluster, strata, data)
        return fit_list(
            ld,
            self.method,
            vcov=vcov,
            level=self.level,
            bootstrap_reps=bootstrap_reps,
            seed=seed,
            _core=self.core_,
            **self.options_,
        )

    @property
    def k_sensitive(self) -> int:
        return int(np.sum(np.asarray(self.parts) == "sensitive"))

    def _sens(self) -> tuple[np.ndarray, np.ndarray]:
        k = self.k_sensitive
        return self.params_[:k], np.asarray(self.cov)[:k, :k]

    def _X_for(self, newdata: Any) -> np.ndarray:
        if newdata is None:
            return self.X_
        if self.method == "dim":
            return np.ones((len(newdata), 1))
        from unspoken.io import to_pandas

        return self.design_.on(to_pandas(newdata))

    def _mean_and_grad(self, X: np.ndarray, weights: np.ndarray | None) -> tuple[float, np.ndarray]:
        v = np.ones(X.shape[0]) if weights is None else weights
        return _prevalence_parts(self.link, self._sens()[0], X, v)

    def predict(
        self,
        newdata: Any = None,
        avg: bool = True,
        newdata_diff: Any = None,
        level: float | None = None,
        weights: np.ndarray | None = None,
    ) -> Estimate | pd.DataFrame:
        """Predicted prevalence of the sensitive trait (R ``predict.ictreg``).

        ``avg=True`` gives the (weighted, for the fitted data) mean over respondents as an
        :class:`Estimate` with a delta-method interval (t critical value, ``n`` degrees of
        freedom, like R); with ``newdata_diff`` the difference ``mean(newdata) -
        mean(newdata_diff)`` (unweighted). ``weights`` weight the mean over ``newdata``.
        ``avg=False`` gives one row per respondent: ``fit``,
        ``se_fit``, ``ci_low``, ``ci_high``.
        """
        lev = self.level if level is None else level
        crit = t_crit(lev, self.n)
        _, V = self._sens()
        X = self._X_for(newdata)
        # the fit's own weights for its own respondents; new data are unweighted unless given
        w = weights if weights is not None else (self.weights_ if newdata is None else None)
        if avg:
            est, G = self._mean_and_grad(X, w)
            if newdata_diff is not None:
                X2 = self._X_for(newdata_diff)
                est2, G2 = self._mean_and_grad(X2, None)
                est, G = est - est2, G - G2
            return delta_estimate(est, G, V, level=lev, n=X.shape[0], crit=crit)
        delta, _ = self._sens()
        eta = X @ delta
        if self.link == "identity":
            fit, D = eta, X
        else:
            fit = expit(eta)
            D = X * (fit * (1 - fit))[:, None]
        se = delta_se_rows(D, V)
        out = pd.DataFrame(
            {"fit": fit, "se_fit": se, "ci_low": fit - crit * se, "ci_high": fit + crit * se}
        )
        if newdata is None and self.row_index_ is not None:
            out.index = self.row_index_
        return out

    def posterior(self) -> pd.Series:
        """Each respondent's posterior probability of the sensitive trait,
        ``P(Z_i = 1 | Y_i, T_i, x_i)`` at the ML estimate (R ``predict(..., posterior)``).
        In the constrained model a control respondent's count says nothing about ``Z_i``,
        so the posterior equals the prior ``expit(x_i' delta)``."""
        if self.posterior_ is None:
            raise UnsupportedError("posterior probabilities need a likelihood: use method='ml'")
        return pd.Series(self.posterior_, index=self.row_index_, name="posterior")


# --------------------------------------------------------------------------- assembly


def _resolve_vcov(vcov: str | None, method: str, survey: SurveyDesign, notes: list[str]) -> str:
    offer = VCOV_OFFERS[f"list:{method}"]
    return resolve_vcov(
        vcov,
        survey,
        offer.kinds,
        offer.default,
        notes,
        estimator=f"method='{method}'",
        why={"model": "the two-step NLS estimator has no model-based variance; use hc0"},
        ignored="note",
    )


def _core_for(
    method: str,
    y: np.ndarray,
    t: np.ndarray,
    X: np.ndarray,
    terms: list[str],
    J: int,
    w: np.ndarray | None,
    constrained: bool,
    start: np.ndarray | None = None,
    ml_options: dict[str, Any] | None = None,
) -> Core:
    if method in ("dim", "lm"):
        return lm_core(y.astype(float), t, X, terms, w)
    if method == "nls":
        return nls_core(y, t, X, terms, J, w)
    return ml_core(y, t, X, terms, J, w, constrained, start=start, **(ml_options or {}))


def _prevalence_parts(
    link: str, delta: np.ndarray, X: np.ndarray, v: np.ndarray, rows: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Weighted mean of the fitted prevalence ``h(x_i' delta)`` (``h`` = expit or identity)
    over ``rows`` and its gradient with respect to ``delta``."""
    if rows is not None:
        X, v = X[rows], v[rows]
    v = v / v.sum()
    eta = X @ delta
    if link == "identity":
        return float(v @ eta), X.T @ v
    g = expit(eta)
    return float(v @ g), X.T @ (v * g * (1 - g))


def fit_list(
    ld: ListData,
    method: Method = "ml",
    constrained: bool = True,
    vcov: str | None = None,
    level: float = 0.95,
    bootstrap_reps: int = 500,
    seed: int | None = None,
    ml_options: dict[str, Any] | None = None,
    min_n: int = DEFAULT_MIN_N,
    _core: Core | None = None,
) -> ListFit:
    """Fit a standard list experiment on validated data (see :func:`list_experiment`);
    ``_core`` reuses the estimates of an earlier fit on ``ld``'s rows (no refitting)."""
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
    kind = _resolve_vcov(vcov, method, ld.survey, notes)
    w = ld.weights
    y, t, X = ld.y, ld.t, ld.X
    if _core is None:
        core = _core_for(method, y, t, X, ld.terms, ld.J, w, constrained, ml_options=ml_options)
    else:  # the point estimates of an earlier fit on the same rows (ListFit.with_vcov)
        core = _core
    p = core.theta.size
    if kind == "model":
        cov = core.model_cov
    elif kind == "bootstrap":

        def refit(rows: np.ndarray) -> np.ndarray:
            try:
                c = _core_for(
                    method,
                    y[rows],
                    t[rows],
                    X[rows],
                    ld.terms,
                    ld.J,
                    None if w is None else w[rows],
                    constrained,
                    start=core.theta,
                    ml_options={**(ml_options or {}), "quiet": True} if method == "ml" else None,
                )
            except Exception:  # a degenerate resample: counted as failed by bootstrap_cov
                return np.full(p, np.nan)
            return c.theta if c.converged else np.full(p, np.nan)

        cov, _ = bootstrap_cov(refit, ld.n, reps=bootstrap_reps, seed=seed, design=ld.survey)
        notes.append(f"bootstrap variance from {bootstrap_reps} resamples (seed {seed})")
    else:
        cov = vcov_from_influence(
            core.influence(), kind, design=ld.survey, n_params=p, leverage=core.leverage
        )
    cov = np.asarray(cov, dtype=float)
    notes.extend(core.notes)

    # ---- prevalence, overall and by group
    k = ld.X.shape[1]
    delta, Vd = core.theta[:k], cov[:k, :k]
    v = np.ones(ld.n) if w is None else w
    crit = t_crit(level, ld.n)

    def prev(rows: np.ndarray | None, n_rows: int, label: str | None = None) -> Estimate:
        est, G = _prevalence_parts(core.link, delta, X, v, rows)
        return delta_estimate(est, G, Vd, level=level, n=n_rows, label=label, crit=crit)

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
            groups = _dim_by_group(ld, kind, level, bootstrap_reps, seed, screened.verdicts)
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
    model = f"list.{method}"
    title = {
        "dim": "List experiment: difference in means",
        "lm": "List experiment: linear model (Imai 2011)",
        "nls": "List experiment: two-step nonlinear least squares (Imai 2011)",
        "ml": "List experiment: maximum likelihood, "
        f"{'constrained' if constrained else 'unconstrained'} binomial model (Imai 2011)",
    }[method]
    return ListFit(
        model=model,
        parts=core.parts,
        terms=core.terms,
        params_=core.theta,
        cov=cov,
        n=ld.n,
        loglik=core.loglik,
        converged=core.converged,
        iterations=core.iterations,
        gradient_norm=core.gradient_norm,
        vcov_type=kind,
        prevalence=prevalence,
        by=groups,
        notes=notes,
        extra=extra,
        level=level,
        title=title,
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
        options_={"constrained": constrained, "ml_options": ml_options, "min_n": min_n},
    )


def _cell(ld: ListData, rows: np.ndarray) -> Cell:
    """The respondents of ``rows`` for the small-cell rule: in all and per arm."""
    treated = int(ld.t[rows].sum())
    return Cell(len(rows), {"treated": treated, "control": len(rows) - treated})


def _dim_by_group(
    ld: ListData,
    kind: str,
    level: float,
    reps: int,
    seed: int | None,
    verdicts: list[Verdict],
) -> list[GroupEstimate]:
    """Difference in means within each group shown (its own estimate and variance)."""
    out: list[GroupEstimate] = []
    for code, (lab, verdict) in enumerate(zip(ld.by_labels, verdicts, strict=True)):
        group = {ld.by: lab}
        if not verdict.shown:  # suppressed: not even computed
            out.append(ScreenedGroup.of(group, verdict))
            continue
        rows = np.flatnonzero(ld.by_codes == code)
        sub = _subset(ld, rows)
        nt = int(sub.t.sum())
        if nt < 2 or sub.n - nt < 2:
            out.append(ScreenedGroup.of(group, verdict, note="fewer than 2 respondents in an arm"))
            continue
        try:
            fit = fit_list(
                sub, "dim", vcov=kind, level=level, bootstrap_reps=reps, seed=seed, min_n=1
            )
        except (DataError, UnsupportedError) as e:
            out.append(ScreenedGroup.of(group, verdict, note=str(e)))
            continue
        out.append(ScreenedGroup.of(group, verdict, fit.prevalence))
    return out


def _with_design(
    ld: ListData, cluster: str | None, strata: str | None, data: Any = None
) -> ListData:
    """``ld`` with the cluster/strata columns ``cluster``/``strata`` of ``data`` (the data
    the fit was given, its used rows) or of ``ld.frame``; ``None`` keeps the fit's own."""
    from dataclasses import replace

    from unspoken.io import factor_column, to_pandas

    if cluster is None and strata is None:
        return ld
    if data is None:
        frame = ld.frame
    else:
        df = to_pandas(data, copy=False)
        if len(df) != ld.n_input:
            raise DataError(
                f"data has {len(df)} rows but the fit was given {ld.n_input}: pass the data "
                "the fit was made from"
            )
        frame = df.iloc[ld.kept]
    codes = {}
    for role, col in (("cluster", cluster), ("strata", strata)):
        if col is None:
            continue
        if col not in frame.columns:
            where = "the data" if data is not None else "the columns the fit used (pass data=)"
            raise DataError(f"{role} column '{col}' is not in {where}", column=col, param=role)
        missing = np.flatnonzero(frame[col].isna().to_numpy())
        if missing.size:
            raise DataError(
                f"{role} column '{col}' has missing values in rows the fit used",
                column=col,
                rows=ld.kept[missing],
                param=role,
            )
        codes[role] = factor_column(frame, col, role=role)[0]
    s = ld.survey
    survey = SurveyDesign(
        s.n, s.weights, codes.get("cluster", s.cluster), codes.get("strata", s.strata)
    )
    return replace(ld, survey=survey)


def _subset(ld: ListData, rows: np.ndarray) -> ListData:
    from dataclasses import replace

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
    missing: Literal["listwise", "error"] = "listwise",
    bootstrap_reps: int = 500,
    seed: int | None = None,
    strict: bool = False,
    ceiling: bool = False,
    floor: bool = False,
    ceiling_formula: str = "~ 1",
    floor_formula: str = "~ 1",
    liar_fit: Literal["glm", "bayesglm"] = "glm",
    error: Literal["none", "topcoded", "topcode", "uniform"] = "none",
    robust: bool = False,
    overdispersed: bool = False,
    multi_condition: Literal["none", "level"] = "none",
    min_n: int = DEFAULT_MIN_N,
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
    """
    if method not in METHODS:
        raise UnsupportedError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    level = check_level(level)
    from unspoken.io import to_pandas
    from unspoken.listexp.variants import fit_variant, is_multi_item, variant_requested

    min_n = check_min_n(min_n)

    # converted once: a pandas frame is only read (never copied or modified) from here on
    df = to_pandas(data, copy=False)
    if variant_requested(ceiling, floor, error, robust, overdispersed, multi_condition) or (
        is_multi_item(df, treat)
    ):
        fit = fit_variant(
            df,
            formula,
            treat,
            J,
            method,
            constrained=constrained,
            control=control,
            weights=weights,
            cluster=cluster,
            strata=strata,
            vcov=vcov,
            by=by,
            level=level,
            missing=missing,
            bootstrap_reps=bootstrap_reps,
            seed=seed,
            ceiling=ceiling,
            floor=floor,
            ceiling_formula=ceiling_formula,
            floor_formula=floor_formula,
            liar_fit=liar_fit,
            error=error,
            robust=robust,
            overdispersed=overdispersed,
            multi_condition=multi_condition,
        )
        whole = whole_sample_note(Cell(fit.n), min_n)  # by= is refused for these designs
        if whole:
            fit.notes.append(whole)
        return fit
    ld = prepare_list_data(
        df,
        formula,
        treat,
        J=J,
        control=control,
        weights=weights,
        cluster=cluster,
        strata=strata,
        by=by,
        missing=missing,
    )
    return fit_list(
        ld,
        method=method,
        constrained=constrained,
        vcov=vcov,
        level=level,
        bootstrap_reps=bootstrap_reps,
        seed=seed,
        ml_options={"strict": strict},
        min_n=min_n,
    )


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
