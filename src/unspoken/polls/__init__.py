"""Pooling the polls: one latent trend across pollsters, with house effects and anchors.

Jackman (2005, 2009): a daily (or weekly) random walk observed through polls with sampling
error, an extra variance and a house effect per pollster. Fitted exactly by a banded
(Kalman-equivalent) smoother and maximum likelihood. Entry point: :func:`fit_polls`.

Layers, from the bottom: :mod:`~unspoken.polls.dates`, :mod:`~unspoken.polls.data` (reading
and checking the polls), :mod:`~unspoken.polls.smoother` and :mod:`~unspoken.polls.results`;
:mod:`~unspoken.polls.fit` (the model fitted to checked polls);
:mod:`~unspoken.polls.hard_to_say` (house effects on both scales, built on the fit); on top
:mod:`~unspoken.polls.model` (:func:`fit_polls`, which uses both). Imports point downwards.
"""

from __future__ import annotations

from unspoken.polls.data import PollDataWarning, prepare_polls
from unspoken.polls.fit import Anchor, parse_anchor
from unspoken.polls.hard_to_say import HardToSayComparison, compare_house_effects
from unspoken.polls.model import fit_polls
from unspoken.polls.results import PollsResult
from unspoken.polls.simulate import simulate_polls

__all__ = [
    "Anchor",
    "HardToSayComparison",
    "PollDataWarning",
    "PollsResult",
    "compare_house_effects",
    "fit_polls",
    "parse_anchor",
    "prepare_polls",
    "simulate_polls",
]
