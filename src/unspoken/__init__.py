"""unspoken: measure what people will not say out loud.

List experiments, randomized response, the gap between direct and hidden answers, pooled
polls and power analysis. Heavy modules are imported lazily, so ``import unspoken`` is fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (imported on first use)
_LAZY: dict[str, str] = {
    "datasets": "unspoken.datasets",
    "read_data": "unspoken.io",
    "DataError": "unspoken.errors",
    "UnsupportedError": "unspoken.errors",
    "ConvergenceError": "unspoken.errors",
    "UnspokenError": "unspoken.errors",
    "Estimate": "unspoken.results",
    "FitResult": "unspoken.results",
    "design_test": "unspoken.listexp.design_test",
    "list_experiment": "unspoken.listexp.standard",
    "ictreg": "unspoken.listexp.standard",
    "double_list_experiment": "unspoken.listexp.double",
    "list_joint": "unspoken.listexp.joint",
    "multilevel_list": "unspoken.multilevel.fit",
    "poststratify": "unspoken.multilevel.poststratify",
    "indicator_correlation": "unspoken.multilevel.indicator",
    "mrp": "unspoken.multilevel.mrp",
    "MRPResult": "unspoken.multilevel.mrp",
    "ListFit": "unspoken.listexp.results",
    "direct_poll": "unspoken.direct",
    "gap": "unspoken.falsification.estimator",
    "combined_list_direct": "unspoken.listexp.combined",
    "hausman_test": "unspoken.listexp.hausman",
    "rr": "unspoken.rr",
    "rr_regression": "unspoken.rr.regression",
    "rr_prevalence": "unspoken.rr.regression",
    "rr_power": "unspoken.rr.power",
    "list_power": "unspoken.power",
    "gap_power": "unspoken.power",
    "simulate_power": "unspoken.power",
    "diagnose": "unspoken.diagnosis",
    "DiagnoseResult": "unspoken.diagnosis",
    "rr_predictor": "unspoken.rr.predictor",
    "polls": "unspoken.polls",
    "fit_polls": "unspoken.polls",
    "list_from_counts": "unspoken.tables",
    "direct_from_topline": "unspoken.tables",
    "gap_from_estimates": "unspoken.tables",
    "write_report": "unspoken.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = module if module.__name__ == f"unspoken.{name}" else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'unspoken' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
