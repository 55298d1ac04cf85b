"""The poll data-generating process lives in the shared engine: :mod:`unspoken.simulate.polls`."""

from unspoken.simulate.polls import SimulatedPolls, simulate_polls

__all__ = ["SimulatedPolls", "simulate_polls"]
