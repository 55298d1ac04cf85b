"""The view of :class:`unspoken.diagnosis.DiagnoseResult`."""

from __future__ import annotations

from typing import Any

from unspoken.report.views.base import Table, View, num, pct


def _pm(x: Any, se: Any) -> str:
    """Percent with its Monte Carlo s.e.: ``92.9±0.6``."""
    return "-" if x != x else f"{100 * x:.1f}±{100 * se:.1f}"


def diagnose_view(res: Any) -> View:
    """Ranking of the designs that reach the target power at the lowest ``n``, then every
    cell's diagnosands with their Monte Carlo standard errors."""
    t = res.frame
    n_cells = int(t["cell"].nunique()) if len(t) else 0
    v = View(title="Design diagnosis")
    rank = res.ranking()
    target = pct(res.target, 0)
    if len(rank):
        b = rank.iloc[0]
        v.headline.append(
            f"{n_cells} designs x {len(res.estimators)} estimator(s), {res.reps:,} simulated "
            f"surveys each: the smallest design reaching {target} power is n = {int(b['n']):,} "
            f"({b['family']}, {b['estimator']}: power {pct(b['power'])}, bias "
            f"{pct(b['bias'])}, coverage {pct(b['coverage'])})."
        )
    else:
        v.headline.append(
            f"{n_cells} designs x {len(res.estimators)} estimator(s), {res.reps:,} simulated "
            f"surveys each: no design reaches {target} power; larger samples are needed."
        )
    if res.resumed:
        v.facts.append(f"{res.resumed} design(s) were read back from the earlier run's output.")
    if len(rank):
        v.tables.append(
            Table(
                f"Designs reaching {target} power, smallest n first",
                ["design", "estimator", "n", "power", "bias", "RMSE", "coverage"],
                [
                    [
                        str(r["family"]),
                        str(r["estimator"]),
                        f"{int(r['n']):,}",
                        pct(r["power"]),
                        pct(r["bias"]),
                        pct(r["rmse"]),
                        pct(r["coverage"]),
                    ]
                    for r in rank.to_dict("records")
                ],
                align=["l", "l", "r", "r", "r", "r", "r"],
            )
        )
    rows = [
        [
            str(r["family"]),
            f"{int(r['n']):,}",
            str(r["estimator"]),
            _pm(r["power"], r["power_mc_se"]),
            _pm(r["bias"], r["bias_mc_se"]),
            _pm(r["rmse"], r["rmse_mc_se"]),
            _pm(r["coverage"], r["coverage_mc_se"]),
            f"{num(r['mean_se'], 3)}/{num(r['sd_estimate'], 3)}",
            f"{100 * r['floor_share']:.1f}/{100 * r['ceiling_share']:.1f}",
            str(int(r["failures"])),
        ]
        for r in t.to_dict("records")
    ]
    v.tables.append(
        Table(
            "Diagnosands in percent (± Monte Carlo s.e.)",
            [
                "design",
                "n",
                "estimator",
                "power",
                "bias",
                "RMSE",
                "coverage",
                "s.e./SD",
                "floor/ceil.",
                "failed",
            ],
            rows,
            align=["l", "r", "l", "r", "r", "r", "r", "r", "r", "r"],
        )
    )
    fails = int(t["failures"].sum()) if len(t) else 0
    if fails:
        v.warnings.append(
            f"{fails} simulated fit(s) failed and are left out of the diagnosands (column "
            "failures); a design with many failures is fragile."
        )
    v.notes.append(
        "Power: share of surveys rejecting the null at the test level; coverage: share of "
        f"{pct(res.level, 0)} intervals containing the truth; floor / ceiling: share of the long "
        "list's respondents answering 0 / J + 1, answers that reveal the sensitive item."
    )
    v.method = {
        "method": f"simulation, {res.reps:,} replications per design (seed {res.seed})",
        "null, level": f"{res.null:g}, {res.level:g}",
        "estimators": ", ".join(res.estimators),
    }
    v.plot = res.plot if len(t) else None
    return v
