"""The gap's results: GapRow (one domain's estimates) and GapResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from unspoken.direct.results import (
    TidyItem,
    answers_head,
    bounded,
    domains_dict,
    domains_tidy,
    estimate_dict,
    suppressed_domain,
)
from unspoken.falsification.plot import plot_gap
from unspoken.report.view import View
from unspoken.results import Estimate, ResultMixin

_LAYOUT_TEXT = {
    "everyone": "everyone",
    "control": "the control group only",
    "separate": "a separate subsample",
    "mixed": "part of the list sample",
}


@dataclass
class GapRow:
    """Direct share, hidden share and gap in one domain, or the reason there are none."""

    direct: Estimate | None = None
    hidden: Estimate | None = None
    gap: Estimate | None = None
    gap_se_independent: float | None = None
    correlation: float | None = None
    dk_share: Estimate | None = None
    direct_upper: Estimate | None = None
    gap_lower: Estimate | None = None
    placebo: dict[str, Estimate] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    note: str | None = None
    suppressed: bool = False  # by the small-cell rule: no estimates, no counts (``n_text``)
    n_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.suppressed:
            return suppressed_domain(["direct", "list", "gap", "counts"], self.n_text, self.note)
        if self.gap is None:
            return {
                "direct": None,
                "list": None,
                "gap": None,
                "counts": self.counts,
                "suppressed": False,
                "note": self.note,
            }
        g = estimate_dict(self.gap) or {}
        g["std_error_independent"] = self.gap_se_independent
        d: dict[str, Any] = {
            "direct": estimate_dict(self.direct),
            "list": estimate_dict(self.hidden),
            "gap": g,
            "correlation": self.correlation,
            "counts": self.counts,
            "suppressed": False,
        }
        if self.dk_share is not None:
            d["dk_share"] = estimate_dict(self.dk_share)
        if self.direct_upper is not None:
            d["bounds"] = {
                "direct": {
                    "lower": estimate_dict(self.direct),
                    "upper": estimate_dict(self.direct_upper),
                },
                "gap": {
                    "lower": estimate_dict(self.gap_lower),
                    "upper": estimate_dict(self.gap),
                },
            }
        if self.placebo is not None:
            d["placebo"] = {k: estimate_dict(v) for k, v in self.placebo.items()}
        if self.note:
            d["note"] = self.note
        return d

    def tidy_items(self) -> list[TidyItem]:
        """Lines of ``tidy()``: direct, hidden, gap (each an estimate, or lower and upper
        bounds with dk="bounds"), dont_know, then the placebo list's quantities."""
        gap = (
            bounded("gap", self.gap, None)
            if self.gap_lower is None
            else bounded("gap", self.gap_lower, self.gap)
        )
        return [
            *bounded("direct", self.direct, self.direct_upper),
            *bounded("hidden", self.hidden, None),
            *gap,
            *bounded("dont_know", self.dk_share, None),
            *(("placebo", k, e) for k, e in (self.placebo or {}).items()),
        ]


@dataclass
class GapResult(ResultMixin):
    """The falsification gap overall and by subgroup (gap = hidden - direct)."""

    method: str
    layout: str
    overall: GapRow
    by: list[tuple[dict[str, Any], GapRow]]
    direct_column: str
    support_values: list[Any]
    dk_values: list[Any]
    dk: str
    vcov: str
    n: int
    hidden_label: str = "list"
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        head = {
            "method": self.method,
            "layout": self.layout,
            "direct_question": self.direct_column,
            **answers_head(self),
            "n": self.n,
        }
        return domains_dict("gap", head, self, self.extra)

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row per (group, line): part "direct", "hidden", "gap", "dont_know" (term
        "estimate", or "lower"/"upper" with dk="bounds") and "placebo" (term: list, truth,
        deflation, list_corrected, gap_corrected, gap_corrected_lower); a suppressed group is
        one row with a note and no numbers. ``level``: Wald intervals at another level."""
        return domains_tidy(self, GapRow.tidy_items, "gap", level)

    @property
    def layout_text(self) -> str:
        """Who was asked the direct question, in words."""
        return _LAYOUT_TEXT.get(self.layout, self.layout)

    def view(self) -> View:
        from unspoken.report.view import gap_view

        return gap_view(self)

    def plot(self, path: str | Path | None = None, title: str | None = None) -> Any:
        """The report's figure: direct vs hidden share with intervals by subgroup, and the
        gap; saved to ``path`` (.svg, .png or .pdf) when given."""
        return plot_gap(self, path, title=title)
