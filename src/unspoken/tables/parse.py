"""Reading a published table typed as text (the command line and the web page): counts
or shares ``"8, 132, 222, 227"``, a topline ``"definitely=43, rather=33, other=24"``, a pair
``"74, 78"``. The decimals each number was typed with are kept: they say how the table was
rounded."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from unspoken.errors import DataError

__all__ = [
    "arms_text",
    "decimals_typed",
    "exactly",
    "gap_text",
    "numbers_text",
    "shares_text",
]

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number(text: str, name: str) -> float:
    t = text.strip().replace("%", "")
    if not _NUMBER.fullmatch(t):
        raise DataError(f"{name}: {text.strip()!r} is not a number", param=name)
    value = float(t)
    if not math.isfinite(value):
        raise DataError(f"{name}: {text.strip()!r} is not a finite number", param=name)
    return value


def decimals_typed(texts: Iterable[str]) -> int:
    """The most decimals among numbers as typed (``"43"`` -> 0, ``"43.0"`` -> 1)."""
    most = 0
    for t in texts:
        t = t.strip().replace("%", "")
        if "e" in t.lower():
            continue
        if "." in t:
            most = max(most, len(t.split(".", 1)[1]))
    return most


def numbers_text(text: str, name: str) -> tuple[list[float], int]:
    """Numbers separated by commas, semicolons or blanks, and the decimals typed."""
    parts = [p for p in re.split(r"[,;\s]+", text.strip()) if p]
    if not parts:
        raise DataError(f"{name}: no numbers given", param=name)
    return [_number(p, name) for p in parts], decimals_typed(parts)


def shares_text(items: Iterable[str], name: str = "shares") -> tuple[dict[str, float], int]:
    """``answer=share`` items (each item may hold several separated by commas) as an ordered
    dict, and the decimals typed."""
    out: dict[str, float] = {}
    typed: list[str] = []
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise DataError(
                    f"{name}: write each answer as answer=share (e.g. definitely=43), not "
                    f"{part.strip()!r}",
                    param=name,
                )
            label, value = part.rsplit("=", 1)
            label = label.strip()
            if not label:
                raise DataError(f"{name}: an answer has no name in {part.strip()!r}", param=name)
            if label in out:
                raise DataError(f"{name}: the answer {label!r} is listed twice", param=name)
            out[label] = _number(value, name)
            typed.append(value)
    if not out:
        raise DataError(f"{name}: no answers given", param=name)
    return out, decimals_typed(typed)


def exactly(text: str, name: str, k: int) -> tuple[list[float], int]:
    """``k`` numbers (and the decimals typed), or DataError naming ``name``."""
    nums, dec = numbers_text(text, name)
    if len(nums) != k:
        what = "one number" if k == 1 else f"{k} numbers (low, high)"
        raise DataError(f"{name}: give {what}, not {text.strip()!r}", param=name)
    return nums, dec


def gap_text(
    hidden: str,
    direct: str,
    spreads: dict[str, str | None],
    correlations: str | None,
    decimals: int | None,
) -> dict[str, Any]:
    """The arguments of :func:`~unspoken.tables.gap_from_estimates` from typed text: the two
    estimates, ``spreads`` (``hidden_se``, ``direct_se``: one number; ``hidden_ci``,
    ``direct_ci``: low, high; None or empty when not given), the correlations of the
    sensitivity table, and the decimals (as typed unless ``decimals`` is given)."""
    (h,), dec_h = exactly(hidden, "hidden", 1)
    (d,), dec_d = exactly(direct, "direct", 1)
    out: dict[str, Any] = {"hidden": h, "direct": d}
    for name, text in spreads.items():
        if not text:
            out[name] = None
        elif name.endswith("_se"):
            out[name] = exactly(text, name, 1)[0][0]
        else:
            out[name] = exactly(text, name, 2)[0]
    out["correlations"] = numbers_text(correlations, "correlations")[0] if correlations else None
    out["decimals"] = max(dec_h, dec_d) if decimals is None else decimals
    return out


def arms_text(
    control: str, treated: str, decimals: int | None, options: dict[str, Any]
) -> dict[str, Any]:
    """The two arms of a list table from typed text: counts, or shares when ``options``
    holds the arms' sizes (``n_control``/``n_treated``; then the decimals typed count)."""
    c0, d0 = numbers_text(control, "control")
    c1, d1 = numbers_text(treated, "treated")
    shares = options.get("n_control") is not None or options.get("n_treated") is not None
    if decimals is None and shares:
        decimals = max(d0, d1)
    return {"control": c0, "treated": c1, "decimals": decimals}
