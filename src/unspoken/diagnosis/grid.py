"""The design grid of :func:`unspoken.diagnose`: a dict of lists (every combination) or a
DataFrame (one row per cell) turned into validated design cells.

Each cell is a survey design: ``n`` respondents, ``treated_share`` of them shown the long
list, ``J`` control items answered "yes" with probability ``control_prob`` and average
inter-item correlation ``rho``, the sensitive trait's true ``prevalence``, ``deflation``
(the share of respondents who hold an item added to the list and still leave it out),
``floor`` / ``ceiling`` (the share of holders whose control count is 0 / J who hide the
trait so as not to reveal it), ``dk_rate`` (list "don't know", dropped), ``direct`` (a direct
question asked of everyone, with non-holders saying "yes" at rate ``falsification``),
``list`` ("single", "double" or "placebo"), ``placebo_prevalence`` (the placebo item's known
share) and ``covariate`` (the logit slope of the trait on a standard normal covariate ``x``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

from unspoken.errors import DataError, UnsupportedError

__all__ = ["LISTS", "PARAMETERS", "Cell", "make_grid"]

LISTS = ("single", "double", "placebo")


@dataclass(frozen=True)
class Cell:
    """One design of the grid (see the module docstring for the meaning of each field)."""

    n: int = 1000
    treated_share: float = 0.5
    J: int = 4
    control_prob: float = 0.5
    rho: float = 0.0
    prevalence: float = 0.2
    deflation: float = 0.0
    floor: float = 0.0
    ceiling: float = 0.0
    dk_rate: float = 0.0
    direct: bool = False
    falsification: float = 0.0
    list: str = "single"
    placebo_prevalence: float = 0.5
    covariate: float = 0.0

    def key(self) -> dict[str, Any]:
        return asdict(self)


PARAMETERS = tuple(f.name for f in fields(Cell))
_DEFAULT = Cell()
_UNIT_OPEN = ("treated_share", "control_prob", "prevalence", "placebo_prevalence")
_UNIT_HALF_OPEN = ("deflation", "floor", "ceiling", "dk_rate", "falsification", "rho")


def _fail(msg: str, column: str, row: int | None) -> None:
    if row is None:
        raise UnsupportedError(f"designs['{column}']: {msg}", param="designs")
    raise DataError(msg, column=column, rows=[row], param="designs")


def _number(value: Any, column: str, row: int | None) -> float:
    if isinstance(value, bool) or not (
        isinstance(value, int | float) or hasattr(value, "__float__")
    ):
        _fail(f"{value!r} is not a number", column, row)
    v = float(value)
    if not math.isfinite(v):
        _fail(f"{value!r} is not a finite number", column, row)
    return v


def _whole(value: Any, column: str, row: int | None, low: int) -> int:
    v = _number(value, column, row)
    if v != round(v) or v < low:
        _fail(f"{value!r} must be a whole number of at least {low}", column, row)
    return int(v)


def _cell(values: dict[str, Any], row: int | None) -> Cell:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "n":
            out[name] = _whole(value, name, row, 20)
        elif name == "J":
            out[name] = _whole(value, name, row, 1)
        elif name == "list":
            if value not in LISTS:
                _fail(f"{value!r} is not one of {', '.join(LISTS)}", name, row)
            out[name] = str(value)
        elif name == "direct":
            if value not in (True, False, 0, 1):
                _fail(f"{value!r} must be true or false", name, row)
            out[name] = bool(value)
        else:
            v = _number(value, name, row)
            if name in _UNIT_OPEN and not 0 < v < 1:
                _fail(f"{v:g} must lie strictly between 0 and 1", name, row)
            if name in _UNIT_HALF_OPEN and not 0 <= v < 1:
                _fail(f"{v:g} must lie in [0, 1)", name, row)
            out[name] = v
    cell = Cell(**out)
    if cell.J == 1 and cell.rho > 0:
        _fail("one control item has no inter-item correlation (rho must be 0)", "rho", row)
    if cell.list == "placebo" and cell.treated_share != _DEFAULT.treated_share:
        _fail("a placebo design splits the sample into three equal arms", "treated_share", row)
    return cell


def _known(values: dict[Any, Any]) -> dict[str, Any]:
    unknown = [str(c) for c in values if c not in PARAMETERS]
    if unknown:
        raise UnsupportedError(
            f"unknown design parameter(s) {', '.join(unknown)}; the parameters are "
            + ", ".join(PARAMETERS),
            param="designs",
        )
    return values


def make_grid(designs: Any) -> list[Cell]:
    """Validated cells of a grid: a dict of lists (or scalars) gives every combination in the
    order of its keys (the last key varying fastest); a DataFrame or a list of dicts gives one
    cell per row.
    Parameters not given take the :class:`Cell` defaults; an unknown name or a bad value is an
    error naming the parameter (and the row, for a frame)."""
    if isinstance(designs, list) and designs and all(isinstance(d, dict) for d in designs):
        return [_cell(_known(d), i) for i, d in enumerate(designs)]
    if isinstance(designs, pd.DataFrame):
        frame = designs
    elif isinstance(designs, dict):
        if not designs:
            raise UnsupportedError("designs is empty: give at least one parameter", param="designs")
        keys = list(designs)
        lists = []
        for k in keys:
            v = designs[k]
            v = list(v) if isinstance(v, list | tuple | range | pd.Series) else [v]
            if not v:
                raise UnsupportedError(f"designs['{k}'] is an empty list", param="designs")
            lists.append(v)
        frame = pd.DataFrame(list(itertools.product(*lists)), columns=keys)
        frame.attrs["from_dict"] = True
    else:
        raise UnsupportedError(
            f"designs must be a dict of lists or a DataFrame, not {type(designs).__name__}",
            param="designs",
        )
    _known(dict.fromkeys(frame.columns))
    if len(frame) == 0:
        raise UnsupportedError("designs has no rows", param="designs")
    from_dict = frame.attrs.get("from_dict", False)
    records = frame.to_dict("records")
    return [_cell(r, None if from_dict else i) for i, r in enumerate(records)]
