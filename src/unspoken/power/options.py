"""The options :func:`~unspoken.power.list_power` and :func:`~unspoken.power.gap_power`
share, validated once: the control list (:class:`ControlItems`) and the test with its sample
(:class:`TestSpec`). The public functions keep these as flat keyword arguments
(:func:`unspoken.keywords.spread_options`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from unspoken.errors import UnsupportedError
from unspoken.options import _Options
from unspoken.power.checks import _check_alternative, _check_J, _open_unit
from unspoken.power.results import Alternative


@dataclass(frozen=True)
class ControlItems(_Options):
    """The control list: ``J`` items whose count has mean ``control_mean`` (default ``J/2``)
    and average inter-item correlation ``rho``, or variance ``control_var``, or the control
    group of ``data`` (a frame, file or bundled data set; columns ``outcome`` and ``treat``);
    ``sensitive_cor`` is the correlation of the sensitive item with the control count."""

    J: int
    control_mean: float | None = None
    control_var: float | None = None
    data: Any = None
    outcome: str = "y"
    treat: str = "treat"
    rho: float = 0.0
    sensitive_cor: float = 0.0

    def __post_init__(self) -> None:
        J = _check_J(self.J)
        object.__setattr__(self, "J", J)
        given = sum(x is not None for x in (self.control_mean, self.control_var, self.data))
        if self.data is not None and given > 1:
            raise UnsupportedError("give data, or control_mean/control_var, not both")
        if self.control_var is not None:
            v = float(self.control_var)
            if not (v > 0 and math.isfinite(v)):
                raise UnsupportedError(
                    f"control_var = {self.control_var!r} must be a positive number"
                )
            if v > J * J / 4:
                raise UnsupportedError(
                    f"control_var = {v:g} exceeds J^2/4 = {J * J / 4:g}, the largest variance "
                    f"a count between 0 and {J} can have"
                )
        r = float(self.sensitive_cor)
        if not -1 <= r <= 1:
            raise UnsupportedError(f"sensitive_cor = {r:g} must lie in [-1, 1]")
        object.__setattr__(self, "sensitive_cor", r)

    @property
    def assumed_rho(self) -> float | None:
        """``rho`` when the control variance is derived from it (else ``None``)."""
        return float(self.rho) if self.data is None and self.control_var is None else None


@dataclass(frozen=True)
class TestSpec(_Options):
    """The test and the sample: exactly one of ``n`` (total respondents: solve for the power)
    and ``power`` (target: solve for ``n``); the test level ``alpha`` and ``alternative``;
    ``treated_share`` shown the treated list (``"optimal"``: the Neyman allocation)."""

    __test__ = False  # not a pytest test class

    n: float | None = None
    power: float | None = None
    alpha: float = 0.05
    alternative: Alternative = "two.sided"
    treated_share: float | Literal["optimal"] = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", _open_unit("alpha", self.alpha))
        _check_alternative(self.alternative)
        if (self.n is None) == (self.power is None):
            raise UnsupportedError("give exactly one of n and power (the other is solved for)")
        if self.power is not None:
            object.__setattr__(self, "power", _open_unit("power", self.power))
        else:
            try:
                nn = float(self.n)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                nn = math.nan
            if not (nn >= 2 and math.isfinite(nn)):
                raise UnsupportedError(f"n = {self.n!r} must be at least 2")
        if self.treated_share != "optimal":
            object.__setattr__(
                self, "treated_share", _open_unit("treated_share", self.treated_share)
            )
