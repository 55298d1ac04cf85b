"""Results of the design-effect tests of list experiments (Blair & Imai 2012): they hold
numbers and describe themselves; :mod:`unspoken.listexp.design_test` computes them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from unspoken.results import Estimate, ResultMixin, tidy_frame

if TYPE_CHECKING:
    from unspoken.report.view import View

__all__ = ["BlockTest", "DesignTestResult", "MultiDesignTest", "PiEstimate"]

_MODEL = "list.design_test"


@dataclass(frozen=True)
class PiEstimate:
    """Estimated share of respondents with ``Y_i(0) = y`` and ``Z_i = z``."""

    y: int
    z: int
    estimate: float
    std_error: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BlockTest:
    """The test of ``pi(y, z) >= 0`` for one ``z``.

    ``moments`` are the ``y`` values whose inequalities entered the test (after dropping
    always-positive, uninformative and, with GMS, clearly slack ones); ``method`` is
    ``"chi-bar-square"``, ``"welch-t"`` (``compat="list"`` with one moment) or ``"none"``
    (no moment left: nothing to test, p = 1); ``weights[k]`` is the weight of ``chi2_k``.
    """

    z: int
    p_value: float
    statistic: float
    moments: list[int]
    dropped_gms: list[int]
    method: str
    weights: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "z": self.z,
            "p_value": self.p_value,
            "statistic": self.statistic,
            "method": self.method,
            "moments": list(self.moments),
            "dropped_gms": list(self.dropped_gms),
            "weights": list(self.weights),
        }


@dataclass
class DesignTestResult(ResultMixin):
    """Result of :func:`design_test`.

    ``pi`` lists the estimated shares in R's table order (``z = 1`` for ``y = 0..J``, then
    ``z = 0``); ``tests`` holds the test for ``z = 0`` and for ``z = 1``;
    ``p_bonferroni = min(1, 2 min(p_0, p_1))``; ``design_effect`` is ``p_bonferroni < alpha``.
    ``floor_ceiling`` gives the shares answering at the extremes (warning signs of floor and
    ceiling effects).
    """

    J: int
    n: int
    n_control: int
    n_treated: int
    pi: list[PiEstimate]
    tests: list[BlockTest]
    p_bonferroni: float
    alpha: float
    design_effect: bool
    gms: bool
    compat: str
    floor_ceiling: dict[str, float]
    treat_labels: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def p_values(self) -> dict[int, float]:
        """``{z: p-value}`` for ``z = 0`` and ``z = 1``."""
        return {t.z: t.p_value for t in self.tests}

    @property
    def level(self) -> float:
        """The confidence level of the shares' intervals: ``1 - alpha``."""
        return 1 - self.alpha

    def tidy_rows(self) -> list[dict[str, Any]]:
        """The estimated shares as rows of :func:`~unspoken.results.tidy_frame`: part
        ``design_test``, term ``y=<y>,z=<z>``, a Wald interval at :attr:`level`."""
        return [
            {
                "part": "design_test",
                "term": f"y={p.y},z={p.z}",
                "estimate": Estimate.from_se(p.estimate, p.std_error, self.level),
            }
            for p in self.pi
        ]

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The estimated shares ``pi(y, z)``: one row per ``(y, z)`` with standard errors
        and intervals (at ``1 - alpha`` unless ``level`` is given)."""
        return tidy_frame(self.tidy_rows(), level, self.level)

    @property
    def moment_selection(self) -> str:
        """Which shares entered the test, in words (the rule given by ``gms`` and ``compat``)."""
        if self.compat == "list":
            return "R list::ict.test's rules" + (
                ", whose moment selection scales each share by the spread of all estimated shares"
                if self.gms
                else ", every share tested (no moment selection)"
            )
        if not self.gms:
            return "every share tested (no moment selection)"
        kappa = math.sqrt(math.log(self.n))
        return (
            f"shares more than sqrt(log n) = {kappa:.2f} standard errors above zero left out "
            "(generalised moment selection, Andrews & Soares 2010)"
        )

    @property
    def verdict(self) -> str:
        p = _fmt_p(self.p_bonferroni)
        if self.design_effect:
            neg = [q for q in self.pi if q.estimate < 0]
            worst = min(neg, key=lambda q: q.estimate / q.std_error) if neg else None
            which = (
                f"; most negative share pi(y = {worst.y}, z = {worst.z}) = {worst.estimate:.4f}"
                if worst is not None
                else ""
            )
            return (
                f"Evidence of a design effect at alpha = {self.alpha:g} "
                f"(Bonferroni p = {p}){which}."
                " Adding the sensitive item appears to change answers to the control items,"
                " so estimates that assume no design effect may be biased."
            )
        return f"No evidence of a design effect at alpha = {self.alpha:g} (Bonferroni p = {p})."

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": _MODEL,
            "n": self.n,
            "n_control": self.n_control,
            "n_treated": self.n_treated,
            "J": self.J,
            "gms": self.gms,
            "compat": self.compat,
            "alpha": self.alpha,
            "seed": self.seed,
            "pi": [p.to_dict() for p in self.pi],
            "p_values": [t.to_dict() for t in self.tests],
            "p_bonferroni": self.p_bonferroni,
            "design_effect": self.design_effect,
            "verdict": self.verdict,
            "floor_ceiling": dict(self.floor_ceiling),
            "treat": dict(self.treat_labels),
            "notes": list(self.notes),
        }

    def view(self) -> View:
        from unspoken.report.view import design_test_view

        return design_test_view(self)


def _fmt_p(p: float) -> str:
    if not math.isfinite(p):
        return "NA"
    if p < 1e-4:
        return f"{p:.1e}"
    return f"{p:.4f}"


@dataclass
class MultiDesignTest(ResultMixin):
    """Blair & Imai (2012) design-effect test for each sensitive item (control group vs the
    item's treated group); ``results`` maps the item to its :class:`DesignTestResult`."""

    results: dict[str, DesignTestResult]
    control_value: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "design effect, per sensitive item",
            "control_value": self.control_value,
            "items": [{"item": k, **v.to_dict()} for k, v in self.results.items()],
        }

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The estimated shares of every item's test, with the item as ``group``."""
        rows = [
            {**row, "group": {"item": item}}
            for item, res in self.results.items()
            for row in res.tidy_rows()
        ]
        own = next(iter(self.results.values())).level if self.results else 0.95
        return tidy_frame(rows, level, own)

    def view(self) -> View:
        from unspoken.report.view import multi_design_test_view

        return multi_design_test_view(self)

    def views(self) -> list[View]:
        from unspoken.report.view import design_test_view

        return [design_test_view(r, item) for item, r in self.results.items()]
