"""Randomized response and crosswise designs: designs, prevalence, regression and power."""

from unspoken.rr.designs import (
    DESIGN_NAMES,
    UNKNOWN_DESIGN_NAMES,
    Crosswise,
    Disguised,
    ForcedKnown,
    ForcedUnknown,
    Mirrored,
    RRDesign,
    Triangular,
    UnknownDesign,
    UnrelatedKnown,
    UnrelatedUnknown,
    Warner,
    make_design,
)
from unspoken.rr.power import RRPower, rr_power
from unspoken.rr.predictor import RRPredictorFit, rr_predictor
from unspoken.rr.regression import RRFit, RRPrevalence, rr_prevalence, rr_regression

__all__ = [
    "DESIGN_NAMES",
    "UNKNOWN_DESIGN_NAMES",
    "Crosswise",
    "Disguised",
    "ForcedKnown",
    "ForcedUnknown",
    "Mirrored",
    "RRDesign",
    "RRFit",
    "RRPower",
    "RRPredictorFit",
    "RRPrevalence",
    "Triangular",
    "UnknownDesign",
    "UnrelatedKnown",
    "UnrelatedUnknown",
    "Warner",
    "make_design",
    "rr_power",
    "rr_predictor",
    "rr_prevalence",
    "rr_regression",
]
