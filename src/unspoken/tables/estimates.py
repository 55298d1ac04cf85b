"""The gap between a hidden and a direct estimate, from the two published numbers.

``gap = hidden - direct`` with ``Var(gap) = se_h^2 + se_d^2 - 2 r se_h se_d``, where ``r``,
the correlation between the two *estimates*, is an assumption the tables cannot tell: 0 for
independent samples (the default); when the same respondents answered both questions, it is
unknown, so the gap is shown over a range of correlations (a sensitivity table). A published
confidence interval stands for its standard error ``(high - low) / (2 z)`` at its level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from unspoken.errors import DataError, UnsupportedError
from unspoken.results import Estimate
from unspoken.tables.results import GapTableResult, Rounding
from unspoken.tables.rounding import check_decimals, check_units, half_unit, number

__all__ = ["DEFAULT_CORRELATIONS", "gap_from_estimates"]

#: the correlations of the sensitivity table when the same respondents answered both
DEFAULT_CORRELATIONS: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8)


def _se(
    name: str, value: float, se: Any, ci: Any, ci_level: float
) -> tuple[float, list[float], str | None]:
    """A standard error given directly or from a confidence interval (with the numbers typed,
    for the decimals, and a note when the interval is not symmetric)."""
    from unspoken.results import z_value

    if (se is None) == (ci is None):
        raise DataError(
            f"give the standard error of {name} ({name}_se=) or its confidence interval "
            f"({name}_ci=), one of the two",
            param=f"{name}_se",
        )
    if se is not None:
        s = number(se, f"{name}_se")
        if s <= 0:
            raise DataError(f"{name}_se must be positive, got {s:g}", param=f"{name}_se")
        return s, [s], None
    try:
        lo, hi = (number(v, f"{name}_ci") for v in ci)
    except (TypeError, ValueError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(
            f"{name}_ci must be two numbers (low, high), got {ci!r}", param=f"{name}_ci"
        ) from None
    if not lo <= value <= hi or lo == hi:
        raise DataError(
            f"{name}_ci ({lo:g}, {hi:g}) must contain the estimate {value:g} and have width",
            param=f"{name}_ci",
        )
    s = (hi - lo) / (2 * z_value(ci_level))
    note = None
    if abs((hi - value) - (value - lo)) > 0.1 * (hi - lo):
        note = (
            f"the interval of {name} is not symmetric around its estimate: its half-width "
            "is used as a Wald interval (an interval on another scale, e.g. logit, is only "
            "approximated)"
        )
    return s, [lo, hi], note


def _gap(h: float, sh: float, d: float, sd: float, r: float, level: float) -> Estimate:
    """``h - d`` by the delta method with the two estimates' correlation ``r``."""
    from unspoken.inference.delta import delta_estimate

    cov = np.array([[sh * sh, r * sh * sd], [r * sh * sd, sd * sd]])
    return delta_estimate(h - d, np.array([1.0, -1.0]), cov, level)


def _correlation(r: Any, name: str) -> float:
    v = number(r, name)
    if not -1 <= v <= 1:
        raise DataError(f"{name} must be between -1 and 1, got {v:g}", param=name)
    return v


def gap_from_estimates(
    hidden: float,
    direct: float,
    *,
    hidden_se: float | None = None,
    direct_se: float | None = None,
    hidden_ci: Sequence[float] | None = None,
    direct_ci: Sequence[float] | None = None,
    units: str | None = None,
    correlation: float = 0.0,
    same_respondents: bool = False,
    correlations: Sequence[float] | None = None,
    ci_level: float = 0.95,
    decimals: int | None = None,
    level: float = 0.95,
) -> GapTableResult:
    """The gap ``hidden - direct`` from two published estimates, each with its standard error
    (``hidden_se``, ``direct_se``) or confidence interval (``hidden_ci``, ``direct_ci`` at
    ``ci_level``).

    ``units``: "percent" or "proportion"; when not given it is read only when unambiguous (a
    number above 1 means percent) and a note says so. ``correlation`` is the assumed
    correlation between the two estimates (0: independent samples). With
    ``same_respondents=True`` (or ``correlations=`` given) a sensitivity table gives the gap
    for each correlation (default 0, 0.2, ..., 0.8). ``decimals`` is how many decimals the
    estimates were printed to (read from the numbers when not given); the result says how far
    that rounding could move the gap. Returns a
    :class:`~unspoken.tables.results.GapTableResult`.
    """
    from unspoken.results import check_level

    level = check_level(level)
    ci_level = check_level(ci_level, "ci_level")
    h, d = number(hidden, "hidden"), number(direct, "direct")
    sh, typed_h, note_h = _se("hidden", h, hidden_se, hidden_ci, ci_level)
    sd, typed_d, note_d = _se("direct", d, direct_se, direct_ci, ci_level)
    notes = [n for n in (note_h, note_d) if n]
    unit = check_units(units)
    numbers = [h, d, *typed_h, *typed_d]
    if unit is None:
        if max(abs(v) for v in numbers) > 1:
            unit = "percent"
            notes.append("units read as percent: a number above 1 cannot be a proportion")
        else:
            raise UnsupportedError(
                "every number is at most 1: proportions, or small percentages? Say "
                "units='percent' or 'proportion'",
                param="units",
            )
    scale = 100.0 if unit == "percent" else 1.0
    for name, v in (("hidden", h), ("direct", d)):
        if not 0 <= v <= scale:
            raise DataError(f"{name} = {v:g} is not a share in {unit}", param=name)
    h, d, sh, sd = h / scale, d / scale, sh / scale, sd / scale
    r0 = _correlation(correlation, "correlation")
    if not isinstance(same_respondents, bool):
        raise UnsupportedError("same_respondents must be True or False", param="same_respondents")
    grid: list[float] = []
    if correlations is not None:
        grid = [_correlation(r, "correlations") for r in correlations]
    elif same_respondents:
        grid = list(DEFAULT_CORRELATIONS)
    if same_respondents and correlation == 0 and correlations is None:
        notes.append(
            "the same respondents answered both: the correlation of the two estimates is "
            "unknown, so the gap is shown for a range of correlations; the headline assumes 0"
        )
    dec = check_decimals(decimals, [h * scale, d * scale])
    half = half_unit(dec, unit)  # type: ignore[arg-type]
    gap = _gap(h, sh, d, sd, r0, level)
    rounding = Rounding(
        dec, gap.estimate - 2 * half, gap.estimate + 2 * half, _gap_text(dec, half, unit)
    )
    return GapTableResult(
        hidden=Estimate.from_se(h, sh, level),
        direct=Estimate.from_se(d, sd, level),
        gap=gap,
        correlation=r0,
        sensitivity=[(r, _gap(h, sh, d, sd, r, level)) for r in grid],
        same_respondents=bool(same_respondents),
        units=unit,
        rounding=rounding,
        notes=notes,
        level=level,
    )


def _gap_text(dec: int | None, half: float, unit: str) -> str:
    if dec is None:
        return "The estimates were given unrounded (more than six decimals): no rounding interval."
    return (
        f"This rests on the published estimates, printed to {dec} decimal"
        f"{'s' if dec != 1 else ''} ({unit}): each could be up to half a unit off, so rounding "
        f"could move the gap by up to ± {200 * half:.2f} points (its standard error rests on "
        "the published standard errors or intervals, rounded as printed)."
    )
