"""The falsification gap: what people say (a direct question), what they hide (an indirect
design: a list experiment or randomized response), and the difference.

``unspoken.gap(...)`` is :func:`unspoken.gap.estimator.gap`; this package is callable so that
``unspoken.gap`` works both as the module and as the function.

Layers: :mod:`~unspoken.gap.model` (hidden shares from a fitted model),
:mod:`~unspoken.gap.placebo` (the placebo list), :mod:`~unspoken.gap.plot` (the figure; it
takes a result and imports nothing of the estimator), :mod:`~unspoken.gap.results` (GapRow,
GapResult) and :mod:`~unspoken.gap.context` (the estimates of one domain) sit below
:mod:`~unspoken.gap.estimator` (:func:`gap`), which imports them, never the reverse.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from unspoken.gap.estimator import (
    GapResult,
    GapRow,
    HiddenShare,
    ListDiM,
    gap,
)

__all__ = ["GapResult", "GapRow", "HiddenShare", "ListDiM", "gap"]


class _CallableModule(types.ModuleType):
    """``unspoken.gap(...)`` calls the estimator (the package shares the function's name)."""

    def __call__(self, *args: Any, **kwargs: Any) -> GapResult:
        return gap(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
