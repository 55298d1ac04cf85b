"""What a standard-design list experiment estimator returns before its variance and
presentation (:class:`Core`): shared by the least-squares cores
(:mod:`unspoken.listexp.least_squares`), the ML core (:mod:`unspoken.listexp.ml`) and the
assembly of a fit in :mod:`unspoken.listexp.standard`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Core"]


@dataclass
class Core:
    """What one estimator returns before variance and presentation."""

    theta: np.ndarray
    parts: list[str]
    terms: list[str]
    influence: Callable[[], np.ndarray] | None = None
    model_cov: np.ndarray | None = None
    leverage: np.ndarray | None = None
    loglik: float | None = None
    converged: bool = True
    iterations: int = 0
    gradient_norm: float | None = None
    link: str = "logit"
    posterior: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
