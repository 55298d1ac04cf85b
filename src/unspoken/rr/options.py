"""The randomized-response design as an options object, checked once: its R ``rr`` name and
parameters (:class:`DesignSpec`), shared by :func:`~unspoken.rr_prevalence`,
:func:`~unspoken.rr_regression`, :func:`~unspoken.rr_predictor` and
:func:`~unspoken.rr_power`, which keep ``design=``, ``p=``, ``p0=``, ``p1=``, ``q=`` as flat
keyword arguments (:func:`unspoken.keywords.spread_options`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from unspoken.options import _Options
from unspoken.rr.designs import RRDesign, make_design


@dataclass(frozen=True)
class DesignSpec(_Options):
    """A design named as in R ``rr`` (``"forced-known"``, ``"mirrored"``, ...) with its
    parameters ``p``, ``p0``, ``p1``, ``q``, or a design object (e.g.
    ``unspoken.rr.Crosswise(p=0.2)``); :attr:`made` is the design object."""

    design: str | RRDesign = "forced-known"
    p: float | None = None
    p0: float | None = None
    p1: float | None = None
    q: float | None = None
    made: RRDesign = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        made = make_design(self.design, p=self.p, p0=self.p0, p1=self.p1, q=self.q)
        object.__setattr__(self, "made", made)
