"""Design diagnosis at scale: :func:`diagnose` simulates a grid of survey designs with
several estimators and reports power, bias, RMSE, coverage and the floor/ceiling shares with
their Monte Carlo standard errors, on one process, a process pool or a Dask cluster, with
identical numbers everywhere."""

from unspoken.diagnosis.api import diagnose
from unspoken.diagnosis.results import DiagnoseResult

__all__ = ["DiagnoseResult", "diagnose"]
