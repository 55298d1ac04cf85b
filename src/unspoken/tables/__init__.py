"""Re-analysis from published tables: when only the tables are public, not the microdata.

- :func:`list_from_counts`: a list experiment from the counts of each answer per arm
  (difference in means, intercept-only ML, design-effect test, floor/ceiling shares), equal
  to the microdata route;
- :func:`direct_from_topline`: a direct poll from its topline (shares and n, an optional
  design effect), "don't know" as in :func:`unspoken.direct_poll`;
- :func:`gap_from_estimates`: the gap from two published estimates with their standard
  errors or intervals, the correlation between them an explicit assumption.

Every result says how far the rounding of the published numbers could move it
(:mod:`unspoken.tables.rounding`).
"""

from __future__ import annotations

from unspoken.tables.counts import list_from_counts
from unspoken.tables.estimates import gap_from_estimates
from unspoken.tables.results import GapTableResult, ListTableResult, ToplineResult
from unspoken.tables.topline import direct_from_topline

__all__ = [
    "GapTableResult",
    "ListTableResult",
    "ToplineResult",
    "direct_from_topline",
    "gap_from_estimates",
    "list_from_counts",
]
