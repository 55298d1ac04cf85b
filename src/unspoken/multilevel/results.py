"""The result of :func:`unspoken.multilevel_list` (numbers only; the view is built in
:mod:`unspoken.report.views.multilevel`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from unspoken.results import Estimate, ResultMixin, tidy_frame

if TYPE_CHECKING:
    from unspoken.report.view import View

__all__ = ["AreaEstimate", "MultilevelListFit", "PoststratifiedArea", "PoststratifiedFit"]


def _area_frame(areas: list[Any], **extra: list[Any]) -> pd.DataFrame:
    """One row per area: estimate, s.e., interval, then the ``extra`` columns."""
    return pd.DataFrame(
        {
            "area": [a.area for a in areas],
            "estimate": [a.estimate.estimate for a in areas],
            "std_error": [a.estimate.std_error for a in areas],
            "ci_low": [a.estimate.ci_low for a in areas],
            "ci_high": [a.estimate.ci_high for a in areas],
            **extra,
        }
    )


class _Caterpillar:
    """``plot()``: the caterpillar plot of the area estimates with the national line."""

    def plot(self, path: Any = None) -> Any:
        """The caterpillar plot of the area estimates with the national line."""
        from unspoken.report.views.multilevel import caterpillar_plot

        fig = caterpillar_plot(self)
        if path is not None:
            fig.savefig(path)
        return fig


@dataclass(frozen=True)
class AreaEstimate:
    """One area: its empirical-Bayes hidden share (``estimate``), respondents ``n``, its own
    difference in means ``raw`` (``None`` when the small-cell rule hides it) and the
    ``shrinkage`` toward the national estimate (``(raw - EB) / (raw - national)``)."""

    area: Any
    estimate: Estimate
    n: int
    raw: float | None
    shrinkage: float | None
    #: the share who say "support" when asked directly, and ``gap = hidden - direct``
    direct: Estimate | None = None
    gap: Estimate | None = None
    #: the area's own direct share (``None`` when the small-cell rule hides it)
    raw_direct: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "area": self.area,
            "n": self.n,
            "hidden_share": self.estimate.to_dict(),
            "raw_share": self.raw,
            "shrinkage": self.shrinkage,
        }
        if self.direct is not None:
            out["direct_share"] = self.direct.to_dict()
            out["raw_direct_share"] = self.raw_direct
            out["gap"] = None if self.gap is None else self.gap.to_dict()
        return out


@dataclass
class MultilevelListFit(_Caterpillar, ResultMixin):
    """A multilevel list experiment: fixed effects (``params_``, ``cov``) of the sensitive
    and control models, the random-intercept SDs (``sd``: ``sensitive``, ``control``) and
    one :class:`AreaEstimate` per area."""

    parts: list[str]
    terms: list[str]
    params_: np.ndarray
    cov: np.ndarray
    sd: dict[str, Estimate]
    areas: list[AreaEstimate]
    national: float
    area: str
    n: int
    J: int
    nodes: int
    random_effects: bool
    theta_cov: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    gradient_norm: float
    level: float = 0.95
    notes: list[str] = field(default_factory=list)
    rounds: int = 1
    min_n: int = 30
    #: "laplace" (adaptive quadrature, empirical Bayes) or "bayes" (NUTS posterior)
    method: str = "laplace"
    #: the column of the direct question, when the gap is modelled, and the national share
    #: saying support
    direct: str | None = None
    national_direct: float | None = None
    #: ``method="bayes"``: per parameter ``rhat``, ``ess_bulk``, ``ess_tail``
    diagnostics: dict[str, Any] | None = None
    #: what :func:`unspoken.poststratify` needs (model, nodes, free parameters, design)
    state: Any = field(default=None, repr=False, compare=False)

    def area_draws(self, n: int = 4000, seed: int = 0, quantity: str = "hidden") -> np.ndarray:
        """Joint draws ``(n, areas)`` of the areas' ``quantity`` ("hidden", "direct" or
        "gap" = hidden - direct), areas in the order of :attr:`areas`: for ``laplace`` from
        the normal approximation on the logit scale behind the reported intervals (areas
        correlated through the fixed effects), for ``bayes`` the posterior draws."""
        from unspoken.multilevel.draws import area_draws

        return area_draws(self, n, seed, quantity)

    def indicator(self, indicator: str, **kwargs: Any) -> Any:
        """The correlation of an area-level indicator with the areas' shares:
        :func:`unspoken.multilevel.indicator.indicator_correlation` (same keywords)."""
        from unspoken.multilevel.indicator import indicator_correlation

        return indicator_correlation(self, indicator, **kwargs)

    @property
    def params(self) -> pd.Series:
        idx = pd.MultiIndex.from_arrays([self.parts, self.terms], names=["part", "term"])
        return pd.Series(self.params_, index=idx, name="estimate")

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.maximum(np.diag(self.cov), 0))

    def area_frame(self) -> pd.DataFrame:
        """One row per area: estimate, s.e., interval, n, raw share (or missing) and the
        shrinkage."""
        return _area_frame(
            self.areas,
            n=[a.n for a in self.areas],
            raw=[np.nan if a.raw is None else a.raw for a in self.areas],
            shrinkage=[np.nan if a.shrinkage is None else a.shrinkage for a in self.areas],
        )

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Fixed effects, the two random-intercept SDs (part ``sd(area)``) and each area's
        hidden share (part ``area``)."""
        rows: list[dict[str, Any]] = [
            {"part": p, "term": t, "estimate": Estimate.from_se(e, s, self.level)}
            for p, t, e, s in zip(
                self.parts, self.terms, self.params_, self.std_errors, strict=True
            )
        ]
        rows += [{"part": "sd(area)", "term": k, "estimate": e} for k, e in self.sd.items()]
        rows += [
            {"part": "area", "term": str(a.area), "estimate": a.estimate, "n": a.n}
            for a in self.areas
        ]
        return tidy_frame(rows, level, self.level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "multilevel list (binomial, random intercepts by area)",
            "method": self.method,
            "direct": self.direct,
            "quadrature_nodes": self.nodes**2,
            "random_effects": self.random_effects,
            "area": self.area,
            "n": self.n,
            "n_areas": len(self.areas),
            "J": self.J,
            "loglik": self.loglik,
            "converged": self.converged,
            "iterations": self.iterations,
            "gradient_norm": self.gradient_norm,
            "vcov": "model",
            "params": [
                {"part": p, "term": t, "estimate": e, "std_error": s}
                for p, t, e, s in zip(
                    self.parts, self.terms, self.params_, self.std_errors, strict=True
                )
            ],
            "sd": {k: e.to_dict() for k, e in self.sd.items()},
            "national": self.national,
            "areas": [a.to_dict() for a in self.areas],
            "diagnostics": self.diagnostics,
            "notes": list(self.notes),
        }

    def view(self) -> View:
        from unspoken.report.views.multilevel import multilevel_view

        return multilevel_view(self)


@dataclass(frozen=True)
class PoststratifiedArea:
    """One area of a poststratification: its hidden share, the population in its cells
    (``population``) and the survey's respondents there (``n``; 0 = not surveyed)."""

    area: Any
    estimate: Estimate
    population: float
    n: int
    direct: Estimate | None = None
    gap: Estimate | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "area": self.area,
            "population": self.population,
            "n": self.n,
            "hidden_share": self.estimate.to_dict(),
        }
        if self.direct is not None:
            out["direct_share"] = self.direct.to_dict()
            out["gap"] = None if self.gap is None else self.gap.to_dict()
        return out


@dataclass
class PoststratifiedFit(_Caterpillar, ResultMixin):
    """The result of :func:`unspoken.poststratify`: per-area poststratified hidden shares
    and the ``national`` share over all cells."""

    areas: list[PoststratifiedArea]
    national: Estimate
    area: str
    count: str
    population: float
    level: float = 0.95
    notes: list[str] = field(default_factory=list)
    #: national direct share and gap, when the fit modelled the direct question
    national_direct: Estimate | None = None
    national_gap: Estimate | None = None
    #: the fit's method: "laplace" (Wald intervals) or "bayes" (credible intervals)
    method: str = "laplace"

    def area_frame(self) -> pd.DataFrame:
        """One row per area: estimate, s.e., interval, population and respondents."""
        return _area_frame(
            self.areas,
            population=[a.population for a in self.areas],
            n=[a.n for a in self.areas],
        )

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Part ``poststratified``: one row per area (group = the area) and ``national``."""
        rows: list[dict[str, Any]] = [
            {
                "group": {self.area: a.area},
                "part": "poststratified",
                "term": "hidden share",
                "estimate": a.estimate,
                "n": a.n,
            }
            for a in self.areas
        ]
        rows.append(
            {
                "group": {self.area: "national"},
                "part": "poststratified",
                "term": "hidden share",
                "estimate": self.national,
                "n": sum(a.n for a in self.areas),
            }
        )
        return tidy_frame(rows, level, self.level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "multilevel list (binomial, random intercepts by area), poststratified",
            "method": self.method,
            "area": self.area,
            "count": self.count,
            "population": self.population,
            "national": self.national.to_dict(),
            **(
                {}
                if self.national_direct is None
                else {
                    "national_direct": self.national_direct.to_dict(),
                    "national_gap": None
                    if self.national_gap is None
                    else self.national_gap.to_dict(),
                }
            ),
            "areas": [a.to_dict() for a in self.areas],
            "notes": list(self.notes),
        }

    def view(self) -> View:
        from unspoken.report.views.multilevel import poststratified_view

        return poststratified_view(self)
