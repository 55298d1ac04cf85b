"""What a person should see of a result: one presentation model behind every rendering.

Each result describes itself once with ``view()`` (a :class:`View`: the headline first (the
prevalence, the gap, the latest trend, the verdict), short facts, formatted tables
(numbers as text, shares as percentages), notes and warnings, an optional plot and how the
result was computed); the builders that make those views live in
:mod:`unspoken.report.views` (one module per family of results) and are re-exported here.
``summary()`` (plain text, :mod:`unspoken.report.text`), notebooks' ``_repr_html_``, the
command line (rich tables) and the HTML report all render the same view. Nothing here
computes statistics; it only reads result objects (duck-typed: this module imports no result
module, so every result module may import it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from unspoken.report.views.base import (
    DASH,
    Table,
    View,
    forest_plot,
    lvl,
    num,
    pct,
    percent_axes,
    pts,
    pval,
)
from unspoken.report.views.design import design_test_view, hausman_view, multi_design_test_view
from unspoken.report.views.gap import direct_view, gap_view
from unspoken.report.views.listexp import combined_view, fit_forest_plot, fit_view
from unspoken.report.views.polls import hard_to_say_view, polls_view
from unspoken.report.views.power import list_power_view, simulated_power_view
from unspoken.report.views.rr import rr_power_view, rr_prevalence_view

# the view builders and formatters, re-exported: results and renderers import them from here
__all__ = [
    "DASH",
    "Table",
    "View",
    "combined_view",
    "describe",
    "describe_all",
    "design_test_view",
    "direct_view",
    "fit_forest_plot",
    "fit_view",
    "forest_plot",
    "gap_view",
    "hard_to_say_view",
    "hausman_view",
    "list_power_view",
    "lvl",
    "multi_design_test_view",
    "num",
    "pct",
    "percent_axes",
    "polls_view",
    "pts",
    "pval",
    "rr_power_view",
    "rr_prevalence_view",
    "simulated_power_view",
]


def describe(result: Any) -> list[View]:
    """The views of one result: its ``views()`` when it has several sections (a design
    test per item), else its ``view()``."""
    if isinstance(result, View):
        return [result]
    if hasattr(result, "views"):
        return list(result.views())
    if hasattr(result, "view"):
        return [result.view()]
    from unspoken.errors import UnsupportedError

    raise UnsupportedError(
        f"{type(result).__name__} has no view(): not an unspoken result (a report takes what "
        "list_experiment, gap, direct_poll, fit_polls, ... return)",
        param="results",
    )


def describe_all(results: Any | Sequence[Any]) -> list[View]:
    """Views of one result or of a sequence of results, in order (at least one)."""
    if isinstance(results, list | tuple):
        if not results:
            from unspoken.errors import UnsupportedError

            raise UnsupportedError("no results to report: the list of results is empty")
        return [v for r in results for v in describe(r)]
    return describe(results)
