"""Shared by every view: number formatting, the Table and View model, table and plot helpers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

DASH = "–"


def _bad(x: Any) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def pct(x: Any, digits: int = 1) -> str:
    """A share as a percentage: 0.1553 -> '15.5%'."""
    return DASH if _bad(x) else f"{100 * float(x):.{digits}f}%"


def pts(x: Any, digits: int = 1) -> str:
    """A difference of shares in percentage points: 0.15 -> '15.0 points'."""
    return DASH if _bad(x) else f"{100 * float(x):.{digits}f} points"


def num(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` decimals (tiny or huge numbers in scientific notation)."""
    if _bad(x):
        return DASH
    v = float(x)
    if v != 0 and (abs(v) < 10 ** (-digits) or abs(v) >= 1e7):
        return f"{v:.2e}"
    return f"{v:.{digits}f}"


def pval(p: Any) -> str:
    """A p-value: four decimals, scientific below 1e-4."""
    if _bad(p):
        return "NA"
    p = float(p)
    return f"{p:.1e}" if p < 1e-4 else f"{p:.4f}"


def lvl(level: float) -> str:
    return f"{round(100 * level)}%"


@dataclass
class Table:
    """A table of display strings; ``align`` is 'l' or 'r' per column. ``technical`` tables
    (model coefficients) are folded away in the HTML report."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    align: list[str] = field(default_factory=list)
    technical: bool = False

    def __post_init__(self) -> None:
        if not self.align:
            self.align = ["l"] + ["r"] * (len(self.columns) - 1)


@dataclass
class View:
    """The presentation of one result."""

    title: str
    headline: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plot: Callable[[], Any] | None = None
    method: dict[str, str] = field(default_factory=dict)

    @property
    def other_notes(self) -> list[str]:
        """The notes that do not repeat a warning (a warning is shown once, as a warning)."""
        return [n for n in self.notes if n not in self.warnings]


def _est_row(name: str, e: Any, fmt: Callable[[Any], str] = pct) -> list[str]:
    if e is None:
        return [name, DASH, DASH, DASH]
    return [name, fmt(e.estimate), fmt(e.std_error), f"{fmt(e.ci_low)} to {fmt(e.ci_high)}"]


def _est_table(title: str, first: str, rows: list[list[str]], level: float) -> Table:
    return Table(title, [first, "estimate", "s.e.", f"{lvl(level)} CI"], rows)


def _group(g: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in g.items()) or "(all)"


def _estimates(x: Any) -> list[Any]:
    """A prevalence (one estimate, one per sensitive item, or none) as a list."""
    return [] if x is None else x if isinstance(x, list) else [x]


def _suppressed(x: Any) -> bool:
    """Was this group hidden by the small-cell rule (:mod:`unspoken.smallcells`)?"""
    return bool(getattr(x, "suppressed", False))


def _hidden_notes(pairs: list[tuple[str, Any]]) -> list[str]:
    """Why each suppressed group is hidden, one note per reason naming its groups:
    ``(label, group row)``; every suppressed row carries its reason (:mod:`unspoken.smallcells`)."""
    by_reason: dict[str, list[str]] = {}
    for label, x in pairs:
        if _suppressed(x):
            by_reason.setdefault(x.note or "suppressed to protect respondents", []).append(label)
    return [f"{', '.join(labels)}: {reason}" for reason, labels in by_reason.items()]


def _group_rows(groups: list[Any]) -> list[list[str]]:
    """Rows of a prevalence-by-group table (group, estimate, s.e., CI, n); a suppressed
    group shows no estimate and no count, only the bound (e.g. "n < 30")."""
    rows = []
    for g in groups:
        if _suppressed(g):
            rows.append([_group(g.group), "suppressed", "", "", g.n_text or ""])
        elif g.estimate is None:
            rows.append([_group(g.group), g.note or "no estimate", "", "", ""])
        for e in _estimates(g.estimate):
            rows.append([*_est_row(_labelled(_group(g.group), e), e), _count(e.n)])
    return rows


def _count(n: Any) -> str:
    return "" if n is None or _isna(n) else str(int(n))


def _by_table(rows: list[list[str]], level: float) -> Table:
    return Table(
        "Prevalence by group", ["group", "estimate", "s.e.", f"{lvl(level)} CI", "n"], rows
    )


def _labelled(name: str, e: Any) -> str:
    return f"{name} [{e.label}]" if e.label else name


def _interval(e: Any, fmt: Callable[[Any], str] = pct) -> str:
    return f"{lvl(e.level)} interval {fmt(e.ci_low)} to {fmt(e.ci_high)}"


def _params_table(tidy: Any, title: str = "Model coefficients") -> Table:
    rows = [
        [str(r["part"]), str(r["term"]), *(num(r[c]) for c in ("estimate", "std_error")),
         num(r["ci_low"]), num(r["ci_high"])]
        for _, r in tidy.iterrows()
    ]  # fmt: skip
    return Table(
        title,
        ["part", "term", "estimate", "s.e.", "CI low", "CI high"],
        rows,
        ["l", "l", "r", "r", "r", "r"],
        technical=True,
    )


def _isna(x: Any) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def forest_plot(overall: list[tuple[str, Any]], groups: list[tuple[str, Any]], xlabel: str) -> Any:
    """Shares with their intervals, one row each: the overall rows (red squares) above the
    groups (blue circles). matplotlib's Agg canvas, no pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [*overall, *groups]
    fig = Figure(figsize=(7.5, 1.2 + 0.45 * len(rows)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(rows)))[::-1]
    for k, (y, (_name, e)) in enumerate(zip(ys, rows, strict=True)):
        top = k < len(overall)
        ax.errorbar(
            100 * e.estimate,
            y,
            xerr=[[100 * (e.estimate - e.ci_low)], [100 * (e.ci_high - e.estimate)]],
            fmt="s" if top else "o",
            color="#b2182b" if top else "#2166ac",
            capsize=3,
            ms=6,
        )
    ax.axvline(0, color="0.6", linewidth=0.8)
    ax.set_yticks(ys)
    ax.set_yticklabels([r[0] for r in rows])
    ax.set_xlabel(xlabel)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def percent_axes(fig: Any, which: str, axes: Sequence[Any] | None = None) -> Any:
    """Label a figure's share axes ('x' or 'y') in percent (0.1 -> 10%) and its gap axes
    (labelled 'Gap ...') in points, as the text speaks; returns the figure. Used by the
    plots of the gap and of pooled polls; ``axes`` limits it to some of the figure's axes."""
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    for ax in fig.axes if axes is None else axes:
        axis = ax.xaxis if which == "x" else ax.yaxis
        if axis.get_label().get_text().lower().startswith("gap"):
            axis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{100 * x:+.0f} pts"))
            axis.set_label_text(axis.get_label().get_text() + " (points)")
        else:
            axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    return fig
