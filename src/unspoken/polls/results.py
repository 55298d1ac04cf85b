"""The result of pooling polls: trend with bands, house effects, residuals, plot. It holds
numbers; the variances are computed in :mod:`unspoken.polls.inference`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from unspoken.errors import UnsupportedError
from unspoken.polls.inference import change, identified
from unspoken.polls.integrate import PRIOR
from unspoken.report.view import View, percent_axes
from unspoken.results import Estimate, ResultMixin, tidy_frame, z_value


@dataclass
class PollsResult(ResultMixin):
    """Pooled-polls fit. Shares, house effects and SDs are in the units of the input
    (percentage points for percent data). ``sigma`` is the innovation SD per period."""

    scale: str
    units: str
    factor: float
    period: str
    identification: str
    fieldwork: str
    trend: pd.DataFrame
    house_effects: pd.DataFrame
    polls: pd.DataFrame
    anchors: pd.DataFrame
    sigma: float
    sigma_se: float
    loglik: float
    converged: bool
    iterations: int
    gradient_norm: float
    level: float
    window: int
    notes: list[str] = field(default_factory=list)
    hard_to_say: Any = None
    elapsed: float | None = None
    sigma_fixed: bool = False
    sigma_route: str = "plugin"
    sigma_route_reason: str = ""
    _sol: Any = field(default=None, repr=False)
    _C: Any = field(default=None, repr=False)
    _hyper: Any = field(default=None, repr=False)

    model: str = "polls"

    # ------------------------------------------------------------------ quantities
    @property
    def n_polls(self) -> int:
        return len(self.polls)

    @property
    def has_house_effects(self) -> bool:
        """House effects are estimated: two or more pollsters, or a value anchor. Otherwise
        their columns in :attr:`house_effects` are NaN (the extra SD is still estimated)."""
        return identified(self.identification, len(self.house_effects))

    @property
    def sigma_uncertainty(self) -> dict[str, Any]:
        """How the uncertainty of the innovation SD enters the bands: ``route``
        ("integrate" or "plugin") and ``reason``; when integrated also the ``prior``, the
        number of ``nodes`` and the posterior mean of the SD (``sigma_mean``, in the units
        of the shares)."""
        out: dict[str, Any] = {"route": self.sigma_route, "reason": self.sigma_route_reason}
        if self.sigma_route == "integrate":
            out.update(
                prior=PRIOR,
                nodes=int(self._sol.sigma.size),
                sigma_mean=self._sol.sigma_mean * self.factor,
            )
        return out

    @property
    def days_per_period(self) -> int:
        return 1 if self.period == "day" else 7

    def latest(self) -> Estimate:
        """The trend on the last date of the series (last poll or anchor)."""
        r = self.trend.iloc[-1]
        return Estimate.from_se(
            r["estimate"], r["std_error"], level=self.level, label=str(r["date"].date())
        )

    def _window_fits(self) -> bool:
        return max(1, round(self.window / self.days_per_period)) < len(self.trend)

    def change(self, window: int | None = None) -> Estimate:
        """Change of the trend over the last ``window`` days (rounded to whole periods),
        computed by :func:`unspoken.polls.inference.change`."""
        return change(self, window)

    def estimate_on(self, date: Any) -> Estimate:
        """The trend on one date (its period)."""
        ts = pd.Timestamp(date)
        dates = self.trend["date"]
        pos = int(np.searchsorted(dates.to_numpy(), ts.to_datetime64(), side="right") - 1)
        if pos < 0 or ts > dates.iloc[-1] + pd.Timedelta(days=self.days_per_period - 1):
            raise UnsupportedError(f"{ts.date()} is outside the series")
        r = self.trend.iloc[pos]
        return Estimate.from_se(
            r["estimate"], r["std_error"], level=self.level, label=str(ts.date())
        )

    # ------------------------------------------------------------------ tables
    def tidy(
        self,
        what: Literal["params", "house_effects", "trend", "polls"] = "params",
        level: float | None = None,
    ) -> pd.DataFrame:
        """A table: ``params`` (the standard columns part, term, estimate, std_error, ci_low,
        ci_high for the house effects, the innovation SD and the extra SDs; ``level`` gives
        Wald intervals at another level), or a copy of ``house_effects``, ``trend`` or
        ``polls`` (residuals)."""
        if what == "params":
            est = self.params
            se = self.std_errors.to_numpy()
            rows = [
                {"part": p, "term": t, "estimate": Estimate.from_se(e, s, level=self.level)}
                for (p, t), e, s in zip(est.index, est.to_numpy(), se, strict=True)
            ]
            return tidy_frame(rows, level, self.level)
        tables = {"house_effects": self.house_effects, "trend": self.trend, "polls": self.polls}
        if what not in tables:
            raise UnsupportedError(f"what must be one of params, {', '.join(tables)}, not {what!r}")
        return tables[what].copy()

    @property
    def _index(self) -> pd.MultiIndex:
        names = [str(p) for p in self.house_effects["pollster"]]
        shown = names if self.has_house_effects else []  # one pollster: no house effect
        parts = ["house_effect"] * len(shown) + ["sigma"] + ["extra_sd"] * len(names)
        terms = [*shown, self.period, *names]
        return pd.MultiIndex.from_arrays([parts, terms], names=["part", "term"])

    def _param_values(self, house: str, sigma: float, extra: str) -> np.ndarray:
        he = self.house_effects
        shown = he[house].to_numpy() if self.has_house_effects else np.zeros(0)
        return np.r_[shown, sigma, he[extra].to_numpy()]

    @property
    def params(self) -> pd.Series:
        """House effects (none with one pollster and no value anchor), innovation SD (per
        period) and extra SDs, indexed by (part, term)."""
        vals = self._param_values("estimate", self.sigma, "extra_sd")
        return pd.Series(vals, index=self._index, name="estimate")

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors of :attr:`params` (NaN for an extra SD estimated at 0 or fixed)."""
        vals = self._param_values("std_error", self.sigma_se, "extra_sd_se")
        return pd.Series(vals, index=self._index, name="std_error")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald intervals for :attr:`params`."""
        z = z_value(self.level if level is None else level)
        est = self.params.to_numpy()
        se = self.std_errors.to_numpy()
        return pd.DataFrame({"ci_low": est - z * se, "ci_high": est + z * se}, index=self._index)

    def to_dict(self) -> dict[str, Any]:
        he = self.house_effects
        latest = self.latest()
        out: dict[str, Any] = {
            "model": "polls",
            "scale": self.scale,
            "units": self.units,
            "period": self.period,
            "identification": self.identification,
            "fieldwork": self.fieldwork,
            "n_polls": self.n_polls,
            "pollsters": he["pollster"].tolist(),
            "house_effects": [
                {
                    "pollster": r.pollster,
                    "n_polls": int(r.n_polls),
                    "estimate": r.estimate,
                    "std_error": r.std_error,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "extra_sd": r.extra_sd,
                    "extra_sd_se": r.extra_sd_se,
                    "rms_binomial_z": r.rms_binomial_z,
                }
                for r in he.itertuples(index=False)
            ]
            if self.has_house_effects
            else [],
            "trend": [
                {
                    "date": str(pd.Timestamp(r.date).date()),
                    "estimate": r.estimate,
                    "std_error": r.std_error,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                }
                for r in self.trend.itertuples(index=False)
            ],
            "sigma": self.sigma,
            "sigma_se": self.sigma_se,
            "sigma_fixed": self.sigma_fixed,
            "sigma_uncertainty": self.sigma_uncertainty,
            "loglik": self.loglik,
            "converged": self.converged,
            "iterations": self.iterations,
            "gradient_norm": self.gradient_norm,
            "level": self.level,
            "latest": {"date": latest.label, **latest.to_dict()},
        }
        if not self.has_house_effects:  # one pollster: its scatter, no house effect
            r = he.iloc[0]
            out["pollster"] = {
                "pollster": r["pollster"],
                "n_polls": int(r["n_polls"]),
                "extra_sd": r["extra_sd"],
                "extra_sd_se": r["extra_sd_se"],
                "rms_binomial_z": r["rms_binomial_z"],
            }
        if self._window_fits():
            ch = self.change()
            out["change"] = {"window_days": self.window, "dates": ch.label, **ch.to_dict()}
            out["change"].pop("item", None)
        out["latest"].pop("item", None)
        out["anchors"] = [
            {"date": str(r.date.date()), "estimate": r.estimate, "std_error": r.std_error}
            for r in self.anchors.itertuples(index=False)
        ]
        out["polls"] = [
            {
                "row": int(r.row),
                "pollster": r.pollster,
                "start": str(pd.Timestamp(r.start).date()),
                "end": str(pd.Timestamp(r.end).date()),
                "share": r.share,
                "n": r.n,
                "fitted": r.fitted,
                "residual": r.residual,
                "std_residual": r.std_residual,
            }
            for r in self.polls.itertuples(index=False)
        ]
        if self.hard_to_say is not None:
            out["hard_to_say"] = self.hard_to_say.to_dict()
        if self.notes:
            out["notes"] = list(self.notes)
        if self.elapsed is not None:
            out["elapsed_s"] = self.elapsed
        return out

    def view(self) -> View:
        from unspoken.report.view import polls_view

        return polls_view(self)

    # ------------------------------------------------------------------ plot
    def plot(self, path: Any = None, ax: Any = None, title: str | None = None):
        """Polls coloured by pollster, the trend with its band, and any anchors.

        Uses matplotlib's Agg canvas (no pyplot, no change of the global backend). Returns
        the figure; writes it to ``path`` when given (format from the extension).
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if ax is None:
            fig = Figure(figsize=(9, 4.8))
            FigureCanvasAgg(fig)
            ax = fig.add_subplot(1, 1, 1)
        else:
            fig = ax.figure
        tr = self.trend
        pct = round(self.level * 100)
        ax.fill_between(
            tr["date"], tr["ci_low"], tr["ci_high"], color="0.8", label=f"{pct}% band", linewidth=0
        )
        ax.plot(tr["date"], tr["estimate"], color="black", linewidth=1.3, label="trend")
        p = self.polls
        mid = p["start"] + (p["end"] - p["start"]) / 2
        colours = [f"C{k % 10}" for k in range(len(self.house_effects))]
        for k, name in enumerate(self.house_effects["pollster"]):
            m = (p["pollster"] == name).to_numpy()
            ax.scatter(mid[m], p["share"][m], s=9, alpha=0.7, color=colours[k], label=str(name))
        a = self.anchors
        if len(a):
            z = z_value(self.level)
            ax.errorbar(
                a["date"],
                a["estimate"],
                yerr=z * a["std_error"],
                fmt="D",
                color="crimson",
                markersize=6,
                capsize=3,
                label="anchor",
                zorder=5,
            )
        unit = " (%)" if self.units == "percent" else ""
        ax.set_ylabel(
            (
                "share of all respondents"
                if self.scale == "all"
                else "share of those with an opinion"
            )
            + unit
        )
        if self.units != "percent":  # proportions on the axis as percentages, as the text
            percent_axes(fig, "y", [ax])
        what = self.identification if self.has_house_effects else "one pollster"
        ax.set_title(title or f"Pooled polls ({what})")
        ax.legend(loc="best", fontsize=8, frameon=False, ncol=2)
        fig.autofmt_xdate()
        if path is not None:
            fig.savefig(path, dpi=120, bbox_inches="tight")
        return fig
