"""The power result classes: ListPower (analytic), SimulatedPower (Monte Carlo) and RRPower
(randomized response). They hold numbers; ``tidy()`` gives one row, part ``"power"``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from unspoken.report.view import View
from unspoken.results import Estimate, ResultMixin, tidy_frame

if TYPE_CHECKING:
    from unspoken.rr.designs import RRDesign, UnknownDesign

Alternative = Literal["two.sided", "one.sided"]
DirectLink = Literal["falsification", "independent", "conservative"]


#: the JSON keys of the power results, in their order
_SIMULATED_KEYS = (
    "estimator", "design", "n", "reps", "power", "mc_se", "mean_estimate", "sd_estimate",
    "mean_std_error", "truth", "null", "alpha", "alternative", "failures",
)  # fmt: skip
_RR_KEYS = (
    "n", "power", "achieved_power", "solved_for", "design", "presp", "presp_null", "alpha",
    "type", "alternative", "n_rule",
)  # fmt: skip


def _values(res: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: getattr(res, k) for k in keys}


class _PowerTidy:
    """``tidy()`` of an analytic power result: one row, part ``"power"``. Solved for the
    power: term ``"n=N"``, estimate the power; solved for the sample size: term
    ``"power=P"``, estimate ``n``. No standard error (NaN): nothing is estimated."""

    n: int | float
    power: float
    solved_for: str

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        if self.solved_for == "n":
            term, value = f"power={self.power:g}", float(self.n)
        else:
            term, value = f"n={self.n:g}", float(self.power)
        e = Estimate(value, math.nan, math.nan, math.nan)
        return tidy_frame([{"part": "power", "term": term, "estimate": e}], level, 0.95)


@dataclass(frozen=True)
class ListPower(_PowerTidy, ResultMixin):
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
        return {"model": "simulated.power", **_values(self, _SIMULATED_KEYS)}

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row, part ``"power"``, term ``"n=N"``: the simulated power with its Monte
        Carlo standard error and a Wald interval."""
        e = Estimate.from_se(self.power, self.mc_se, level=0.95)
        return tidy_frame([{"part": "power", "term": f"n={self.n}", "estimate": e}], level, 0.95)

    def view(self) -> View:
        from unspoken.report.view import simulated_power_view

        return simulated_power_view(self)


@dataclass(frozen=True)
class RRPower(_PowerTidy, ResultMixin):
    """The power of a randomized response test, or the sample size for a target power.
    ``r``, ``se_rule`` and ``q`` are set (and in the JSON) for the unknown-``q`` designs only."""

    design: RRDesign | UnknownDesign
    n: int | float
    power: float
    achieved_power: float
    presp: float
    presp_null: float
    alpha: float
    type: str
    alternative: str
    solved_for: str
    n_rule: str
    r: float | None = None
    se_rule: str | None = None
    q: float | None = None  # the q the variance used

    @property
    def sig_level(self) -> float:
        """The old name of :attr:`alpha` (R ``sig.level``)."""
        return self.alpha

    def to_dict(self) -> dict[str, Any]:
        out = {"model": "rr.power", **_values(self, _RR_KEYS)}
        out["design"] = self.design.to_dict()
        if self.r is not None:
            out.update(r=self.r, se_rule=self.se_rule, q=self.q)
        return out

    def view(self) -> View:
        from unspoken.report.view import rr_power_view

        return rr_power_view(self)
