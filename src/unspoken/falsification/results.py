"""The gap's results: GapRow (one domain's estimates) and GapResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from unspoken.direct import (
    estimate_dict,
)
from unspoken.falsification.plot import plot_gap
from unspoken.report.view import View
from unspoken.results import Estimate, ResultMixin
from unspoken.smallcells import (
    suppressed_dict,
)

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
            d = suppressed_dict({}, ["direct", "list", "gap", "counts"], self.n_text, self.note)
            del d["group"]
            return d
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
    variance: str
    n: int
    hidden_label: str = "list"
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "model": "gap",
            "method": self.method,
            "layout": self.layout,
            "direct_question": self.direct_column,
            "support_values": self.support_values,
            "dk_values": self.dk_values,
            "dk": self.dk,
            "variance": self.variance,
            "n": self.n,
            "overall": self.overall.to_dict(),
            "by": [{"group": g, **row.to_dict()} for g, row in self.by],
        }
        d.update(self.extra)
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    def tidy(self) -> pd.DataFrame:
        """One row per (group, quantity): direct, list, gap (and bounds / placebo lines)."""
        rows = []
        for g, r in [({}, self.overall), *self.by]:
            grp = ", ".join(f"{k} = {v}" for k, v in g.items()) or "(all)"
            if r.suppressed:  # small-cell rule: no estimates, no n
                rows.append({"group": grp, "quantity": f"suppressed ({r.n_text})"})
                continue
            if r.gap is None:
                rows.append({"group": grp, "quantity": r.note})
                continue
            items: list[tuple[str, Estimate | None]] = [
                ("direct" if r.direct_upper is None else "direct (low)", r.direct),
                ("direct (high)", r.direct_upper),
                (self.hidden_label, r.hidden),
                ("gap" if r.gap_lower is None else "gap (high)", r.gap),
                ("gap (low)", r.gap_lower),
                ("don't know", r.dk_share),
            ]
            if r.placebo:
                items += [(f"placebo: {k}", v) for k, v in r.placebo.items()]
            for name, e in items:
                if e is None:
                    continue
                rows.append(
                    {
                        "group": grp,
                        "quantity": name,
                        "estimate": e.estimate,
                        "std_error": e.std_error,
                        "ci_low": e.ci_low,
                        "ci_high": e.ci_high,
                        "n": e.n,
                    }
                )
        out = pd.DataFrame(rows)
        if "n" in out:
            out["n"] = out["n"].astype("Int64")
        return out

    @property
    def layout_text(self) -> str:
        """Who was asked the direct question, in words."""
        return _LAYOUT_TEXT.get(self.layout, self.layout)

    def view(self) -> View:
        from unspoken.report.view import gap_view

        return gap_view(self)

    def plot(self, path: str | None = None, title: str | None = None):
        """Direct vs hidden share with intervals by subgroup (SVG/PNG by the file's suffix)."""
        return plot_gap(self, path, title=title)
