"""Options objects: the settings every analysis shares, validated once.

The public functions keep their flat keyword arguments (``weights=``, ``vcov=``,
``level=`` …); they build these frozen objects once at the boundary and pass them on, so no
signature is copied by hand into the layers below and a default is written in one place
(the pattern of pyfixest's options object).

- :class:`Design` — the survey design's column names: weights, cluster, strata.
- :class:`Inference` — how uncertainty is reported: vcov kind, level, bootstrap
  replications, seed.
- :class:`Reporting` — subgroups and the small-cell rule: ``by``, ``min_n``, ``missing``.

:func:`choice` checks a value against a ``Literal`` type; :func:`renamed` accepts an old
argument name for one release with a :class:`DeprecationWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, TypeVar, get_args

import numpy as np

from unspoken.errors import UnsupportedError
from unspoken.inference.covariance import VARIANCE_KINDS, variance_kind
from unspoken.results import check_level
from unspoken.smallcells import DEFAULT_MIN_N, check_min_n

#: bootstrap replications when none are asked for (one default for every estimator)
DEFAULT_BOOTSTRAP_REPS = 500

Missing = Literal["listwise", "error"]

T = TypeVar("T")


def choice(value: Any, allowed: Any, name: str) -> Any:
    """``value`` if it is one of ``allowed`` (a ``Literal`` type or a sequence), else an
    :class:`~unspoken.errors.UnsupportedError` naming ``name`` and the choices."""
    options = get_args(allowed) if not isinstance(allowed, Sequence | set) else tuple(allowed)
    if value in options and not isinstance(value, bool | np.bool_):
        return value
    listed = ", ".join(repr(o) for o in options)
    raise UnsupportedError(f"{name} must be one of {listed}, got {value!r}", param=name)


def whole_number(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an ``int`` of at least ``minimum`` (no bools, no fractions)."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not ok and isinstance(value, float | np.floating) and float(value).is_integer():
        ok = True
    if not ok or int(value) < minimum:
        raise UnsupportedError(
            f"{name} must be a whole number of at least {minimum}, got {value!r}", param=name
        )
    return int(value)


def renamed(
    old_value: Any, new_value: Any, old: str, new: str, default: Any = None, stacklevel: int = 3
) -> Any:
    """The value of argument ``new`` when a caller may still use its old name ``old``.

    The old name works for one more release with a :class:`DeprecationWarning`; giving both
    (with different values) is an error. ``default`` is the new argument's default.
    """
    if old_value is None:
        return new_value
    warnings.warn(
        f"the argument {old}= is now called {new}= (the old name will be removed)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    if new_value is not default and new_value != old_value:
        raise UnsupportedError(
            f"give {new}= only (the old name {old}= says {old_value!r}, {new}= says {new_value!r})",
            param=new,
        )
    return old_value


class _Options:
    """Shared behaviour of the frozen options objects."""

    def replace(self: T, **changes: Any) -> T:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)  # type: ignore[type-var]

    def as_kwargs(self) -> dict[str, Any]:
        """The fields as keyword arguments of the public functions."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


def _column(value: Any, name: str) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise UnsupportedError(f"{name} must be a column name, got {value!r}", param=name)


@dataclass(frozen=True)
class Design(_Options):
    """The survey design: names of the weights, cluster (PSU) and strata columns."""

    weights: str | None = None
    cluster: str | None = None
    strata: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            _column(getattr(self, f.name), f.name)

    @property
    def columns(self) -> list[str]:
        """The design columns given, in the order weights, cluster, strata."""
        return [c for c in (self.weights, self.cluster, self.strata) if c is not None]

    @property
    def given(self) -> bool:
        return bool(self.columns)


@dataclass(frozen=True)
class Inference(_Options):
    """How uncertainty is reported.

    ``vcov``: a variance kind of :data:`unspoken.inference.covariance.VARIANCE_KINDS` (any
    alias or case; stored by its canonical name) or ``None`` for the estimator's usual one;
    ``level``: the confidence level; ``bootstrap_reps``: replications of ``vcov="bootstrap"``;
    ``seed``: the random seed of anything random (bootstrap, simulation).
    """

    vcov: str | None = None
    level: float = 0.95
    bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.vcov is not None:
            kind = variance_kind(self.vcov)
            if kind is None:
                listed = ", ".join(VARIANCE_KINDS)
                raise UnsupportedError(
                    f"vcov must be one of {listed}, got {self.vcov!r}", param="vcov"
                )
            object.__setattr__(self, "vcov", kind.name)
        object.__setattr__(self, "level", check_level(self.level))
        object.__setattr__(
            self, "bootstrap_reps", whole_number(self.bootstrap_reps, "bootstrap_reps", 2)
        )
        if self.seed is not None:
            object.__setattr__(self, "seed", whole_number(self.seed, "seed", 0))


@dataclass(frozen=True)
class Reporting(_Options):
    """Subgroups and the small-cell rule: ``by`` (column names), ``min_n`` (the smallest
    group shown), ``missing`` (``"listwise"`` drops incomplete rows and says so,
    ``"error"`` refuses them)."""

    by: tuple[str, ...] = ()
    min_n: int = DEFAULT_MIN_N
    missing: Missing = "listwise"

    def __post_init__(self) -> None:
        by = self.by
        if by is None:
            by = ()
        elif isinstance(by, str):
            by = (by,)
        by = tuple(by)
        for b in by:
            _column(b, "by")
        object.__setattr__(self, "by", by)
        object.__setattr__(self, "min_n", check_min_n(self.min_n))
        choice(self.missing, Missing, "missing")
