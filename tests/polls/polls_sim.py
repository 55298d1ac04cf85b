"""Fitting the polls ``simulate_polls`` makes (columns share, pollster, start, end, n)."""

from __future__ import annotations

from unspoken.polls import fit_polls


def fit_simulated(polls, **options):
    """``fit_polls`` of simulated polls: share by pollster, fieldwork start to end, n asked."""
    return fit_polls(polls, "share", "pollster", start="start", end="end", n="n", **options)
