"""A direct poll re-analysed from its published topline: the share of each answer and the
sample size (with an optional design effect or effective sample size).

The shares are those of :func:`unspoken.direct_poll` on the respondents the topline
describes, and so are the standard errors: under ``vcov="survey"`` (the default there) a
share ``p`` of a domain of ``n_D`` answers out of ``n`` respondents has variance
``p (1 - p) / n_D * n / (n - 1)``; under ``"hc0"`` ``p (1 - p) / n_D``. A design effect
``deff`` (or an effective sample size, ``deff = n / n_eff``) multiplies every variance.
"Don't know" answers enter the support share as in ``direct_poll``: as non-support
(``dk="no"``), dropped from the denominator (``"drop"``), or both ways (``"bounds"``: the
support share, then support plus "don't know" as the upper bound).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from unspoken.errors import DataError, UnsupportedError
from unspoken.results import Estimate
from unspoken.tables.results import Rounding, ToplineResult
from unspoken.tables.rounding import (
    check_decimals,
    check_units,
    corner_range,
    half_unit,
    number,
    read_units,
    rounding_text,
    sum_slack,
)

__all__ = ["direct_from_topline"]


def _shares(shares: Any) -> tuple[list[str], np.ndarray]:
    if not isinstance(shares, Mapping) or not shares:
        raise DataError(
            "shares must map each answer to its published share, e.g. {'definitely': 43, "
            f"'rather': 33, ...}}, got {shares!r}",
            param="shares",
        )
    labels = [str(k) for k in shares]
    if len(set(labels)) < len(labels):
        raise DataError("shares: an answer is listed twice", param="shares")
    values = np.array([number(v, f"shares['{k}']") for k, v in shares.items()])
    bad = [lab for lab, v in zip(labels, values, strict=True) if v < 0]
    if bad:
        raise DataError(f"shares: the share of {bad[0]!r} is negative", param="shares")
    return labels, values


def _estimate(
    p: np.ndarray, n_dom: np.ndarray, n: float, deff: float, vcov: str, level: float
) -> list[Estimate]:
    factor = n / (n - 1) if vcov == "survey" else 1.0
    var = p * (1 - p) / n_dom * factor * deff
    return [
        Estimate.from_se(float(pi), math.sqrt(max(float(v), 0.0)), level, n=round(float(nd)))
        for pi, v, nd in zip(p, var, n_dom, strict=True)
    ]


def direct_from_topline(
    shares: Mapping[str, float],
    n: float,
    *,
    units: str | None = None,
    support: str | Sequence[str] | None = None,
    dk: str = "no",
    dk_values: str | Sequence[str] | None = None,
    deff: float | None = None,
    n_eff: float | None = None,
    rest: str | None = None,
    decimals: int | None = None,
    vcov: str = "survey",
    level: float = 0.95,
) -> ToplineResult:
    """A direct poll from its topline: ``shares`` maps each answer to its published share
    (``units="percent"`` or ``"proportion"``; when not given they are detected only if the
    shares sum to about 100 or about 1, and a note says so), ``n`` the respondents.

    ``support`` names the answers that count as support (``"definitely,rather"``); ``dk``
    ("no", "drop" or "bounds") and ``dk_values`` treat "don't know" as
    :func:`unspoken.direct_poll` does (labels such as "hard to say" are recognised).
    ``deff`` (a design effect) or ``n_eff`` (an effective sample size) widens the standard
    errors. A topline that lists only some answers takes ``rest="other"``: the remainder up
    to 100% becomes that answer. ``decimals`` is how many decimals the table printed (read
    from the numbers when not given); the result says how far that rounding could move the
    support share. Returns a :class:`~unspoken.tables.results.ToplineResult`.
    """
    from unspoken.direct.answers import (
        DK_POLICIES,
        check_choice,
        dk_positions,
        parse_values,
        support_answers,
    )
    from unspoken.results import check_level

    level = check_level(level)
    check_choice(dk, DK_POLICIES, "dk")
    if vcov not in ("survey", "hc0"):
        raise UnsupportedError(f"vcov must be 'survey' or 'hc0', not {vcov!r}", param="vcov")
    n = number(n, "n")
    if n < 2:
        raise DataError(f"n must be at least 2 respondents, got {n:g}", param="n")
    labels, values = _shares(shares)
    dec = check_decimals(decimals, values.tolist())
    notes: list[str] = []
    given_units = check_units(units)
    if rest is not None:
        if not given_units:
            raise UnsupportedError(
                "rest= needs units='percent' or 'proportion' (the remainder is up to 100% or 1)",
                param="units",
            )
        full = 100.0 if given_units == "percent" else 1.0
        left = full - float(values.sum())
        if left < -1e-9:
            raise DataError(
                f"shares: they already sum to {values.sum():g}, above {full:g}: nothing is left "
                f"for rest={rest!r}",
                param="shares",
            )
        labels.append(str(rest))
        values = np.r_[values, max(left, 0.0)]
        notes.append(f"'{rest}' is the remainder of the published shares: {left:g}")
    # a full table sums to 100 (or 1) within its rounding: half a unit per answer
    k_pub = len(values) - (rest is not None)
    slack = sum_slack(dec, k_pub)
    total = float(values.sum())
    unit, note = read_units(total, given_units, slack, "shares", "shares")
    if note:
        notes.append(note)
    full = 100.0 if unit == "percent" else 1.0
    if abs(total - full) > slack + 1e-9 * full:
        raise DataError(
            f"shares: they sum to {total:g}, not {full:g} within the rounding of "
            f"{k_pub} answers printed to {dec} decimals (± {slack:g}); list every answer, or "
            "name the rest with rest=",
            param="shares",
        )
    p_all = values / total
    if len(values) < 2:
        raise DataError("shares: a topline needs at least two answers", param="shares")

    try:
        dk_idx = dk_positions(labels, dk_values, "shares")
    except DataError as e:  # (names the answers; the argument at fault is dk_values)
        raise DataError(str(e).replace(" (column 'shares')", ""), param="dk_values") from None
    try:
        support_idx = support_answers(labels, "shares", parse_values(support), dk_idx)
    except DataError as e:
        raise DataError(str(e).replace(" (column 'shares')", ""), param="support") from None
    assert support_idx is not None
    deff_value = _deff(deff, n_eff, n)
    if deff_value != 1.0:
        notes.append(
            f"standard errors widened by the design effect {deff_value:.3g} (effective n "
            f"{n / deff_value:,.0f})"
        )

    answers = _estimate(p_all, np.full(len(p_all), n), n, deff_value, vcov, level)
    sup_mask = np.isin(np.arange(len(labels)), support_idx)
    dk_mask = np.isin(np.arange(len(labels)), dk_idx)

    def support_of(rows: np.ndarray) -> np.ndarray:
        s = rows[:, sup_mask].sum(axis=1)
        return s / (1 - rows[:, dk_mask].sum(axis=1)) if dk == "drop" else s

    def upper_of(rows: np.ndarray) -> np.ndarray:
        return rows[:, sup_mask | dk_mask].sum(axis=1)

    n_dom = n * (1 - float(p_all[dk_mask].sum())) if dk == "drop" else n
    if n_dom < 1:
        raise DataError("shares: with dk='drop' no answer is left", param="dk")
    p_sup = float(support_of(p_all[None, :])[0])
    sup = _estimate(np.array([p_sup]), np.array([n_dom]), n, deff_value, vcov, level)[0]
    upper = None
    if dk == "bounds":
        p_up = float(upper_of(p_all[None, :])[0])
        upper = _estimate(np.array([p_up]), np.array([n]), n, deff_value, vcov, level)[0]

    h = half_unit(dec, unit)  # type: ignore[arg-type]
    published = p_all if rest is None else p_all[:-1]

    def with_rest(fn):
        if rest is None:
            return fn
        return lambda rows: fn(np.column_stack([rows, np.clip(1 - rows.sum(axis=1), 0, None)]))

    def rounding(fn, value: float) -> Rounding:
        # corners of the published shares (the remainder follows them); renormalised
        lo, hi = corner_range(published, h, with_rest(fn), renormalise=rest is None)
        return Rounding(dec, lo, hi, rounding_text(lo, hi, value, dec, unit))

    return ToplineResult(
        answers=list(zip(labels, answers, strict=True)),
        support=sup,
        support_upper=upper,
        n=n,
        deff=deff_value,
        units=unit,
        dk=dk,
        support_values=[labels[i] for i in support_idx],
        dk_values=[labels[i] for i in dk_idx],
        vcov=vcov,
        rounding=rounding(support_of, p_sup),
        rounding_upper=None if upper is None else rounding(upper_of, upper.estimate),
        notes=notes,
        level=level,
    )


def _deff(deff: Any, n_eff: Any, n: float) -> float:
    if deff is not None and n_eff is not None:
        raise UnsupportedError("give deff or n_eff, not both", param="n_eff")
    if n_eff is not None:
        ne = number(n_eff, "n_eff")
        if ne <= 1:
            raise DataError(f"n_eff must be more than 1 respondent, got {ne:g}", param="n_eff")
        return n / ne
    if deff is None:
        return 1.0
    d = number(deff, "deff")
    if d <= 0:
        raise DataError(
            f"deff must be a positive number (1: simple random sample), got {d:g}", param="deff"
        )
    return d
