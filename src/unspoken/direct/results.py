"""The direct poll's results (DirectTable, DirectResult) and the pieces every result by domain
shares with the gap's (:mod:`unspoken.falsification.results`): JSON of an estimate, of a
suppressed domain and of a result overall and by group, and the rows of ``tidy()``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from unspoken.report.view import View
from unspoken.results import Estimate, ResultMixin, tidy_frame
from unspoken.smallcells import suppressed_dict

#: (part, term, estimate) of one line of ``tidy()``
TidyItem = tuple[str, Any, Estimate | None]


def estimate_dict(e: Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    d = e.to_dict()
    d.pop("item", None)
    return d


def suppressed_domain(keys: list[str], n_text: str | None, note: str | None) -> dict[str, Any]:
    """JSON of a domain hidden by the small-cell rule: ``keys`` null, no counts."""
    d = suppressed_dict({}, keys, n_text, note)
    del d["group"]
    return d


def domains(result: Any) -> list[tuple[dict[str, Any], Any]]:
    """``(group, table)`` of the whole sample (group ``{}``) and of every subgroup."""
    return [({}, result.overall), *result.by]


def answers_head(result: Any) -> dict[str, Any]:
    """The JSON fields saying how the direct answers were read: support and don't-know
    answers, the dk policy and the variance kind (the direct poll's and the gap's)."""
    return {
        "support_values": result.support_values,
        "dk_values": result.dk_values,
        "dk": result.dk,
        "vcov": result.vcov,
    }


def domains_dict(
    model: str, head: dict[str, Any], result: Any, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """JSON of a result by domain: ``model``, the ``head`` fields, ``overall``, ``by``, then
    ``extra`` and the result's notes."""
    d: dict[str, Any] = {
        "model": model,
        **head,
        "overall": result.overall.to_dict(),
        "by": [{"group": g, **t.to_dict()} for g, t in result.by],
    }
    d.update(extra or {})
    if result.notes:
        d["notes"] = list(result.notes)
    return d


def domains_tidy(
    result: Any,
    items: Callable[[Any], Iterable[TidyItem]],
    headline: str,
    level: float | None,
) -> pd.DataFrame:
    """The ``tidy()`` table of a result by domain: ``items(table)`` gives each domain's
    lines; a suppressed domain (or one without estimates) is one ``headline`` line with a
    note and no numbers. ``group`` comes first when there are subgroups."""
    rows: list[dict[str, Any]] = []
    for g, t in domains(result):
        base: dict[str, Any] = {"group": g} if result.by else {}
        if t.suppressed:
            rows.append({**base, "part": headline, "term": "estimate",
                         "note": f"suppressed ({t.n_text})"})  # fmt: skip
            continue
        lines = list(items(t))
        if not lines:
            rows.append({**base, "part": headline, "term": "estimate", "note": t.note})
        rows += [{**base, "part": p, "term": term, "estimate": e} for p, term, e in lines]
    return tidy_frame(rows, level, result.level)


def bounded(part: str, low: Estimate | None, high: Estimate | None) -> list[TidyItem]:
    """One ``estimate`` line, or ``lower`` and ``upper`` lines when there are bounds."""
    if high is None:
        return [] if low is None else [(part, "estimate", low)]
    return [(part, "lower", low), (part, "upper", high)]


@dataclass
class DirectTable:
    """Shares of every answer and of the support set in one domain (or why there are none)."""

    categories: list[tuple[Any, Estimate]] = field(default_factory=list)
    support: Estimate | None = None
    support_upper: Estimate | None = None
    n: int = 0
    note: str | None = None
    suppressed: bool = False  # by the small-cell rule: no shares, no count (``n_text``)
    n_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.suppressed:
            return suppressed_domain(["categories", "support"], self.n_text, self.note)
        if self.note is not None and not self.categories:
            return {
                "categories": None,
                "support": None,
                "n": self.n,
                "suppressed": False,
                "note": self.note,
            }
        d: dict[str, Any] = {
            "categories": [{"value": v, **estimate_dict(e)} for v, e in self.categories],
            "support": estimate_dict(self.support),
            "n": self.n,
            "suppressed": False,
        }
        if self.support_upper is not None:
            d["support_bounds"] = {
                "lower": estimate_dict(self.support),
                "upper": estimate_dict(self.support_upper),
            }
        return d

    def tidy_items(self) -> list[TidyItem]:
        """Lines of ``tidy()``: each answer (part "answer"), then the support share."""
        out: list[TidyItem] = [("answer", v, e) for v, e in self.categories]
        return out + bounded("support", self.support, self.support_upper)


@dataclass
class DirectResult(ResultMixin):
    """The direct poll overall and by subgroup."""

    question: str
    overall: DirectTable
    by: list[tuple[dict[str, Any], DirectTable]]
    support_values: list[Any] | None
    dk_values: list[Any]
    dk: str
    vcov: str
    notes: list[str] = field(default_factory=list)
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return domains_dict("direct", {"question": self.question, **answers_head(self)}, self)

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row per (group, line): part "answer" (term = the answer) and "support"
        (term "estimate", or "lower"/"upper" with dk="bounds"); a suppressed group is one
        row with a note and no numbers. ``level``: Wald intervals at another level."""
        return domains_tidy(self, DirectTable.tidy_items, "support", level)

    def view(self) -> View:
        from unspoken.report.view import direct_view

        return direct_view(self)

    def plot(self, path: str | Path | None = None) -> Any:
        """The report's figure: the support share (or, without one, each answer's share)
        with its interval, overall and by group; saved to ``path`` (.svg, .png, .pdf)."""
        from unspoken.report.views.gap import direct_plot

        return direct_plot(self, path)
