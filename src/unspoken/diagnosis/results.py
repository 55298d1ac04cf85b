"""The result of :func:`unspoken.diagnose`: the table of diagnosands (one row per design
cell and estimator), the ranking of designs by the smallest ``n`` reaching a target power,
and the plot of power against ``n`` per design family."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from unspoken.diagnosis.diagnosands import DIAGNOSANDS
from unspoken.errors import UnsupportedError
from unspoken.results import Estimate, ResultMixin, _clean, tidy_frame

if TYPE_CHECKING:
    from unspoken.report.view import View

__all__ = ["DiagnoseResult"]


@dataclass(frozen=True, eq=False)  # a frame does not compare with ==
class DiagnoseResult(ResultMixin):
    """Diagnosands of every design and estimator.

    ``table``: one row per design cell and estimator with the cell's parameters, ``truth``,
    ``reps``, ``failures``, each diagnosand (``power``, ``bias``, ``rmse``, ``coverage``,
    ``mean_se``, ``sd_estimate``, ``floor_share``, ``ceiling_share``) and its Monte Carlo
    standard error ``<name>_mc_se``. ``seed`` reproduces the run on any engine.
    ``seconds`` (wall time) and ``extra["worker_cpu_seconds"]`` (CPU time the workers spent
    simulating) describe the run, not the results: they are not in ``to_dict()``.
    """

    table: pd.DataFrame
    estimators: list[str]
    reps: int
    seed: int
    level: float
    null: float
    engine: str = "local"
    seconds: float = float("nan")
    resumed: int = 0
    target: float = 0.8
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        """The table without the resume key (what the reports show)."""
        return self.table.drop(columns=["key"], errors="ignore")

    def ranking(
        self, target: float | None = None, min_coverage: float | None = None
    ) -> pd.DataFrame:
        """For each design family and estimator, the smallest ``n`` whose power reaches
        ``target`` (default 0.8), with that cell's diagnosands; sorted by ``n`` (then RMSE).
        Families that never reach it are left out. ``min_coverage`` (e.g. 0.93) also leaves
        out the cells whose intervals cover less: a biased design "reaches" its power by
        rejecting for the wrong reason."""
        from unspoken.results import check_level

        target = self.target if target is None else check_level(target, "target", 0.8)
        t = self.frame
        hit = t[t["power"] >= target]
        if min_coverage is not None:
            hit = hit[hit["coverage"] >= check_level(min_coverage, "min_coverage", 0.93)]
        if hit.empty:
            return hit.iloc[:0][["family", "estimator", "n", "power", "power_mc_se", "bias",
                                 "rmse", "coverage"]]  # fmt: skip
        best = (
            hit.sort_values(["n", "rmse"], kind="stable")
            .groupby(["family", "estimator"], sort=False)
            .head(1)
        )
        cols = ["family", "estimator", "n", "power", "power_mc_se", "bias", "rmse", "coverage",
                "floor_share", "ceiling_share"]  # fmt: skip
        return best[cols].reset_index(drop=True)

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row per design cell, estimator and diagnosand: part = the diagnosand, term =
        the estimator, group = the design (family and ``n``); std_error is the Monte Carlo
        standard error and the interval a Monte Carlo interval; n = replications."""
        rows = []
        for r in self.table.to_dict("records"):
            group = {"cell": r["cell"], "design": r["family"], "n": r["n"]}
            for d in DIAGNOSANDS:
                e = Estimate.from_se(r[d], r[f"{d}_mc_se"], level=0.95, n=r["reps"])
                rows.append({"group": group, "part": d, "term": r["estimator"], "estimate": e})
        return tidy_frame(rows, level, 0.95)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "diagnose",
            "estimators": list(self.estimators),
            "reps": self.reps,
            "seed": self.seed,
            "level": self.level,
            "null": self.null,
            "target": self.target,
            "rows": _clean(self.frame.to_dict("records")),
            "ranking": _clean(self.ranking().to_dict("records")),
        }

    def view(self) -> View:
        from unspoken.report.views.diagnose import diagnose_view

        return diagnose_view(self)

    def plot(self, path: Any = None, target: float | None = None) -> Any:
        """Power against ``n`` for each design family and estimator (bars: ±2 Monte Carlo
        s.e.), with the target power as a dashed line. matplotlib's Agg canvas; written to
        ``path`` when given. Returns the figure."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import PercentFormatter

        t = self.frame
        target = self.target if target is None else target
        fig = Figure(figsize=(8, 4.8))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        for (fam, est), g in t.groupby(["family", "estimator"], sort=False):
            g = g.groupby("n", as_index=False)[["power", "power_mc_se"]].mean()
            label = f"{fam}: {est}" if fam != "all designs" else est
            ax.errorbar(g["n"], g["power"], yerr=2 * g["power_mc_se"], marker="o", ms=4,
                        capsize=2, label=label)  # fmt: skip
        ax.axhline(target, color="0.5", linestyle="--", linewidth=0.9)
        ax.set_xlabel("respondents (n)")
        ax.set_ylabel("power")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(0, 1.02)
        if len(ax.get_legend_handles_labels()[0]) <= 12:
            ax.legend(fontsize=7, frameon=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        if path is not None:
            try:
                fig.savefig(path)
            except (OSError, ValueError) as e:
                raise UnsupportedError(f"cannot write the plot to {str(path)!r}: {e}",
                                       param="path") from None  # fmt: skip
        return fig
