"""Power and sample size: analytic list/gap power, simulated power and their results.

The formulas are in :mod:`unspoken.power.analytic`; the power of a randomized response
design is in :mod:`unspoken.rr.power`.
"""

from __future__ import annotations

from unspoken.power.analytic import control_variance, gap_power, list_power
from unspoken.power.results import Alternative as Alternative
from unspoken.power.results import DirectLink as DirectLink
from unspoken.power.results import ListPower, SimulatedPower
from unspoken.power.simulation import MAX_SIMULATED_RESPONDENTS as MAX_SIMULATED_RESPONDENTS
from unspoken.power.simulation import MAX_SIMULATION_REPS as MAX_SIMULATION_REPS
from unspoken.power.simulation import simulate_power

__all__ = [
    "ListPower",
    "SimulatedPower",
    "control_variance",
    "gap_power",
    "list_power",
    "simulate_power",
]
