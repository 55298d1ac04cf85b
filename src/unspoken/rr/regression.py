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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit

from unspoken.errors import DataError, UnsupportedError
from unspoken.formula import (
    DesignMatrix,
    check_full_rank,
    formula_columns,
    model_matrix,
    split_formula,
)
from unspoken.inference.covariance import (
    VCOV_OFFERS,
    SurveyDesign,
    bootstrap_cov,
    resolve_vcov,
    sandwich_influence,
    survey_design,
    vcov_from_influence,
)
from unspoken.inference.delta import delta_se_rows, delta_var
from unspoken.inference.likelihood import Convergence, newton_em
from unspoken.io import drop_missing, numeric_column, require_columns, to_pandas
from unspoken.report.view import View
from unspoken.results import Estimate, FitResult, GroupEstimate, ResultMixin, z_value
from unspoken.rr.designs import RRDesign, make_design
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    Cell,
    ScreenedGroup,
    check_min_n,
    screen,
    whole_sample_note,
)

RRVcov = Literal["model", "opg", "hc0", "hc1", "cluster", "survey", "bootstrap"]
RR_VCOV: tuple[str, ...] = VCOV_OFFERS["rr"].kinds

__all__ = ["RRFit", "RRPrevalence", "rr_prevalence", "rr_regression"]


# --------------------------------------------------------------------------- data


@dataclass
class _Prepared:
    df: pd.DataFrame  # the used rows (a copy)
    y: np.ndarray
    kept: np.ndarray
    survey: SurveyDesign
    notes: list[str]
    answer: str


def _answers(df: pd.DataFrame, col: str, design: RRDesign, kept: np.ndarray) -> np.ndarray:
    """The answers as 0/1 floats; anything else is a DataError naming column and rows."""
    y = numeric_column(df, col, role="randomized response answer")
    bad = (y != 0) & (y != 1)
    if bad.any():
        pos = np.flatnonzero(bad)
        shown = ", ".join(f"{v:g}" for v in y[pos[:5]])
        raise DataError(
            f"the {design.name} design's answers must be 0 or 1 (1 = {design.yes_means}); "
            f"{len(pos)} value{'s are' if len(pos) > 1 else ' is'} not (e.g. {shown}; row "
            "numbers are 0-based positions in the data given)",
            column=col,
            rows=kept[pos],
        )
    return y


def _prepare(
    df: pd.DataFrame,
    answer: str,
    extra_cols: list[str],
    design: RRDesign,
    weights: str | None,
    cluster: str | None,
    strata: str | None,
    missing: Literal["listwise", "error"],
    by: str | None = None,
) -> _Prepared:
    """The used rows of ``df`` (the caller's :func:`to_pandas` frame), their 0/1 answers
    and survey design; columns are checked first (``by`` too, though it is not used to
    drop rows)."""
    if by is not None:
        require_columns(df, [by], role="by")
    roles = [(answer, "randomized response answer")]
    roles += [
        (c, role)
        for c, role in ((weights, "weights"), (cluster, "cluster"), (strata, "strata"))
        if c is not None
    ]
    for col, role in roles:
        require_columns(df, [col], role=role)
    if weights is not None:  # checked on the data as given, so rows are the user's rows
        wt = numeric_column(df, weights, role="weights", allow_missing=True)
        bad = wt < 0
        if bad.any():
            raise DataError(
                f"weights must not be negative; {int(bad.sum())} are (row numbers are 0-based "
                "positions in the data given)",
                column=weights,
                rows=np.flatnonzero(bad),
            )
    cols = list(dict.fromkeys([answer, *extra_cols, *[c for c, _ in roles[1:]]]))
    used, notes, kept = drop_missing(df, cols, policy=missing, weights=weights)
    if len(used) < 2:
        raise DataError(
            f"column '{answer}' (randomized response answer) has {len(used)} usable "
            f"answer{'' if len(used) == 1 else 's'}: an estimate and its variance need at "
            "least two respondents",
            column=answer,
            rows=kept,
        )
    y = _answers(used, answer, design, kept)
    survey = survey_design(
        used.reset_index(drop=True), weights=weights, cluster=cluster, strata=strata
    )
    return _Prepared(used, y, kept, survey, notes, answer)


_CLOSED_FORM_WHY = {
    "bootstrap": "the closed form is not refitted; rr_regression offers the bootstrap",
}


def _default_kind(
    survey: SurveyDesign, vcov: str | None, estimator: str = "rr", notes: list[str] | None = None
) -> str:
    """The variance of a randomized-response ``estimator`` (a key of ``VCOV_OFFERS``):
    weights make the default the survey design's; the model-based variances read weights
    as frequency weights."""
    offer = VCOV_OFFERS[estimator]
    return resolve_vcov(
        vcov,
        survey,
        offer.kinds,
        offer.default,
        notes,
        estimator="rr_regression" if estimator == "rr" else estimator,
        why=_CLOSED_FORM_WHY,
        weighted_default="survey",
        ignored="note",
        frequency_weights=True,
    )


def _check_mask(mask: Any, n: int) -> np.ndarray:
    """``mask`` as a non-empty boolean array over the ``n`` used rows (``None`` = all)."""
    if mask is None:
        return np.ones(n, dtype=bool)
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != (n,):
        raise DataError(
            f"mask must be a boolean array over the {n} rows used in the fit "
            f"(got dtype {m.dtype}, shape {m.shape})"
        )
    if not m.any():
        raise DataError("mask selects no respondent")
    return m


def _screened_groups(
    df: pd.DataFrame,
    by: str | None,
    min_n: int,
    estimate: Callable[[np.ndarray], Estimate],
    notes: list[str],
) -> list[GroupEstimate]:
    """The prevalence in each group of ``by`` that the small-cell rule lets through (only
    those are estimated); the rule's notes are added to ``notes``."""
    groups = _group_masks(df, by)
    screened = screen([Cell(int(m.sum())) for _, m in groups], min_n)
    notes.extend(screened.notes)
    return [
        ScreenedGroup.of({by: lv}, v, estimate(m) if v.shown else None)  # type: ignore[dict-item]
        for (lv, m), v in zip(groups, screened.verdicts, strict=True)
    ]


def _group_masks(df: pd.DataFrame, by: str | None) -> list[tuple[Any, np.ndarray]]:
    if by is None:
        return []
    s = df[by]  # checked by _prepare
    ok = ~s.isna().to_numpy()
    levels = pd.unique(s[ok])
    try:
        levels = sorted(levels)
    except TypeError:
        levels = list(levels)
    vals = s.to_numpy()
    return [(lv.item() if isinstance(lv, np.generic) else lv, ok & (vals == lv)) for lv in levels]


# --------------------------------------------------------------------------- likelihood


def _log_answer_probs(design: RRDesign, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log f_i(1), log f_i(0))`` with ``f_i(z) = P(Y = y_i | Z = z)`` (``-inf`` when the
    design rules the answer out, e.g. triangular ``y = 1`` with ``z = 1``)."""
    with np.errstate(divide="ignore"):
        l1 = np.log([1.0 - design.pi1, design.pi1])  # log P(Y=0|Z=1), log P(Y=1|Z=1)
        l0 = np.log([1.0 - design.pi0, design.pi0])
    yi = y.astype(np.int64)
    return l1[yi], l0[yi]


class _Likelihood:
    """The design likelihood for answers ``y`` and covariates ``X`` (weights ``w``)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, design: RRDesign) -> None:
        self.X, self.y, self.w = X, y, w
        self.lf1, self.lf0 = _log_answer_probs(design, y)

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, ``lambda_i`` and posteriors ``r_i`` at ``beta``."""
        eta = self.X @ beta
        a1 = self.lf1 + log_expit(eta)
        a0 = self.lf0 + log_expit(-eta)
        lmu = np.logaddexp(a1, a0)
        ll = float(np.sum(self.w * lmu))
        return ll, expit(eta), np.exp(a1 - lmu)

    def scores(self, lam: np.ndarray, post: np.ndarray) -> np.ndarray:
        return (self.w * (post - lam))[:, None] * self.X

    def information(self, lam: np.ndarray, post: np.ndarray) -> np.ndarray:
        c = self.w * (lam * (1 - lam) - post * (1 - post))
        return self.X.T @ (self.X * c[:, None])

    def maximise(
        self, beta0: np.ndarray, maxit: int = 500
    ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, Convergence, tuple[int, int]]:
        """``(beta, loglik, lambda, posterior, report, (EM-gradient steps, Newton steps))``
        by :func:`~unspoken.inference.likelihood.newton_em`."""

        def derivs(state: tuple[np.ndarray, np.ndarray]):
            lam, post = state
            g = self.X.T @ (self.w * (post - lam))
            Hc = self.X.T @ (self.X * (self.w * lam * (1 - lam))[:, None])
            return g, self.information(lam, post), Hc

        def evaluate(beta: np.ndarray):
            ll, lam, post = self.evaluate(beta)
            return ll, (lam, post)

        beta, ll, (lam, post), report, steps = newton_em(evaluate, derivs, beta0, maxit)
        return beta, ll, lam, post, report, steps


def _logit(p: float) -> float:
    p = min(max(p, 0.02), 0.98)
    return float(np.log(p / (1 - p)))


# --------------------------------------------------------------------------- prevalence


def _average_prevalence(
    lam: np.ndarray, w: np.ndarray, X: np.ndarray, mask: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """``P = sum_mask w lam / W``, its gradient ``g`` in the coefficients of ``X`` and the
    covariate-sampling part of its influence values (see the module docstring)."""
    wm = np.where(mask, w, 0.0)
    W = wm.sum()
    P = float(wm @ lam / W)
    g = X.T @ (wm * lam * (1 - lam)) / W
    return P, g, wm * (lam - P) / W


def _prevalence_variance(
    kind: str,
    g: np.ndarray,
    sampling: np.ndarray,
    V: np.ndarray,
    beta_infl: np.ndarray,
    survey: SurveyDesign,
) -> float:
    """``Var(P)``: ``g' V g + sum sampling^2`` for the model-based variances (the parts are
    uncorrelated under the model), else from the influence values
    ``sampling + beta_infl g`` through the survey design."""
    if kind in ("model", "opg", "bootstrap"):
        return delta_var(g, V) + float(sampling @ sampling)
    psi = sampling + beta_infl @ g
    return float(vcov_from_influence(psi, kind, survey, n_params=len(g)))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- results


@dataclass
class RRFit(FitResult):
    """A randomized response regression (logistic model of the hidden trait).

    Beyond :class:`~unspoken.results.FitResult`: ``design``, ``row_positions`` (positions of
    the used rows in the input data), :meth:`predict`, :meth:`posterior` and
    :meth:`prevalence_influence` (for the falsification gap).
    """

    design: RRDesign | None = None
    row_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    formula: str = ""
    _X: np.ndarray | None = field(default=None, repr=False)
    _y: np.ndarray | None = field(default=None, repr=False)
    _w: np.ndarray | None = field(default=None, repr=False)
    _lam: np.ndarray | None = field(default=None, repr=False)
    _post: np.ndarray | None = field(default=None, repr=False)
    _beta_infl: np.ndarray | None = field(default=None, repr=False)
    _survey: SurveyDesign | None = field(default=None, repr=False)
    _dm: DesignMatrix | None = field(default=None, repr=False)
    _answer: str = field(default="", repr=False)

    # ---- prevalence

    def _prevalence_parts(self, mask: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        return _average_prevalence(self._lam, self._w, self._X, mask)  # type: ignore[arg-type]

    def prevalence_influence(self, mask: Any = None) -> tuple[float, np.ndarray]:
        """(Weighted) average predicted prevalence over ``mask`` (boolean over the used rows;
        ``None`` = all) and its influence values ``psi_i`` (length = rows used), with
        ``sum psi_i^2`` its sandwich (HC0) variance. See the module docstring."""
        m = _check_mask(mask, len(self._lam))  # type: ignore[arg-type]
        P, g, sampling = self._prevalence_parts(m)
        return P, sampling + self._beta_infl @ g  # type: ignore[operator]

    def _prevalence_estimate(self, mask: np.ndarray, label: str | None = None) -> Estimate:
        P, g, sampling = self._prevalence_parts(mask)
        var = _prevalence_variance(
            self.vcov_type,
            g,
            sampling,
            self.cov,
            self._beta_infl,  # type: ignore[arg-type]
            self._survey,  # type: ignore[arg-type]
        )
        return Estimate.from_se(
            P, np.sqrt(max(var, 0.0)), level=self.level, n=int(mask.sum()), label=label
        )

    # ---- prediction

    def posterior(self) -> np.ndarray:
        """``P(Z_i = 1 | y_i, x_i)`` for each used row (R ``predict(..., given.y = TRUE)``)."""
        return np.array(self._post)

    def predict(
        self, newdata: Any = None, given_y: bool = False, level: float | None = None
    ) -> pd.DataFrame:
        """Predicted prevalence ``expit(x' beta)`` per row with a delta-method standard error
        and an interval computed on the logit scale; with ``given_y=True`` the posterior
        ``P(Z = 1 | y, x)`` instead (no interval). ``newdata`` rows with missing values in
        the variables used get NaN."""
        if newdata is None:
            X, y = self._X, self._y
            index = pd.RangeIndex(len(X))  # type: ignore[arg-type]
        else:
            df = to_pandas(newdata)
            cols = list(self._dm.columns) + ([self._answer] if given_y else [])  # type: ignore[union-attr]
            require_columns(df, cols)
            ok = ~df[cols].isna().any(axis=1).to_numpy()
            index = df.index
            Xok = self._dm.on(df[ok])  # type: ignore[union-attr]
            X = np.full((len(df), Xok.shape[1]), np.nan)
            X[ok] = Xok
            y = None
            if given_y:
                y = np.full(len(df), np.nan)
                y[ok] = _answers(
                    df[ok],
                    self._answer,
                    self.design,  # type: ignore[arg-type]
                    np.flatnonzero(ok),
                )
        eta = X @ self.params_  # type: ignore[operator]
        lam = expit(eta)
        if given_y:
            d = self.design
            f1 = np.where(y == 1, d.pi1, 1 - d.pi1)  # type: ignore[union-attr]
            f0 = np.where(y == 1, d.pi0, 1 - d.pi0)  # type: ignore[union-attr]
            post = f1 * lam / (f1 * lam + f0 * (1 - lam))
            return pd.DataFrame({"estimate": post}, index=index)
        se_eta = delta_se_rows(X, self.cov)
        c = z_value(self.level if level is None else level)
        return pd.DataFrame(
            {
                "estimate": lam,
                "std_error": lam * (1 - lam) * se_eta,
                "ci_low": expit(eta - c * se_eta),
                "ci_high": expit(eta + c * se_eta),
            },
            index=index,
        )


@dataclass
class RRPrevalence(ResultMixin):
    """Closed-form prevalence ``(ybar - a) / b`` with its standard error (and by subgroup)."""

    model: str
    prevalence: Estimate
    n: int
    design: RRDesign
    vcov_type: str
    mean_answer: float
    by: list[GroupEstimate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    row_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _y: np.ndarray | None = field(default=None, repr=False)
    _w: np.ndarray | None = field(default=None, repr=False)

    def prevalence_influence(self, mask: Any = None) -> tuple[float, np.ndarray]:
        """Prevalence among ``mask`` (boolean over used rows, ``None`` = all) and influence
        values ``psi_i = 1[i in mask] w_i (y_i - ybar_mask) / (W_mask b)``."""
        y, w = self._y, self._w
        m = _check_mask(mask, len(y))  # type: ignore[arg-type]
        wm = np.where(m, w, 0.0)  # type: ignore[arg-type]
        W = wm.sum()
        ybar = float(wm @ y / W)  # type: ignore[operator]
        b = self.design.b
        return (ybar - self.design.a) / b, wm * (y - ybar) / (W * b)  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "model": self.model,
            "n": self.n,
            "vcov": self.vcov_type,
            "design": self.design.to_dict(),
            "mean_answer": self.mean_answer,
            "prevalence": self.prevalence.to_dict(),
        }
        if self.by:
            d["by"] = [g.to_dict() for g in self.by]
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    def view(self) -> View:
        from unspoken.report.view import rr_prevalence_view

        return rr_prevalence_view(self)


# --------------------------------------------------------------------------- estimators


def rr_prevalence(
    data: Any,
    answer: str,
    design: str | RRDesign = "forced-known",
    p: float | None = None,
    p0: float | None = None,
    p1: float | None = None,
    q: float | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    vcov: RRVcov | None = None,
    by: str | None = None,
    level: float = 0.95,
    missing: Literal["listwise", "error"] = "listwise",
    min_n: int = DEFAULT_MIN_N,
) -> RRPrevalence:
    """Closed-form prevalence ``(ybar_w - a) / b`` of a randomized response item.

    ``answer`` is the column of answers (or ``"y ~ 1"``). Variance: ``"model"`` is the
    binomial ``ybar (1 - ybar) / (n b^2)`` (``n`` = sum of weights: frequency weights); the
    others use the influence values (see the module docstring). The estimate is not
    truncated to [0, 1] (it is unbiased); a note says when it falls outside. ``by`` gives it
    per value of a column; a group with fewer than ``min_n`` respondents (default 30) is
    suppressed to protect respondents (see :mod:`unspoken.smallcells`).
    """
    min_n = check_min_n(min_n)
    d = make_design(design, p=p, p0=p0, p1=p1, q=q)
    if "~" in answer:
        lhs, rhs = split_formula(answer)
        if lhs is None or rhs.strip() != "1":
            raise UnsupportedError(
                "rr_prevalence takes the answer column (or 'y ~ 1'); use rr_regression "
                "for covariates"
            )
        answer = lhs
    prep = _prepare(to_pandas(data), answer, [], d, weights, cluster, strata, missing, by)
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
            var = yb * (1 - yb) / (W * d.b**2)  # weights as frequency weights
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
    whole = whole_sample_note(Cell(len(y)), min_n)
    if whole:
        result.notes.append(whole)
    result.by = _screened_groups(prep.df, by, min_n, estimate, result.notes)
    if not 0 <= result.prevalence.estimate <= 1:
        result.notes.append(
            f"the estimate {result.prevalence.estimate:.4f} lies outside [0, 1]: the share of "
            f"answers y = 1 ({result.mean_answer:.4f}) is outside the range the design allows "
            f"({min(d.pi0, d.pi1):.4f} to {max(d.pi0, d.pi1):.4f})"
        )
    return result


def rr_regression(
    data: Any,
    formula: str,
    design: str | RRDesign = "forced-known",
    p: float | None = None,
    p0: float | None = None,
    p1: float | None = None,
    q: float | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    vcov: RRVcov | None = None,
    by: str | None = None,
    level: float = 0.95,
    missing: Literal["listwise", "error"] = "listwise",
    start: np.ndarray | None = None,
    maxit: int = 500,
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    min_n: int = DEFAULT_MIN_N,
) -> RRFit:
    """Logistic regression of a hidden trait on covariates from randomized response answers
    (R ``rr::rrreg``), by maximum likelihood.

    ``formula`` is ``"answer ~ x1 + x2"`` (column names with dots work); the design is named
    as in R ``rr`` with its parameters ``p``, ``p0``, ``p1``, ``q`` (or pass a design object,
    e.g. ``unspoken.rr.Crosswise(p=0.2)``). Rows with a missing value in the formula's
    variables (or weights/cluster/strata) are dropped, as R's ``na.omit``.

    The default variance is ``"model"`` (inverse observed information) without survey
    columns, ``"cluster"`` with a cluster column, and ``"survey"`` (Taylor linearisation)
    with weights or strata. ``vcov="opg"`` gives R ``rrreg``'s default standard errors.
    The result's ``prevalence`` is the average predicted prevalence; ``by`` gives it per
    value of a column (a group with fewer than ``min_n`` respondents, default 30, is
    suppressed to protect respondents; see :mod:`unspoken.smallcells`).
    """
    min_n = check_min_n(min_n)
    d = make_design(design, p=p, p0=p0, p1=p1, q=q)
    if not isinstance(formula, str) or "~" not in formula:
        raise DataError(f"formula must look like 'answer ~ x1 + x2', got {formula!r}")
    lhs, rhs = split_formula(formula)
    if lhs is None:
        raise DataError(f"formula '{formula}' needs the answer column on the left of '~'")
    df0 = to_pandas(data)
    require_columns(df0, [lhs], role="randomized response answer")
    rhs_cols = formula_columns(rhs, list(df0.columns))
    prep = _prepare(df0, lhs, rhs_cols, d, weights, cluster, strata, missing, by)
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

    H = lik.information(lam, post)
    try:
        Hinv = np.linalg.inv(H)
        if not np.all(np.isfinite(Hinv)) or np.any(np.diag(Hinv) <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        Hinv = np.linalg.pinv(H)
        notes.append("the information matrix is singular: standard errors are unreliable")
        converged = False
    S = lik.scores(lam, post)
    beta_infl = sandwich_influence(S, Hinv)
    if kind == "model":
        V = Hinv
    elif kind == "opg":  # sum_i w_i u_i u_i' (u_i the unweighted score): frequency weights
        V = np.linalg.inv(S.T @ (S / w[:, None]))
    elif kind == "bootstrap":

        def refit(rows: np.ndarray) -> np.ndarray:
            sub = _Likelihood(X[rows], y[rows], w[rows], d)
            b, _, _, _, rep, _ = sub.maximise(beta, maxit=100)
            return b if rep.converged else np.full_like(b, np.nan)

        V, _ = bootstrap_cov(refit, len(y), reps=reps, seed=seed, design=prep.survey)
    else:
        V = vcov_from_influence(
            beta_infl,
            kind,
            prep.survey,  # type: ignore[arg-type]
            n_params=X.shape[1],
        )
    V = (V + V.T) / 2

    fit = RRFit(
        model=f"rr.{d.name}",
        parts=["sensitive"] * X.shape[1],
        terms=list(dm.names),
        params_=beta,
        cov=V,
        n=len(y),
        loglik=ll,
        converged=converged,
        iterations=report.iterations,
        gradient_norm=report.gradient_norm,
        vcov_type=kind,
        notes=notes,
        level=level,
        title=f"unspoken: randomized response regression ({d.name})",
        extra={
            "design": d.to_dict(),
            "formula": formula,
            "em_steps": em_steps,
            "newton_steps": newton_steps,
        },
        design=d,
        row_positions=prep.kept,
        formula=formula,
        _X=X,
        _y=y,
        _w=w,
        _lam=lam,
        _post=post,
        _beta_infl=beta_infl,
        _survey=prep.survey,
        _dm=dm,
        _answer=lhs,
    )
    fit.prevalence = fit._prevalence_estimate(np.ones(len(y), bool))
    whole = whole_sample_note(Cell(len(y)), min_n)
    if whole:
        fit.notes.append(whole)
    fit.by = _screened_groups(prep.df, by, min_n, fit._prevalence_estimate, fit.notes)
    return fit
