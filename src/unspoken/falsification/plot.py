"""Direct vs hidden share with 95% intervals by subgroup, and the gap (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from unspoken.report.view import percent_axes
from unspoken.report.views.gap import check_plot_path


def plot_gap(result: Any, path: str | Path | None = None, title: str | None = None) -> Any:
    """Draw the result; save to ``path`` (.svg, .png or .pdf) when given. Returns the figure.

    ``result`` is a :class:`~unspoken.falsification.results.GapResult` (not imported here:
    the results module imports this one, which stays below it). The report draws the gap
    with this function too (``GapResult.view().plot``), so the figure is the same.

    Left: the direct share (circles) and the hidden share (squares, and the deflation-
    corrected hidden share as open squares when there is a placebo list) with their
    intervals, one row per group. Right: the gap (hidden - direct) with its interval.
    Groups suppressed by the small-cell rule are listed as "suppressed (n < 30)".
    """
    check_plot_path(path)
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = [("All respondents", result.overall)]
    for g, r in result.by:
        rows.append((", ".join(f"{k} = {v}" for k, v in g.items()), r))
    k = len(rows)
    fig, (ax, axg) = plt.subplots(
        1, 2, figsize=(9.5, 1.6 + 0.6 * k), sharey=True, gridspec_kw={"width_ratios": [3, 2]}
    )
    ys = list(range(k))[::-1]
    hidden_name = "Hidden (list)" if result.hidden_label == "list" else "Hidden"
    seen: set[str] = set()

    def point(axis, e, y, marker, color, label, filled=True):
        if e is None:
            return
        axis.errorbar(
            e.estimate, y, xerr=[[e.estimate - e.ci_low], [e.ci_high - e.estimate]],
            fmt=marker, color=color, mfc=color if filled else "white", capsize=3, ms=6,
            label=None if label in seen else label,
        )  # fmt: skip
        seen.add(label)

    for y, (_name, r) in zip(ys, rows, strict=True):
        if r.gap is None:
            why = f"suppressed ({r.n_text})" if r.suppressed else "no estimate"
            ax.text(0.02, y, why, va="center", fontsize=9, color="0.4",
                    transform=ax.get_yaxis_transform())  # fmt: skip
            continue
        point(ax, r.direct, y + 0.15, "o", "#1f77b4", "Direct question")
        point(ax, r.hidden, y - 0.15, "s", "#d62728", hidden_name)
        if r.placebo is not None:
            point(ax, r.placebo["list_corrected"], y - 0.3, "s", "#d62728",
                  "Hidden, deflation-corrected", filled=False)  # fmt: skip
        point(axg, r.gap, y, "D", "#2ca02c", "Gap")
        if r.placebo is not None:
            point(axg, r.placebo["gap_corrected"], y - 0.25, "D", "#2ca02c",
                  "Gap, deflation-corrected", filled=False)  # fmt: skip
    ax.set_yticks(ys)
    ax.set_yticklabels([name for name, _ in rows])
    ax.set_xlabel(f"Share ({round(100 * result.level)}% interval)")
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.grid(axis="x", color="0.9")
    axg.axvline(0.0, color="0.5", lw=0.8, ls="--")
    axg.set_xlabel("Gap = hidden - direct")
    axg.grid(axis="x", color="0.9")
    fig.suptitle(title or f"What people say and what they hide: '{result.direct_column}'")
    percent_axes(fig, "x")  # shares in %, the gap in points, as the text says them
    handles, labels = [], []
    for axis in (ax, axg):
        h, lab = axis.get_legend_handles_labels()
        handles += h
        labels += lab
    fig.tight_layout(rect=(0, 0.1 if k < 4 else 0.06, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8,
               frameon=False)  # fmt: skip
    if path is not None:
        fig.savefig(path)
        plt.close(fig)
    return fig
