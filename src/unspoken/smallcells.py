"""The small-cell rule: which groups of a table by subgroup may be reported.

Respondents in a repressive state can be picked out of a small subgroup, so every estimate by
subgroup (list experiments, randomized response, the direct poll, the gap) goes through
:func:`screen` with the user's ``min_n`` (default :data:`DEFAULT_MIN_N` = 30):

* a group needs at least ``min_n`` respondents;
* in a list design, at least ``min(10, min_n)`` in each arm (treated and control counted
  separately, and the placebo list where there is one);
* every other part estimated on its own respondents (the gap's direct question) needs
  ``min_n`` as well;
* the suppressed groups *together* must pass the same rule: otherwise the total minus the
  shown groups would give them away, so the smallest shown groups are suppressed as well
  until they do;
* ``min_n = 1`` shows every group; when a lower ``min_n`` lets through a group that the
  default rule would hide, the result notes that small cells are shown at the user's
  request.

A suppressed group shows no estimate and no exact count: only a bound such as ``"n < 30"``
and why it is hidden. In JSON it is ``{"group": ..., <every estimate>: null, "n": "n < 30",
"suppressed": true, "note": "..."}``; shown groups carry ``"suppressed": false``.

The whole sample is not a subgroup: an estimate from fewer than ``min_n`` respondents is
reported, with a note that says how few (:func:`whole_sample_note`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from unspoken.errors import DataError
from unspoken.results import GroupEstimate

__all__ = [
    "ARM_MIN",
    "DEFAULT_MIN_N",
    "Cell",
    "ScreenedGroup",
    "Screening",
    "Verdict",
    "arm_minimum",
    "check_min_n",
    "screen",
    "suppressed_dict",
    "suppression_notes",
    "whole_sample_note",
]

#: respondents a reported group needs unless the user sets ``min_n``
DEFAULT_MIN_N = 30
#: respondents each arm of a list design needs (or ``min_n`` if that is smaller)
ARM_MIN = 10

_WHY = "suppressed to protect respondents; set min_n to change"


@dataclass(frozen=True)
class Cell:
    """The respondents behind one group's estimate: ``n`` in all, ``arms`` per arm of a list
    design (each needs :func:`arm_minimum`), ``parts`` per other part estimated on its own
    respondents (each needs ``min_n``; the gap's direct question)."""

    n: int
    arms: Mapping[str, int] = field(default_factory=dict)
    parts: Mapping[str, int] = field(default_factory=dict)

    def __add__(self, other: Cell) -> Cell:
        def add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
            return {k: a.get(k, 0) + b.get(k, 0) for k in dict.fromkeys([*a, *b])}

        return Cell(self.n + other.n, add(self.arms, other.arms), add(self.parts, other.parts))


@dataclass(frozen=True)
class Verdict:
    """Whether a group is shown; if not, the bound shown instead of its count (``n_text``)
    and why (``note``)."""

    shown: bool
    n_text: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Screening:
    """One :class:`Verdict` per group, in the order given, and notes for the whole result."""

    verdicts: list[Verdict]
    notes: list[str]


def check_min_n(min_n: Any) -> int:
    """``min_n`` as an int, or :class:`DataError` unless it is a whole number of at least 1."""
    whole = (
        isinstance(min_n, numbers.Real)
        and not isinstance(min_n, bool)
        and math.isfinite(min_n)
        and float(min_n).is_integer()
    )
    if not whole or min_n < 1:
        raise DataError(
            f"min_n (the fewest respondents a subgroup needs to be shown) must be a whole "
            f"number of at least 1, got {min_n!r}",
            param="min_n",
        )
    return int(min_n)


def arm_minimum(min_n: int) -> int:
    """Respondents each list arm needs: ``min(10, min_n)``; none when ``min_n`` is 1."""
    return 0 if min_n <= 1 else min(ARM_MIN, min_n)


def _failure(cell: Cell, min_n: int) -> tuple[str, str] | None:
    """``(n_text, note)`` for the first rule ``cell`` breaks, or None."""
    if cell.n < min_n:
        return f"n < {min_n}", f"fewer than {min_n} respondents: {_WHY}"
    low = arm_minimum(min_n)
    for arm, k in cell.arms.items():
        if k < low:
            return f"n < {low} in an arm", f"fewer than {low} respondents in the {arm} arm: {_WHY}"
    for part, k in cell.parts.items():
        if k < min_n:
            return f"n < {min_n} ({part})", f"fewer than {min_n} respondents ({part}): {_WHY}"
    return None


def screen(cells: Sequence[Cell], min_n: int = DEFAULT_MIN_N) -> Screening:
    """Which groups may be reported under ``min_n`` (see the module docstring)."""
    min_n = check_min_n(min_n)
    fails = [_failure(c, min_n) for c in cells]
    hidden = [f is not None for f in fails]
    secondary: set[int] = set()
    if any(hidden):
        union = Cell(0)
        for c, h in zip(cells, hidden, strict=True):
            if h:
                union = union + c
        # smallest shown groups first (ties: in table order) until the hidden ones, taken
        # together, pass the rule and so cannot be worked out from the total
        order = sorted((i for i, h in enumerate(hidden) if not h), key=lambda i: cells[i].n)
        for i in order:
            if _failure(union, min_n) is None:
                break
            union = union + cells[i]
            secondary.add(i)
    verdicts = []
    for i, f in enumerate(fails):
        if f is not None:
            verdicts.append(Verdict(False, *f))
        elif i in secondary:
            note = (
                "not shown so that the smaller suppressed groups cannot be worked out by "
                f"subtracting the shown groups from the total: {_WHY}"
            )
            verdicts.append(Verdict(False, "not shown", note))
        else:
            verdicts.append(Verdict(True))
    notes = []
    if min_n < DEFAULT_MIN_N and any(
        v.shown and _failure(c, DEFAULT_MIN_N) is not None
        for c, v in zip(cells, verdicts, strict=True)
    ):
        arms = f", or fewer than {ARM_MIN} in a list arm," if any(c.arms for c in cells) else ""
        notes.append(
            f"min_n = {min_n} (default {DEFAULT_MIN_N}): groups with fewer than "
            f"{DEFAULT_MIN_N} respondents{arms} are shown at the user's request; such small "
            "groups can identify respondents"
        )
    return Screening(verdicts, notes)


def whole_sample_note(cell: Cell, min_n: int = DEFAULT_MIN_N) -> str | None:
    """A note when the whole sample is smaller than the rule asks of a group: its estimate is
    still reported (it singles out no subgroup) but rests on few respondents."""
    min_n = check_min_n(min_n)
    low = arm_minimum(min_n)
    few = [f"{cell.n} respondents (fewer than {min_n})"] if cell.n < min_n else []
    few += [
        f"{k} respondents in the {arm} arm (fewer than {low})"
        for arm, k in cell.arms.items()
        if k < low
    ]
    few += [f"{k} respondents ({part}; fewer than {min_n})" for part, k in cell.parts.items()
            if k < min_n]  # fmt: skip
    if not few:
        return None
    return (
        f"the whole sample has only {', '.join(few)}: its estimate is shown, as it singles "
        f"out no subgroup, but rests on very few answers (min_n = {min_n})"
    )


@dataclass(frozen=True)
class ScreenedGroup(GroupEstimate):
    """A :class:`~unspoken.results.GroupEstimate` that went through :func:`screen`:
    ``suppressed`` groups have no estimate, ``n_text`` instead of their count and the
    reason in ``note``."""

    suppressed: bool = False
    n_text: str | None = None

    @classmethod
    def of(
        cls,
        group: dict[str, Any],
        verdict: Verdict,
        estimate: Any = None,
        note: str | None = None,
    ) -> ScreenedGroup:
        if not verdict.shown:
            return cls(group, None, verdict.note, True, verdict.n_text)
        return cls(group, estimate, note)

    def to_dict(self, key: str = "prevalence") -> dict[str, Any]:
        if self.suppressed:
            return suppressed_dict(self.group, [key], self.n_text, self.note)
        return {**super().to_dict(key), "suppressed": False}


def suppressed_dict(
    group: dict[str, Any], keys: Sequence[str], n_text: str | None, note: str | None
) -> dict[str, Any]:
    """The JSON of a suppressed group: ``keys`` (its estimates) null, the bound as ``n``."""
    return {
        "group": group,
        **dict.fromkeys(keys),
        "n": n_text,
        "suppressed": True,
        "note": note,
    }


def suppression_notes(rows: Sequence[tuple[str, str | None]]) -> list[str]:
    """One note per reason for the suppressed groups ``(group label, reason)``, naming the
    groups: ``"region = tiny, region = few: fewer than 30 respondents: suppressed ..."``."""
    by_reason: dict[str, list[str]] = {}
    for label, reason in rows:
        by_reason.setdefault(reason or _WHY, []).append(label)
    return [f"{', '.join(labels)}: {reason}" for reason, labels in by_reason.items()]
