"""The options of poll pooling, validated once: where the polls are in the data and how to
read them (:class:`PollColumns`, shared by :func:`~unspoken.polls.prepare_polls`,
:func:`~unspoken.polls.fit_polls` and :func:`~unspoken.polls.compare_house_effects`) and
how the model is fitted and reported (:class:`PollFit`). The public functions keep these as
flat keyword arguments (:func:`unspoken.keywords.spread_options`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from unspoken.errors import UnsupportedError
from unspoken.options import _Options
from unspoken.polls.dates import check_date_format
from unspoken.results import check_level

Scale = Literal["all", "decided"]
Units = Literal["auto", "percent", "proportion"]
Duplicates = Literal["warn", "error", "keep"]
Period = Literal["day", "week"]
Fieldwork = Literal["spread", "midpoint"]
Bands = Literal["corrected", "plugin"]
SigmaUncertainty = Literal["auto", "integrate", "plugin"]


@dataclass(frozen=True)
class PollColumns(_Options):
    """The poll data's columns and how to read them: ``share`` and ``pollster``; the fieldwork
    dates as one ``date`` column or ``start`` and ``end``; sample sizes ``n`` and
    ``default_n`` (per pollster, ``{"NAME": N}``, or one number for every pollster);
    ``dk_share``, the column of "hard to say" shares (same units as ``share``); ``scale``,
    ``units``, ``duplicates``, the span ``since``/``until`` and ``date_format`` (see
    :func:`~unspoken.polls.prepare_polls`)."""

    share: str
    pollster: str
    date: str | None = None
    start: str | None = None
    end: str | None = None
    n: str | None = None
    default_n: Mapping[str, float] | float | None = None
    dk_share: str | None = None
    scale: Scale = "all"
    units: Units = "auto"
    duplicates: Duplicates = "warn"
    since: Any = None
    until: Any = None
    date_format: str | None = None

    def __post_init__(self) -> None:
        if self.scale not in ("all", "decided"):
            raise UnsupportedError(f"scale must be 'all' or 'decided', not {self.scale!r}")
        if self.units not in ("auto", "percent", "proportion"):
            raise UnsupportedError(
                f"units must be 'auto', 'percent' or 'proportion', not {self.units!r}"
            )
        if self.duplicates not in ("warn", "error", "keep"):
            raise UnsupportedError(
                f"duplicates must be 'warn', 'error' or 'keep', not {self.duplicates!r}"
            )
        if self.date is not None and (self.start is not None or self.end is not None):
            raise UnsupportedError("give either a date column or start and end columns, not both")
        if self.date is None and (self.start is None or self.end is None):
            raise UnsupportedError("give a date column, or both a start and an end column")
        if self.scale == "decided" and self.dk_share is None:
            raise UnsupportedError(
                "scale='decided' needs the 'hard to say' column (dk_share)", param="dk_share"
            )
        check_date_format(self.date_format)

    @property
    def columns(self) -> list[str]:
        """The data columns named, in the order share, pollster, dates, n, dk_share."""
        named = (self.share, self.pollster, self.date, self.start, self.end, self.n)
        return [c for c in (*named, self.dk_share) if c is not None]


@dataclass(frozen=True)
class PollFit(_Options):
    """How the model is fitted and reported: the time step ``period``; ``extra_variance``
    per pollster; ``fieldwork`` spread over its days or at its midpoint; a fixed innovation
    SD ``sigma`` (estimated when ``None``); the ``window`` (days) of the reported change;
    the confidence ``level``; ``bands`` corrected for the estimated variances or plug-in;
    ``sigma_uncertainty``: ``"integrate"`` averages the fit over the innovation SD
    (:mod:`unspoken.polls.integrate`), ``"plugin"`` uses its ML value, ``"auto"`` integrates
    short series (fewer than 150 polls)."""

    period: Period = "day"
    extra_variance: bool = True
    fieldwork: Fieldwork = "spread"
    sigma: float | None = None
    window: int = 30
    level: float = 0.95
    bands: Bands = "corrected"
    sigma_uncertainty: SigmaUncertainty = "auto"

    def __post_init__(self) -> None:
        from unspoken.inference.covariance import _whole_number

        if self.period not in ("day", "week"):
            raise UnsupportedError(f"period must be 'day' or 'week', not {self.period!r}")
        if self.fieldwork not in ("spread", "midpoint"):
            raise UnsupportedError(
                f"fieldwork must be 'spread' or 'midpoint', not {self.fieldwork!r}"
            )
        object.__setattr__(self, "level", check_level(self.level))
        sigma = self.sigma
        number = isinstance(sigma, int | float | np.integer | np.floating) and not isinstance(
            sigma, bool | np.bool_
        )
        if sigma is not None and not (number and math.isfinite(sigma) and sigma > 0):  # type: ignore[arg-type]
            raise UnsupportedError(
                f"sigma must be positive (a number), not {sigma!r}", param="sigma"
            )
        k = _whole_number(self.window)
        if k is None or k < 1:
            raise UnsupportedError(
                f"window (days over which the change is reported) must be a whole number of "
                f"at least 1, not {self.window!r}",
                param="window",
            )
        if self.bands not in ("corrected", "plugin"):
            raise UnsupportedError(f"bands must be 'corrected' or 'plugin', not {self.bands!r}")
        if self.sigma_uncertainty not in ("auto", "integrate", "plugin"):
            raise UnsupportedError(
                "sigma_uncertainty must be 'auto', 'integrate' or 'plugin', not "
                f"{self.sigma_uncertainty!r}",
                param="sigma_uncertainty",
            )
