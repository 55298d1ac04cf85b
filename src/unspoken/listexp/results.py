"""Results of list-experiment fits: they hold numbers and describe themselves.

:class:`ListFit` (a standard-design fit), :class:`CombinedResult` (the combined list and
direct estimator, with its :class:`PlaceboTest` s) and :class:`HausmanResult`; the design
tests' results are in :mod:`unspoken.listexp.design_test_results`. The statistics they offer
(``ListFit.predict``, ``posterior``, ``with_vcov``) are computed in
:mod:`unspoken.listexp.predict`; the methods here only call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from unspoken.options import DEFAULT_BOOTSTRAP_REPS
from unspoken.results import Estimate, FitResult, ResultMixin, tidy_frame

if TYPE_CHECKING:
    from unspoken.report.view import View

__all__ = ["CombinedResult", "HausmanResult", "ListFit", "PlaceboTest"]


@dataclass
class ListFit(FitResult):
    """A fitted standard-design list experiment.

    Beyond :class:`~unspoken.results.FitResult`: :meth:`predict` (average or individual
    predicted probability of the sensitive trait, also on new data, R's
    ``predict.ictreg``), :meth:`posterior` (``P(Z_i = 1 | Y_i, T_i, x_i)``, ML only) and
    :meth:`with_vcov` (another variance without refitting). ``fitter_`` is the estimator
    that made the fit (it recomputes the variance on ``data_``, the prepared data).
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
    fitter_: Callable[..., ListFit] | None = field(default=None, repr=False)

    @property
    def k_sensitive(self) -> int:
        return int(np.sum(np.asarray(self.parts) == "sensitive"))

    def with_vcov(
        self,
        vcov: str,
        cluster: str | None = None,
        strata: str | None = None,
        data: Any = None,
        bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS,
        seed: int | None = None,
    ) -> ListFit:
        """The same fit with another variance, without refitting: ``vcov`` as in
        :func:`~unspoken.list_experiment`; ``cluster``/``strata`` name columns (replacing
        the fit's) of ``data`` — the data the fit was given, same rows — or, without
        ``data``, of the columns the fit used. Standard errors, intervals and prevalences
        are recomputed; the estimates are the fit's own (bootstrap resamples are refitted,
        as always)."""
        from unspoken.inference.covariance import VCOV_OFFERS
        from unspoken.listexp.options import list_inference
        from unspoken.listexp.predict import refit_variance

        offered = VCOV_OFFERS[f"list:{self.method}"].kinds
        inference = list_inference(vcov, self.level, bootstrap_reps, seed, offered)
        return refit_variance(self, inference, cluster, strata, data)

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
        ``avg=False`` gives one row per respondent: ``fit``, ``se_fit``, ``ci_low``,
        ``ci_high``.
        """
        from unspoken.listexp.predict import predict_list

        return predict_list(self, newdata, avg, newdata_diff, level, weights)

    def posterior(self) -> pd.Series:
        """Each respondent's posterior probability of the sensitive trait,
        ``P(Z_i = 1 | Y_i, T_i, x_i)`` at the ML estimate (R ``predict(..., posterior)``).
        In the constrained model a control respondent's count says nothing about ``Z_i``,
        so the posterior equals the prior ``expit(x_i' delta)``."""
        from unspoken.listexp.predict import posterior_list

        return posterior_list(self)


@dataclass(frozen=True)
class PlaceboTest:
    """A placebo test of the combined estimator: estimate, s.e., null value and p-value."""

    name: str
    estimate: float
    std_error: float
    null: float
    p_value: float
    n: int
    description: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CombinedResult(ResultMixin):
    """Combined, direct and conventional list estimates, with the two placebo tests."""

    combined: Estimate
    direct: Estimate
    list: Estimate
    placebo_tests: list[PlaceboTest]
    n: int
    n_treated: int
    n_direct_yes: int
    covariates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def e(x: Estimate) -> dict[str, Any]:
            d = x.to_dict()
            d.pop("item", None)
            return d

        d: dict[str, Any] = {
            "model": "combined",
            "combined": e(self.combined),
            "direct": e(self.direct),
            "list": e(self.list),
            "placebo_tests": [t.to_dict() for t in self.placebo_tests],
            "n": self.n,
            "n_treated": self.n_treated,
            "n_direct_yes": self.n_direct_yes,
            "covariates": self.covariates,
        }
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The three prevalence estimates (part ``prevalence``; terms ``combined``,
        ``direct``, ``list``) with standard errors and intervals."""
        rows = [
            {"part": "prevalence", "term": name, "estimate": getattr(self, name)}
            for name in ("combined", "direct", "list")
        ]
        return tidy_frame(rows, level, self.combined.level)

    def view(self) -> View:
        from unspoken.report.view import combined_view

        return combined_view(self)


@dataclass
class HausmanResult(ResultMixin):
    """The Hausman statistic, its degrees of freedom and p-value."""

    statistic: float
    df: int
    p_value: float | None
    min_eigenvalue: float
    abs: bool
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"model": "hausman", **asdict(self)}

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The statistic as one row (part ``hausman``, term ``statistic``; no standard
        error or interval: NaN), its degrees of freedom and p-value in ``note``."""
        p = "NA" if self.p_value is None else f"{self.p_value:.4g}"
        nan = float("nan")
        rows = [
            {
                "part": "hausman",
                "term": "statistic",
                "estimate": Estimate(self.statistic, nan, nan, nan),
                "note": f"chi2({self.df}), p = {p}",
            }
        ]
        return tidy_frame(rows, level, 0.95)

    def view(self) -> View:
        from unspoken.report.view import hausman_view

        return hausman_view(self)
