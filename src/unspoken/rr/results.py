"""Randomized-response results (RRFit, RRPrevalence) and the average prevalence's variance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.formula import (
    DesignMatrix,
)
from unspoken.inference.covariance import (
    SurveyDesign,
    vcov_from_influence,
)
from unspoken.inference.delta import delta_se_rows, delta_var
from unspoken.io import require_columns, to_pandas
from unspoken.report.view import View
from unspoken.results import Estimate, FitResult, GroupEstimate, ResultMixin, z_value
from unspoken.rr.data import (
    _answers,
    _check_mask,
)
from unspoken.rr.designs import RRDesign

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
