"""The power result classes: ListPower (analytic) and SimulatedPower (Monte Carlo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from unspoken.report.view import View
from unspoken.results import ResultMixin

Alternative = Literal["two.sided", "one.sided"]
DirectLink = Literal["falsification", "independent", "conservative"]


@dataclass(frozen=True)
class ListPower(ResultMixin):
    """Power of a list experiment (or falsification-gap) test, or the n for a target power."""

    model: str
    n: int | float
    power: float
    solved_for: str
    prevalence: float
    null: float
    J: int
    alpha: float
    alternative: str
    treated_share: float
    n_treated: float
    n_control: float
    control_mean: float | None
    control_var: float
    treated_var: float
    std_error: float
    optimal_treated_share: float
    n_optimal: int | None
    gap: float | None = None
    gap_null: float | None = None
    direct_share: float | None = None
    direct_link: str | None = None
    cov_direct: float | None = None
    n_conservative: int | None = None
    notes: list[str] = field(default_factory=list)
    # the correlations assumed (shown by the view, not in to_dict: the JSON keeps its shape);
    # rho is None when the control variance was given or measured, not derived from it
    sensitive_cor: float = 0.0
    rho: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "quantity": "prevalence" if self.gap is None else "gap",
            "n": self.n,
            "power": self.power,
            "solved_for": self.solved_for,
            "prevalence": self.prevalence,
            "null": self.null,
            "J": self.J,
            "alpha": self.alpha,
            "alternative": self.alternative,
            "treated_share": self.treated_share,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "control_mean": self.control_mean,
            "control_var": self.control_var,
            "treated_var": self.treated_var,
            "std_error": self.std_error,
            "optimal_treated_share": self.optimal_treated_share,
            "n_optimal": self.n_optimal,
            "notes": list(self.notes),
        }
        if self.gap is not None:
            out.update(
                gap=self.gap,
                gap_null=self.gap_null,
                direct_share=self.direct_share,
                direct_link=self.direct_link,
                cov_direct=self.cov_direct,
                n_conservative=self.n_conservative,
            )
        return out

    def view(self) -> View:
        from unspoken.report.view import list_power_view

        return list_power_view(self)


@dataclass(frozen=True)
class SimulatedPower(ResultMixin):
    """Monte Carlo power of an estimator: the share of ``reps`` surveys rejecting the null."""

    estimator: str
    design: str
    n: int
    reps: int
    power: float
    mc_se: float
    mean_estimate: float
    sd_estimate: float
    mean_std_error: float
    truth: float
    null: float
    alpha: float
    alternative: str
    failures: int
    seed: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "simulated.power",
            "estimator": self.estimator,
            "design": self.design,
            "n": self.n,
            "reps": self.reps,
            "power": self.power,
            "mc_se": self.mc_se,
            "mean_estimate": self.mean_estimate,
            "sd_estimate": self.sd_estimate,
            "mean_std_error": self.mean_std_error,
            "truth": self.truth,
            "null": self.null,
            "alpha": self.alpha,
            "alternative": self.alternative,
            "failures": self.failures,
        }

    def view(self) -> View:
        from unspoken.report.view import simulated_power_view

        return simulated_power_view(self)
