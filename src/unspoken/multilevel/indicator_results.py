"""The result of :func:`unspoken.multilevel.indicator.indicator_correlation` (numbers only; the
view and the plot are built in :mod:`unspoken.report.views.multilevel`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from unspoken.results import Estimate, ResultMixin, tidy_frame

if TYPE_CHECKING:
    from unspoken.report.view import View

__all__ = ["AreaIndicator", "IndicatorCorrelation"]

#: what each quantity of an area is called in tables and texts
QUANTITY_NAMES = {"hidden": "hidden share", "direct": "direct share", "gap": "gap"}


@dataclass(frozen=True)
class AreaIndicator:
    """One area: its indicator ``value`` and its model-based ``estimate`` of the quantity
    (respondents ``n``)."""

    area: Any
    value: float
    estimate: Estimate
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"area": self.area, "indicator": self.value, "n": self.n, **self.estimate.to_dict()}


@dataclass
class IndicatorCorrelation(ResultMixin):
    """The correlation across the fit's areas of an area-level ``indicator`` with the areas'
    true ``quantity`` ("hidden", "direct" or "gap"): ``pearson`` and ``spearman`` (the mean
    over joint draws of the areas' shares; interval: the central ``level`` interval of the
    draws), ``fisher`` (Pearson's r with the classic Fisher-z interval that treats the areas
    as a random sample of areas and their shares as known; ``None`` below 4 areas),
    ``of_estimates`` (Pearson's r of the displayed model-based estimates, which are pulled
    toward the model's predictions), ``line`` (intercept, slope) of the least-squares line of
    the estimates on the indicator, and one :class:`AreaIndicator` per area."""

    indicator: str
    quantity: str
    area: str
    areas: list[AreaIndicator]
    pearson: Estimate
    spearman: Estimate
    fisher: Estimate | None
    of_estimates: float
    line: tuple[float, float]
    draws: int
    seed: int
    method: str = "laplace"
    #: is the indicator an area-level predictor of the fit (its ``area_formula``)?
    in_model: bool = True
    #: was an SD of the area effects behind ``quantity`` held at 0 (the boundary)?
    sd_at_zero: bool = False
    level: float = 0.95
    notes: list[str] = field(default_factory=list)

    @property
    def quantity_name(self) -> str:
        return QUANTITY_NAMES[self.quantity]

    def area_frame(self) -> pd.DataFrame:
        """One row per area: the indicator, the model-based estimate, its s.e. and interval,
        and the respondents."""
        return pd.DataFrame(
            {
                "area": [a.area for a in self.areas],
                "indicator": [a.value for a in self.areas],
                "estimate": [a.estimate.estimate for a in self.areas],
                "std_error": [a.estimate.std_error for a in self.areas],
                "ci_low": [a.estimate.ci_low for a in self.areas],
                "ci_high": [a.estimate.ci_high for a in self.areas],
                "n": [a.n for a in self.areas],
            }
        )

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Part ``correlation`` (terms ``pearson``, ``spearman``, ``pearson (Fisher z)``) and
        part ``area`` (one row per area, its indicator value in ``note``)."""
        rows: list[dict[str, Any]] = [
            {"part": "correlation", "term": "pearson", "estimate": self.pearson},
            {"part": "correlation", "term": "spearman", "estimate": self.spearman},
        ]
        if self.fisher is not None:
            rows.append(
                {
                    "part": "correlation",
                    "term": "pearson (Fisher z)",
                    "estimate": self.fisher,
                    "note": "areas as a random sample of areas, shares taken as known",
                }
            )
        rows += [
            {
                "part": "area",
                "term": str(a.area),
                "estimate": a.estimate,
                "n": a.n,
                "note": f"{self.indicator} = {a.value:g}",
            }
            for a in self.areas
        ]
        return tidy_frame(rows, level, self.level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "correlation of an area-level indicator with a multilevel fit's areas",
            "indicator": self.indicator,
            "quantity": self.quantity,
            "area": self.area,
            "n_areas": len(self.areas),
            "method": self.method,
            "draws": self.draws,
            "seed": self.seed,
            "level": self.level,
            "pearson": self.pearson.to_dict(),
            "spearman": self.spearman.to_dict(),
            "fisher": None if self.fisher is None else self.fisher.to_dict(),
            "of_estimates": self.of_estimates,
            "line": {"intercept": self.line[0], "slope": self.line[1]},
            "in_model": self.in_model,
            "sd_at_zero": self.sd_at_zero,
            "areas": [a.to_dict() for a in self.areas],
            "notes": list(self.notes),
        }

    def view(self) -> View:
        from unspoken.report.views.multilevel import indicator_view

        return indicator_view(self)

    def plot(self, path: Any = None) -> Any:
        """The area estimates (with their intervals) against the indicator, the fitted line
        and the correlation with its interval in the title."""
        from unspoken.report.views.multilevel import indicator_plot

        fig = indicator_plot(self)
        if path is not None:
            fig.savefig(path)
        return fig
