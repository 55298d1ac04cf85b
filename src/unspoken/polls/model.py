"""Pooling the polls: the entry point :func:`fit_polls`.

It reads and checks the polls (:mod:`unspoken.polls.data`), fits the model
(:mod:`unspoken.polls.fit`, where the method is described) and, with a "hard to say" column,
compares the house effects on both scales (:mod:`unspoken.polls.hard_to_say`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from unspoken.errors import UnsupportedError
from unspoken.polls.data import Duplicates, Scale, Units, _load, prepare_polls
from unspoken.polls.fit import Anchor, Bands, Fieldwork, Period, check_options, fit_prepared_polls

# the fitting functions moved to unspoken.polls.fit; still importable from here
from unspoken.polls.fit import _anchor_date as _anchor_date
from unspoken.polls.fit import _identification as _identification
from unspoken.polls.fit import fieldwork_weights as fieldwork_weights
from unspoken.polls.fit import make_grid as make_grid
from unspoken.polls.fit import parse_anchor as parse_anchor
from unspoken.polls.hard_to_say import compare_house_effects


def fit_polls(
    data: Any,
    share: str,
    pollster: str,
    *,
    date: str | None = None,
    start: str | None = None,
    end: str | None = None,
    n: str | None = None,
    default_n: Mapping[str, float] | None = None,
    dk: str | None = None,
    scale: Scale = "all",
    anchor: str | Anchor | Sequence[Any] = "sum-to-zero",
    period: Period = "day",
    units: Units = "auto",
    extra_variance: bool = True,
    fieldwork: Fieldwork = "spread",
    sigma: float | None = None,
    window: int = 30,
    level: float = 0.95,
    duplicates: Duplicates = "warn",
    compare_scales: bool | None = None,
    bands: Bands = "corrected",
    since: Any = None,
    until: Any = None,
    date_format: str | None = None,
):
    """Pool polls into one latent trend with a house effect per pollster.

    Model (proportion scale): ``alpha_t = alpha_{t-1} + N(0, sigma^2)`` per day or week;
    poll ``i`` of pollster ``j`` measures the mean of ``alpha`` over its fieldwork plus
    ``delta_j``, with variance ``p(1-p)/n + tau_j^2``. House effects are identified by
    ``anchor``: ``"sum-to-zero"``, ``"pollster:NAME"`` (that pollster unbiased), or one or
    more value anchors (``"value:DATE:EST:SE"``, :class:`Anchor`, or ``(date, est, se)``;
    an election result with se 0, or an indirect estimate with its s.e.). ``sigma`` fixes
    the innovation SD (in share units per period) instead of estimating it;
    ``extra_variance=False`` sets every ``tau_j = 0`` (Jackman's model). With ``dk`` given,
    ``compare_scales`` (default: on when ``dk`` is given) also reports how much of the spread
    of house effects the "hard to say" shares explain. ``bands="corrected"`` (default) adds
    the uncertainty of the estimated variances to the bands and house-effect standard errors
    (first order, Kass & Steffey 1989); ``"plugin"`` treats them as known. ``since`` /
    ``until`` keep only the polls fielded in that span.

    Input is never guessed (see :func:`~unspoken.polls.prepare_polls`): ``units="auto"``
    decides percent only when every non-zero share is above 1, otherwise asks for ``units``;
    dates are read with one format per column, and ``date_format`` (strftime, e.g.
    ``"%d/%m/%Y"``) is needed for mixed or day/month-ambiguous date columns. House effects
    need two or more pollsters or a value anchor; with one pollster and no value anchor the
    result has no house effect (NaN) and no "hard to say" comparison.
    """
    t0 = time.perf_counter()
    check_options(period, fieldwork, level, sigma, bands, window)
    raw = _load(data)  # a file is read once, also when the hard-to-say comparison refits
    polls = prepare_polls(
        raw,
        share=share,
        pollster=pollster,
        date=date,
        start=start,
        end=end,
        n=n,
        default_n=default_n,
        dk=dk,
        scale=scale,
        units=units,
        duplicates=duplicates,
        since=since,
        until=until,
        date_format=date_format,
    )
    fit = fit_prepared_polls(
        polls,
        anchor,
        period=period,
        extra_variance=extra_variance,
        fieldwork=fieldwork,
        sigma=sigma,
        window=window,
        level=level,
        bands=bands,
    )
    one = len(polls.pollsters) < 2
    if compare_scales and one:
        raise UnsupportedError(
            "compare_scales compares house effects, which need two or more pollsters; the "
            f"data have one ({polls.pollsters[0]})",
            param="compare_scales",
        )
    if compare_scales is None:
        compare_scales = dk is not None and not one
        if dk is not None and one:
            fit.notes.append(
                "no comparison of the 'hard to say' shares between pollsters: the data have "
                "one pollster"
            )
    if compare_scales:
        if dk is None:
            raise UnsupportedError("compare_scales needs the 'hard to say' column (dk)")
        reuse = (
            fit
            if (scale == "all" and fit.identification == "sum-to-zero" and sigma is None)
            else None
        )
        fit.hard_to_say = compare_house_effects(
            raw,
            all_fit=reuse,
            share=share,
            pollster=pollster,
            date=date,
            start=start,
            end=end,
            n=n,
            default_n=default_n,
            dk=dk,
            units=units,
            period=period,
            extra_variance=extra_variance,
            fieldwork=fieldwork,
            bands=bands,
            since=since,
            until=until,
            date_format=date_format,
        )
    fit.elapsed = time.perf_counter() - t0
    return fit
