"""Results of the re-analyses from published tables: a list experiment from its answer
counts (:class:`ListTableResult`), a direct poll from its topline (:class:`ToplineResult`)
and the gap from two published estimates (:class:`GapTableResult`). They hold numbers and
describe themselves once with ``view()`` (:mod:`unspoken.report.views.tables`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from unspoken.results import Estimate, ResultMixin, tidy_frame

if TYPE_CHECKING:
    from unspoken.listexp.design_test_results import DesignTestResult
    from unspoken.report.view import View

__all__ = ["GapTableResult", "ListTableResult", "Rounding", "ToplineResult"]


def _value(value: float, n: int | None = None) -> Estimate:
    """A number shown without a standard error (a share of a published table)."""
    return Estimate(float(value), math.nan, math.nan, math.nan, n)


@dataclass(frozen=True)
class Rounding:
    """How much the published table's rounding could move an estimate: ``decimals`` it was
    printed to (None: unrounded), the lowest and highest estimates from tables consistent
    with that rounding, and ``text``, the sentence the views print."""

    decimals: int | None
    low: float
    high: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"decimals": self.decimals, "low": self.low, "high": self.high, "text": self.text}


@dataclass
class ListTableResult(ResultMixin):
    """A list experiment from its published answer counts (:func:`list_from_counts`).

    ``dim``: difference in means; ``ml``: intercept-only maximum likelihood prevalence and
    ``ml_control`` its control-item probability (None with ``ml=False``); ``design``: the
    design-effect test; ``floor_ceiling``: the shares answering at the extremes."""

    J: int
    control: list[int | float]
    treated: list[int | float]
    dim: Estimate
    ml: Estimate | None
    ml_control: Estimate | None
    ml_loglik: float | None
    ml_converged: bool | None
    design: DesignTestResult
    floor_ceiling: dict[str, float]
    notes: list[str] = field(default_factory=list)
    level: float = 0.95
    rounding: Rounding | None = None

    @property
    def n(self) -> int:
        return round(sum(self.control) + sum(self.treated))

    @property
    def rounding_text(self) -> str:
        if self.rounding is not None:
            return "Difference in means: " + self.rounding.text
        return (
            "This rests on the published counts: whole numbers of respondents carry no "
            "rounding, so the estimates are those of the microdata the table counts."
        )

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Prevalence rows (``dim``, ``ml``), the design test's shares ``pi(y, z)`` at its own
        level, and the floor/ceiling shares (part ``warning``, no standard error)."""
        rows: list[dict[str, Any]] = [{"part": "prevalence", "term": "dim", "estimate": self.dim}]
        if self.ml is not None:
            rows.append({"part": "prevalence", "term": "ml", "estimate": self.ml})
        rows += self.design.tidy_rows()
        rows += [
            {"part": "warning", "term": k, "estimate": _value(v)}
            for k, v in self.floor_ceiling.items()
        ]
        return tidy_frame(rows, level, self.level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "table.list",
            "J": self.J,
            "n": self.n,
            "n_control": round(sum(self.control)),
            "n_treated": round(sum(self.treated)),
            "control_counts": list(self.control),
            "treated_counts": list(self.treated),
            "dim": self.dim.to_dict(),
            "ml": None if self.ml is None else self.ml.to_dict(),
            "ml_control_item": None if self.ml_control is None else self.ml_control.to_dict(),
            "ml_loglik": self.ml_loglik,
            "ml_converged": self.ml_converged,
            "design_test": self.design.to_dict(),
            "floor_ceiling": dict(self.floor_ceiling),
            "level": self.level,
            "rounding": self.rounding_text,
            "rounding_dim": None if self.rounding is None else self.rounding.to_dict(),
            "notes": list(self.notes),
        }

    def view(self) -> View:
        from unspoken.report.views.tables import list_table_view

        return list_table_view(self)


@dataclass
class ToplineResult(ResultMixin):
    """A direct poll from its published topline (:func:`direct_from_topline`): the share of
    every answer and of support (with the lower/upper bounds under ``dk="bounds"``), their
    standard errors with the design effect, and what the rounding could do."""

    answers: list[tuple[str, Estimate]]
    support: Estimate | None
    support_upper: Estimate | None
    n: float
    deff: float
    units: str
    dk: str
    support_values: list[str] | None
    dk_values: list[str]
    vcov: str
    rounding: Rounding | None
    rounding_upper: Rounding | None
    notes: list[str] = field(default_factory=list)
    level: float = 0.95

    @property
    def n_effective(self) -> float:
        return self.n / self.deff

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """A row per answer (part ``share``), then ``support`` (and ``support_upper``)."""
        rows: list[dict[str, Any]] = [
            {"part": "share", "term": str(lab), "estimate": e} for lab, e in self.answers
        ]
        if self.support is not None:
            rows.append({"part": "support", "term": "support", "estimate": self.support})
        if self.support_upper is not None:
            rows.append(
                {"part": "support", "term": "support_upper", "estimate": self.support_upper}
            )
        return tidy_frame(rows, level, self.level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "table.direct",
            "n": self.n,
            "deff": self.deff,
            "n_effective": self.n_effective,
            "units": self.units,
            "answers": [{"answer": lab, **e.to_dict()} for lab, e in self.answers],
            "support": None if self.support is None else self.support.to_dict(),
            "support_upper": None if self.support_upper is None else self.support_upper.to_dict(),
            "support_values": self.support_values,
            "dk_values": list(self.dk_values),
            "dk": self.dk,
            "vcov": self.vcov,
            "level": self.level,
            "rounding": None if self.rounding is None else self.rounding.to_dict(),
            "rounding_upper": None
            if self.rounding_upper is None
            else self.rounding_upper.to_dict(),
            "notes": list(self.notes),
        }

    def view(self) -> View:
        from unspoken.report.views.tables import topline_view

        return topline_view(self)


@dataclass
class GapTableResult(ResultMixin):
    """The gap (hidden minus direct) from two published estimates (:func:`gap_from_estimates`)
    under the assumed ``correlation`` of the two estimates, with the gap for each correlation
    of ``sensitivity`` (empty unless asked for or the same respondents answered both)."""

    hidden: Estimate
    direct: Estimate
    gap: Estimate
    correlation: float
    sensitivity: list[tuple[float, Estimate]]
    same_respondents: bool
    units: str
    rounding: Rounding | None
    notes: list[str] = field(default_factory=list)
    level: float = 0.95

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Rows ``hidden``, ``direct`` and ``gap``, then one ``gap`` row per correlation of
        the sensitivity table (term ``correlation=r``)."""
        rows: list[dict[str, Any]] = [
            {"part": "hidden", "term": "estimate", "estimate": self.hidden},
            {"part": "direct", "term": "estimate", "estimate": self.direct},
            {"part": "gap", "term": "gap", "estimate": self.gap},
        ]
        rows += [
            {"part": "gap", "term": f"correlation={r:g}", "estimate": e}
            for r, e in self.sensitivity
        ]
        return tidy_frame(rows, level, self.level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "table.gap",
            "hidden": self.hidden.to_dict(),
            "direct": self.direct.to_dict(),
            "gap": self.gap.to_dict(),
            "correlation": self.correlation,
            "same_respondents": self.same_respondents,
            "sensitivity": [{"correlation": r, **e.to_dict()} for r, e in self.sensitivity],
            "units": self.units,
            "level": self.level,
            "rounding": None if self.rounding is None else self.rounding.to_dict(),
            "notes": list(self.notes),
        }

    def view(self) -> View:
        from unspoken.report.views.tables import gap_table_view

        return gap_table_view(self)
