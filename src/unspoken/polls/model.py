"""Pooling the polls: the entry point :func:`fit_polls`.

It reads and checks the polls (:mod:`unspoken.polls.data`), fits the model
(:mod:`unspoken.polls.fit`, where the method is described) and, with a "hard to say" column,
compares the house effects on both scales (:mod:`unspoken.polls.hard_to_say`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from unspoken.errors import UnsupportedError
from unspoken.keywords import old_names, spread_options
from unspoken.polls.data import _load, prepare_polls
from unspoken.polls.fit import Anchor, fit_prepared_polls

# the fitting functions moved to unspoken.polls.fit; still importable from here
from unspoken.polls.fit import _anchor_date as _anchor_date
from unspoken.polls.fit import _identification as _identification
from unspoken.polls.fit import fieldwork_weights as fieldwork_weights
from unspoken.polls.fit import make_grid as make_grid
from unspoken.polls.fit import parse_anchor as parse_anchor
from unspoken.polls.hard_to_say import compare_house_effects
from unspoken.polls.options import PollColumns, PollFit
from unspoken.polls.results import PollsResult


@old_names(dk="dk_share")
@spread_options(columns=PollColumns, settings=PollFit)
def fit_polls(
    data: Any,
    share: str,
    pollster: str,
    *,
    anchor: str | Anchor | Sequence[Any] = "sum-to-zero",
    compare_scales: bool | None = None,
    columns: PollColumns,
    settings: PollFit,
) -> PollsResult:
    """Pool polls into one latent trend with a house effect per pollster.

    Model (proportion scale): ``alpha_t = alpha_{t-1} + N(0, sigma^2)`` per day or week;
    poll ``i`` of pollster ``j`` measures the mean of ``alpha`` over its fieldwork plus
    ``delta_j``, with variance ``p(1-p)/n + tau_j^2``. House effects are identified by
    ``anchor``: ``"sum-to-zero"``, ``"pollster:NAME"`` (that pollster unbiased), or one or
    more value anchors (``"value:DATE:EST:SE"``, :class:`Anchor`, or ``(date, est, se)``;
    an election result with se 0, or an indirect estimate with its s.e.). ``sigma`` fixes
    the innovation SD (in share units per period) instead of estimating it;
    ``extra_variance=False`` sets every ``tau_j = 0`` (Jackman's model). With ``dk_share``
    (the column of "hard to say" shares; the old name ``dk=`` still works for one release,
    with a warning), ``compare_scales`` (default: on when it is given) also reports how
    much of the spread of house effects the "hard to say" shares explain.
    ``bands="corrected"`` (default) adds the uncertainty of the estimated variances to the
    bands and house-effect standard errors (first order, Kass & Steffey 1989); ``"plugin"``
    treats them as known. ``sigma_uncertainty="integrate"`` averages the trend, bands and
    house effects over the innovation SD (likelihood weights on a grid, flat prior on the
    SD; :mod:`unspoken.polls.integrate`), ``"plugin"`` uses its ML value, and ``"auto"``
    (default) integrates series of fewer than 150 polls; ``result.sigma_uncertainty`` says
    which route was taken and why. ``since`` / ``until`` keep only the polls fielded in
    that span.

    Input is never guessed (see :func:`~unspoken.polls.prepare_polls`): ``units="auto"``
    decides percent only when every non-zero share is above 1, otherwise asks for ``units``;
    dates are read with one format per column, and ``date_format`` (strftime, e.g.
    ``"%d/%m/%Y"``) is needed for mixed or day/month-ambiguous date columns. House effects
    need two or more pollsters or a value anchor; with one pollster and no value anchor the
    result has no house effect (NaN) and no "hard to say" comparison. The keyword
    arguments other than ``anchor`` and ``compare_scales`` are the fields of
    :class:`~unspoken.polls.options.PollColumns` and :class:`~unspoken.polls.options.PollFit`.
    """
    t0 = time.perf_counter()
    raw = _load(data)  # a file is read once, also when the hard-to-say comparison refits
    polls = prepare_polls(raw, c=columns)
    fit = fit_prepared_polls(polls, anchor, settings)
    one = len(polls.pollsters) < 2
    if compare_scales and one:
        raise UnsupportedError(
            "compare_scales compares house effects, which need two or more pollsters; the "
            f"data have one ({polls.pollsters[0]})",
            param="compare_scales",
        )
    dk = columns.dk_share
    if compare_scales is None:
        compare_scales = dk is not None and not one
        if dk is not None and one:
            fit.notes.append(
                "no comparison of the 'hard to say' shares between pollsters: the data have "
                "one pollster"
            )
    if compare_scales:
        if dk is None:
            raise UnsupportedError("compare_scales needs the 'hard to say' column (dk_share)")
        same = columns.scale == "all" and settings.sigma is None
        reuse = fit if same and fit.identification == "sum-to-zero" else None
        fit.hard_to_say = compare_house_effects(
            raw, all_fit=reuse, columns=columns, settings=settings.replace(sigma=None)
        )  # the comparison estimates the innovation SD on each scale
    fit.elapsed = time.perf_counter() - t0
    return fit
