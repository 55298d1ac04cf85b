"""Randomized-response results (RRFit, RRPrevalence, RRPredictorFit): they hold numbers; the
prevalence's variance and predictions are computed in :mod:`unspoken.rr.inference`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from unspoken.formula import DesignMatrix
from unspoken.inference.covariance import SurveyDesign
from unspoken.report.view import View
from unspoken.results import Estimate, FitResult, GroupEstimate, ResultMixin, tidy_frame
from unspoken.rr.designs import RRDesign
from unspoken.rr.inference import (
    closed_form_influence,
    fit_prevalence,
    fit_prevalence_influence,
)
from unspoken.rr.inference import (
    predict as predict_rows,
)

# --------------------------------------------------------------------------- results


@dataclass
class RRState:
    """What a regression keeps for inference after the fit, over the rows used: the design
    matrix ``X``, answers ``y``, weights ``w``, predicted prevalences ``lam``, posteriors
    ``post``, the coefficients' influence values ``beta_infl``, the survey design, the
    formula's design matrix ``dm`` (for new data) and the ``answer`` column."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    lam: np.ndarray
    post: np.ndarray
    beta_infl: np.ndarray
    survey: SurveyDesign
    dm: DesignMatrix
    answer: str


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
    _state: RRState | None = field(default=None, repr=False)

    # ---- prevalence and prediction (computed in unspoken.rr.inference)

    def prevalence_influence(self, mask: Any = None) -> tuple[float, np.ndarray]:
        """(Weighted) average predicted prevalence over ``mask`` (boolean over the used rows;
        ``None`` = all) and its influence values ``psi_i`` (length = rows used), with
        ``sum psi_i^2`` its sandwich (HC0) variance. See :mod:`unspoken.rr.regression`."""
        return fit_prevalence_influence(self, mask)

    def _prevalence_estimate(self, mask: np.ndarray, label: str | None = None) -> Estimate:
        return fit_prevalence(self, mask, label)

    def posterior(self) -> np.ndarray:
        """``P(Z_i = 1 | y_i, x_i)`` for each used row (R ``predict(..., given.y = TRUE)``)."""
        return np.array(self._state.post)  # type: ignore[union-attr]

    def predict(
        self, newdata: Any = None, given_y: bool = False, level: float | None = None
    ) -> pd.DataFrame:
        """Predicted prevalence ``expit(x' beta)`` per row with a delta-method standard error
        and an interval computed on the logit scale; with ``given_y=True`` the posterior
        ``P(Z = 1 | y, x)`` instead (no interval). ``newdata`` rows with missing values in
        the variables used get NaN."""
        return predict_rows(self, newdata, given_y, level)


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
        return closed_form_influence(self, mask)

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The prevalence, part ``"prevalence"``: one row for all respondents (group
        ``"(all)"`` when there are subgroups) and one per subgroup of ``by``."""
        whole: dict[str, Any] = {"part": "prevalence", "term": "prevalence"}
        rows = [{**whole, "estimate": self.prevalence, **({"group": {}} if self.by else {})}]
        rows += [
            {**whole, "group": g.group, "estimate": g.estimate, "note": g.note} for g in self.by
        ]
        return tidy_frame(rows, level, self.prevalence.level)

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


@dataclass
class RRPredictorFit(FitResult):
    """Joint fit: part ``sensitive`` (model of the hidden trait) and part ``outcome``
    (logistic model of the outcome, including the hidden trait's coefficient)."""

    design: RRDesign | None = None
    row_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _post: np.ndarray | None = field(default=None, repr=False)

    def posterior(self) -> np.ndarray:
        """``P(Z_i = 1 | y_i, v_i, covariates)`` for each used row."""
        return np.array(self._post)
