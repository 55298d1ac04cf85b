"""Argument checks shared by the analytic and the simulated power functions."""

from __future__ import annotations

from typing import Any

from unspoken.errors import UnsupportedError


def _open_unit(name: str, v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise UnsupportedError(f"{name} = {v!r} must be a number in (0, 1)") from None
    if not 0 < x < 1:
        raise UnsupportedError(f"{name} = {x:g} must lie strictly between 0 and 1")
    return x


def _check_J(J: Any) -> int:
    try:
        j = int(J)
    except (TypeError, ValueError):
        raise UnsupportedError(f"J = {J!r} must be a whole number of control items") from None
    if j != J or j < 1:
        raise UnsupportedError(f"J = {J!r} must be a whole number of control items, at least 1")
    return j


def _check_alternative(alternative: str) -> str:
    if alternative not in ("two.sided", "one.sided"):
        raise UnsupportedError(
            f"alternative must be 'two.sided' or 'one.sided', not {alternative!r}"
        )
    return alternative
