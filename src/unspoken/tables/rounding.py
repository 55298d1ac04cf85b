"""What the rounding of a published table can do to an estimate, and the checks of the
numbers typed from it (units, decimals, non-negative values).

A share published to ``k`` decimals stands for any value within half a unit of the last
decimal (``h = 0.5 * 10**-k`` in the table's units). An estimate that is a ratio of sums of
shares (a support share, a share with "don't know" dropped, a bound) is monotone in each share,
so over the box of tables consistent with the rounding its extremes sit at corners of the box:
every corner (each share shifted by ``+h`` or ``-h``, then renormalised to sum to one) is
evaluated at once and the smallest and largest estimates reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from unspoken.errors import DataError, UnsupportedError

Units = Literal["percent", "proportion"]

#: the most decimals looked for when reading how a number was published
MAX_DECIMALS = 6
#: the most answers whose rounding corners are all enumerated (2**K corners)
MAX_CORNERS_K = 16


def number(value: Any, name: str) -> float:
    """A finite number, or DataError naming ``name``."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not ok or not math.isfinite(float(value)):
        raise DataError(f"{name} must be a finite number, got {value!r}", param=name)
    return float(value)


def decimals_of(values: Sequence[float]) -> int | None:
    """The fewest decimals that write every value exactly (e.g. 43 -> 0, 43.5 -> 1,
    0.43 -> 2); None when some value needs more than :data:`MAX_DECIMALS` (not rounded)."""
    most = 0
    for v in values:
        for k in range(MAX_DECIMALS + 1):
            if abs(round(v, k) - v) <= 1e-9 * max(1.0, abs(v)):
                most = max(most, k)
                break
        else:
            return None
    return most


def check_decimals(decimals: Any, values: Sequence[float], name: str = "decimals") -> int | None:
    """The decimals the numbers were published to: as given, else read from the numbers."""
    if decimals is None:
        return decimals_of(values)
    if isinstance(decimals, bool) or not isinstance(decimals, int | np.integer) or decimals < 0:
        raise UnsupportedError(
            f"{name} must be a whole number >= 0 (the decimals the table printed), got "
            f"{decimals!r}",
            param=name,
        )
    return int(decimals)


def read_units(
    total: float, units: Units | None, slack: float, what: str, param: str
) -> tuple[Units, str | None]:
    """The units of shares summing to ``total``: as given, else detected when the sum is
    unambiguous (100 or 1 within ``slack``, the rounding of the printed digits). Returns
    (units, a note saying they were detected, or None)."""
    if units is not None:
        return units, None
    if abs(total - 100) <= slack + 1e-7:
        return "percent", f"units read as percent: the {what} sum to {total:g}"
    if abs(total - 1) <= slack + 1e-9:
        return "proportion", f"units read as proportions: the {what} sum to {total:g}"
    raise DataError(
        f"the {what} sum to {total:g}, neither about 100 nor about 1: say units='percent' or "
        "'proportion' (command line: --units) and check that every answer of the table is "
        "listed",
        param=param,
    )


def sum_slack(decimals: int | None, k: int) -> float:
    """How far ``k`` shares printed to ``decimals`` may sum from 100 (or 1): half a unit
    each."""
    return 0.5 * 10.0 ** -(decimals if decimals is not None else 9) * k


def half_unit(decimals: int | None, units: Units) -> float:
    """Half a unit of the last published decimal, as a proportion (0 when not rounded)."""
    if decimals is None:
        return 0.0
    h = 0.5 * 10.0 ** (-decimals)
    return h / 100 if units == "percent" else h


def check_units(units: Any, name: str = "units") -> Units | None:
    if units is not None and units not in ("percent", "proportion"):
        raise UnsupportedError(
            f"{name} must be 'percent' or 'proportion' (how the table prints shares), got "
            f"{units!r}",
            param=name,
        )
    return units


def corner_range(
    shares: np.ndarray,
    h: float,
    estimate: Callable[[np.ndarray], np.ndarray],
    renormalise: bool = True,
) -> tuple[float, float]:
    """Smallest and largest ``estimate`` over the tables within ``h`` of ``shares``
    (proportions): ``estimate`` maps rows of shares (m, K) to m estimates. Each corner is
    renormalised to sum to 1 unless ``renormalise`` is false (``estimate`` completes the
    row itself, e.g. with a remainder). Up to :data:`MAX_CORNERS_K` shares every corner is
    evaluated; beyond, the two corners that move each share in the direction of its effect
    (the estimates here are ratios of sums of shares, whose partial derivatives keep their
    sign over the box)."""
    shares = np.asarray(shares, dtype=float)
    k = len(shares)

    def at(rows: np.ndarray) -> np.ndarray:
        rows = np.clip(rows, 0.0, None)
        if renormalise:
            rows = rows / rows.sum(axis=1, keepdims=True)
        return estimate(rows)

    if h == 0:
        value = float(at(shares[None, :])[0])
        return value, value
    if k <= MAX_CORNERS_K:
        bits = (np.arange(2**k)[:, None] >> np.arange(k)[None, :]) & 1
        values = at(shares[None, :] + h * (2 * bits - 1))
        return float(np.min(values)), float(np.max(values))
    up = at(shares[None, :] + h * np.eye(k)) - at(shares[None, :] - h * np.eye(k))
    direction = np.sign(up)
    values = at(np.vstack([shares + h * direction, shares - h * direction]))
    return float(np.min(values)), float(np.max(values))


def rounding_text(low: float, high: float, value: float, decimals: int | None, units: str) -> str:
    """The sentence every table result carries about its rounding."""
    if decimals is None:
        return (
            "The numbers were given with more than six decimals, read as unrounded: no "
            "rounding interval."
        )
    unit = "percentages" if units == "percent" else "proportions"
    printed = f"{unit} with {decimals} decimal{'s' if decimals != 1 else ''}"
    move = max(high - value, value - low) * 100
    return (
        f"This rests on the published table, printed as {printed}: every table "
        f"consistent with that rounding gives an estimate from {100 * low:.2f}% to "
        f"{100 * high:.2f}%, so rounding could move the estimate by up to ± {move:.2f} points."
    )
