"""One results protocol for every analysis.

Every result object offers ``summary()`` (text), ``_repr_html_()`` (notebooks),
``to_dict()`` (JSON-ready, the shape the CLI prints with ``--json``) and ``to_json()``.
Parametric fits (:class:`FitResult`) add ``params``, ``std_errors``, ``cov``,
``conf_int()``, ``tidy()`` and the design's headline quantity (``prevalence``) overall and
by subgroup. Result classes hold numbers; they compute nothing but presentation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from unspoken.report.view import View


def check_level(level: object, name: str = "level", example: float = 0.95) -> float:
    """A confidence level (or a test level, ``name="alpha"``) as a float strictly between
    0 and 1.

    Every analysis checks its ``level`` here (directly or through :func:`z_value`), so that
    ``95``, ``0``, ``nan``, ``True`` or the text ``"0.9"`` get the same
    :class:`~unspoken.errors.UnsupportedError` everywhere instead of a wrong interval or a
    ``TypeError`` further down.
    """
    from unspoken.errors import UnsupportedError

    ok = isinstance(level, int | float | np.integer | np.floating) and not isinstance(
        level, bool | np.bool_
    )
    if ok:
        ok = 0 < float(level) < 1  # (False for nan)
    if not ok:
        raise UnsupportedError(
            f"{name} must be a number between 0 and 1 (e.g. {example:g}), got {level!r}",
            param=name,
        )
    return float(level)  # type: ignore[arg-type]


def z_value(level: float = 0.95) -> float:
    """Two-sided normal critical value for a confidence level (checked by
    :func:`check_level`)."""
    from scipy.special import ndtri  # norm.ppf without importing scipy.stats (0.25 s)

    return float(ndtri(0.5 + check_level(level) / 2))


def _clean(x: Any) -> Any:
    """Turn numpy scalars/arrays and non-finite floats into JSON-safe Python values."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_clean(v) for v in x.tolist()]
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        v = float(x)
        return v if math.isfinite(v) else None
    if hasattr(x, "to_dict") and not isinstance(x, pd.DataFrame | pd.Series):
        return _clean(x.to_dict())
    return x


def json_text(obj: Any, indent: int | None = 2) -> str:
    """JSON of a result, or of a dict/list holding results (each through its ``to_dict()``);
    numpy values become Python ones and non-finite numbers ``null``."""
    return json.dumps(_clean(obj), indent=indent)


#: the columns every ``tidy()`` starts with (after ``group`` where a result has subgroups)
TIDY_COLUMNS: tuple[str, ...] = ("part", "term", "estimate", "std_error", "ci_low", "ci_high")


def group_text(group: dict[str, Any] | None) -> str:
    """A subgroup as text: ``"region = North, sex = F"``; the whole sample is ``"(all)"``."""
    return ", ".join(f"{k} = {v}" for k, v in (group or {}).items()) or "(all)"


def tidy_frame(rows: list[dict[str, Any]], level: float | None, own_level: float) -> pd.DataFrame:
    """The one ``tidy()`` table: a row per dict of ``rows`` with keys ``part``, ``term``,
    ``estimate`` (an :class:`Estimate` or ``None``) and optionally ``group`` (a dict),
    ``n`` and ``note``.

    Columns: ``group`` (when any row has one), :data:`TIDY_COLUMNS`, then ``n`` and
    ``note`` when any row has them. With ``level`` other than ``own_level`` the intervals
    are Wald intervals ``estimate ± z·std_error`` at that level; otherwise the result's own
    intervals (which may be t-based, bounds or on the logit scale) are kept.
    """
    relevel = level is not None and check_level(level) != own_level
    z = z_value(level) if relevel else None  # type: ignore[arg-type]
    out = []
    for r in rows:
        e: Estimate | None = r.get("estimate")
        row: dict[str, Any] = {"part": r["part"], "term": r["term"]}
        if "group" in r:
            row["group"] = group_text(r["group"])
        if e is None:
            row.update(estimate=np.nan, std_error=np.nan, ci_low=np.nan, ci_high=np.nan)
        elif relevel:
            row.update(
                estimate=e.estimate,
                std_error=e.std_error,
                ci_low=e.estimate - z * e.std_error,
                ci_high=e.estimate + z * e.std_error,
            )
        else:
            row.update(
                estimate=e.estimate, std_error=e.std_error, ci_low=e.ci_low, ci_high=e.ci_high
            )
        n = r.get("n", None if e is None else e.n)
        if n is not None:
            row["n"] = n
        if r.get("note"):
            row["note"] = r["note"]
        out.append(row)
    frame = pd.DataFrame(out)
    columns = (["group"] if "group" in frame else []) + list(TIDY_COLUMNS)
    columns += [c for c in ("n", "note") if c in frame]
    frame = frame.reindex(columns=columns)
    if "n" in frame:
        frame["n"] = frame["n"].astype("Int64")
    return frame


class ResultMixin:
    """Every rendering of a result from its one description, ``view()``: ``summary()`` (plain
    text), ``_repr_html_()`` (notebooks), the command line and the HTML report; plus JSON
    from ``to_dict()``."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def view(self) -> View:  # pragma: no cover - overridden
        """What a reader should see of this result (:class:`unspoken.report.view.View`)."""
        raise NotImplementedError

    def views(self) -> list[View]:
        """The sections of this result: one view, or several (a design test per item)."""
        return [self.view()]

    def summary(self) -> str:
        """The result as plain text (its views rendered by :mod:`unspoken.report.text`)."""
        from unspoken.report.text import render_text

        return render_text(self.views())

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON (non-finite numbers become ``null``)."""
        return json_text(self.to_dict(), indent=indent)

    def _repr_html_(self) -> str:
        from unspoken.report.html import views_html

        return views_html(self.views())

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class Estimate(ResultMixin):
    """A scalar estimate with its standard error and confidence interval.

    ``n`` is the number of respondents behind it; ``label`` names it (an item, a group).
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    n: int | None = None
    label: str | None = None
    level: float = 0.95

    @classmethod
    def from_se(
        cls,
        estimate: float,
        std_error: float,
        level: float = 0.95,
        n: int | None = None,
        label: str | None = None,
        crit: float | None = None,
    ) -> Estimate:
        """Wald interval ``estimate ± crit * std_error`` (normal critical value by default)."""
        c = z_value(level) if crit is None else crit
        est, se = float(estimate), float(std_error)
        return cls(est, se, est - c * se, est + c * se, n, label, level)

    @classmethod
    def from_draws(cls, draws: np.ndarray, level: float = 0.95, n: int | None = None) -> Estimate:
        """Posterior (or simulation) summary of ``draws``: mean, SD and the central
        ``level`` interval of the finite draws."""
        v = np.asarray(draws, dtype=float)
        v = v[np.isfinite(v)]
        lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
        return cls(float(v.mean()), float(v.std(ddof=1)), float(lo), float(hi), n, None, level)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "estimate": self.estimate,
            "std_error": self.std_error,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }
        if self.n is not None:
            d["n"] = self.n
        if self.label is not None:
            d["item"] = self.label
        return d

    def view(self) -> View:
        from unspoken.report.view import View

        return View(title=self.label or "Estimate", headline=[self.summary()])

    def summary(self) -> str:
        """The estimate on one line (a value inside other texts, not a layout)."""
        pct = round(self.level * 100)
        return (
            f"{self.estimate:.4f} (s.e. {self.std_error:.4f}; "
            f"{pct}% CI {self.ci_low:.4f} to {self.ci_high:.4f})"
        )


@dataclass(frozen=True)
class GroupEstimate:
    """An estimate for the subgroup ``group`` (column -> value), or why there is none."""

    group: dict[str, Any]
    estimate: Estimate | list[Estimate] | None
    note: str | None = None

    def to_dict(self, key: str = "prevalence") -> dict[str, Any]:
        d: dict[str, Any] = {"group": self.group}
        if isinstance(self.estimate, list):
            d[key] = [e.to_dict() for e in self.estimate]
        elif self.estimate is not None:
            d[key] = self.estimate.to_dict()
        else:
            d[key] = None
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class FitResult(ResultMixin):
    """A fitted parametric model.

    Parameters are stored flat in ``params`` with a ``part`` (e.g. ``sensitive``,
    ``control``) and a ``term`` (covariate name, ``Intercept`` for the constant) each;
    ``cov`` is their covariance matrix in the same order.
    """

    model: str
    parts: list[str]
    terms: list[str]
    params_: np.ndarray
    cov: np.ndarray
    n: int
    loglik: float | None = None
    converged: bool = True
    iterations: int = 0
    gradient_norm: float | None = None
    vcov_type: str = "model"
    prevalence: Estimate | list[Estimate] | None = None
    by: list[GroupEstimate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    title: str | None = None

    @property
    def index(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([self.parts, self.terms], names=["part", "term"])

    @property
    def params(self) -> pd.Series:
        """Estimates indexed by (part, term)."""
        return pd.Series(self.params_, index=self.index, name="estimate")

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors: square roots of the diagonal of ``cov``."""
        d = np.diag(np.asarray(self.cov, dtype=float)).copy()
        se = np.sqrt(np.where(d >= 0, d, np.nan))
        return pd.Series(se, index=self.index, name="std_error")

    @property
    def cov_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.cov, index=self.index, columns=self.index)

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald intervals for every parameter."""
        c = z_value(self.level if level is None else level)
        se = self.std_errors.to_numpy()
        return pd.DataFrame(
            {"ci_low": self.params_ - c * se, "ci_high": self.params_ + c * se}, index=self.index
        )

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row per parameter (:data:`TIDY_COLUMNS`), with Wald intervals at ``level``
        (default: the fit's own)."""
        rows = [
            {"part": p, "term": t, "estimate": Estimate.from_se(e, s, self.level)}
            for p, t, e, s in zip(
                self.parts, self.terms, self.params_, self.std_errors.to_numpy(), strict=True
            )
        ]
        return tidy_frame(rows, level, self.level)

    def plot(self, path: Any = None) -> Any:
        """The prevalence with its interval, overall and by group, as the report draws it
        (a matplotlib figure; saved to ``path`` when given, the format by its suffix)."""
        from unspoken.report.view import fit_forest_plot

        fig = fit_forest_plot(self)
        if path is not None:
            fig.savefig(path)
        return fig

    def part(self, name: str) -> pd.Series:
        """The estimates of one part, indexed by term."""
        mask = np.asarray(self.parts) == name
        return pd.Series(self.params_[mask], index=np.asarray(self.terms)[mask], name=name)

    def to_dict(self) -> dict[str, Any]:
        se = self.std_errors.to_numpy()
        d: dict[str, Any] = {
            "model": self.model,
            "n": self.n,
            "converged": self.converged,
            "iterations": self.iterations,
            "loglik": self.loglik,
            "gradient_norm": self.gradient_norm,
            "vcov": self.vcov_type,
            "params": [
                {"part": p, "term": t, "estimate": e, "std_error": s}
                for p, t, e, s in zip(self.parts, self.terms, self.params_, se, strict=True)
            ],
        }
        if isinstance(self.prevalence, list):
            d["prevalence"] = [e.to_dict() for e in self.prevalence]
        elif self.prevalence is not None:
            d["prevalence"] = self.prevalence.to_dict()
        if self.by:
            d["by"] = [g.to_dict() for g in self.by]
        if self.notes:
            d["notes"] = list(self.notes)
        d.update(self.extra)
        return d

    def view(self) -> View:
        from unspoken.report.view import fit_view

        return fit_view(self)


#: the fields of a :class:`FitResult` that report the optimiser
OPTIMUM_FIELDS = ("loglik", "converged", "iterations", "gradient_norm")


def optimum_fields(optimum: Any) -> dict[str, Any]:
    """The :data:`OPTIMUM_FIELDS` of a fit from the optimiser's report ``optimum`` (its
    attributes, or the keys of a dict)."""
    if isinstance(optimum, dict):
        return {k: optimum[k] for k in OPTIMUM_FIELDS}
    return {k: getattr(optimum, k) for k in OPTIMUM_FIELDS}
