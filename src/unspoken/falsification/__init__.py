"""The falsification gap: what people say (a direct question), what they hide (an indirect
design: a list experiment or randomized response), and the difference.

The function is ``unspoken.gap`` (:func:`unspoken.falsification.estimator.gap`); this package
is named for the idea, so that no module shares the function's name.

Layers: :mod:`~unspoken.falsification.prepared` (the user's frame validated once into
arrays), :mod:`~unspoken.falsification.model` (hidden shares from a fitted model),
:mod:`~unspoken.falsification.placebo` (the placebo list),
:mod:`~unspoken.falsification.plot` (the figure), :mod:`~unspoken.falsification.results`
(GapRow, GapResult) and :mod:`~unspoken.falsification.context` (the estimates of one
domain) sit below :mod:`~unspoken.falsification.estimator` (:func:`gap`), which imports
them, never the reverse.
"""

from __future__ import annotations

from unspoken.falsification.estimator import (
    GapResult,
    GapRow,
    HiddenShare,
    ListDiM,
    gap,
)

__all__ = ["GapResult", "GapRow", "HiddenShare", "ListDiM", "gap"]
